/**
 * One readable line per Bot API call, for the standalone sandbox's console: time on the sandbox
 * clock, bot, method, outcome, then the parameters with long values shortened.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCall } from "./call_log.ts";
 *
 * const sent = { method: "sendMessage", params: { chat_id: 7, text: "Hi" }, ok: true, at: 0 };
 * assert.equal(
 *   formatCall("shop_bot", sent),
 *   '00:00:00.000 @shop_bot sendMessage ok chat_id=7 text="Hi"',
 * );
 * const refused = {
 *   method: "sendMessage",
 *   params: {},
 *   ok: false,
 *   at: 0,
 *   error: { error_code: 400, description: "Bad Request: text is required" },
 * };
 * assert.equal(
 *   formatCall("shop_bot", refused),
 *   "00:00:00.000 @shop_bot sendMessage 400 Bad Request: text is required",
 * );
 * ```
 * @module
 */

import type { CallRecord } from "../world/bot_state.ts";

const MAX_VALUE = 80;

function formatValue(value: unknown): string {
  const text = value instanceof Blob ? `<file ${value.size} bytes>` : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** Formats a call record as one line. */
export function formatCall(botUsername: string, call: CallRecord): string {
  const time = new Date(call.at).toISOString().slice(11, 23);
  const outcome = call.ok ? "ok" : `${call.error?.error_code} ${call.error?.description}`;
  const params = Object.entries(call.params).map(([key, value]) => `${key}=${formatValue(value)}`);
  return [time, `@${botUsername}`, call.method, outcome, ...params].join(" ");
}
