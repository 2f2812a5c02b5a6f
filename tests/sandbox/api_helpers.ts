/**
 * Raw Bot API calls for sandbox tests: plain `fetch`, so the tests see exactly the status and
 * envelope Telegram's clients would.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api } from "grammy";
 * import { call, result, UpdateReader } from "./api_helpers.ts";
 * import { Sandbox } from "../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot({ username: "shop_bot" });
 * const ann = sandbox.createUser({ firstName: "Ann" });
 *
 * const me = await result<{ username: string }>(sandbox.apiRoot, shop.token, "getMe");
 * assert.equal(me.username, "shop_bot");
 * const refused = await call(sandbox.apiRoot, shop.token, "sendMessage", { chat_id: ann.id });
 * assert.equal(refused.status, 400);
 * assert.equal(refused.body.description, "Bad Request: text is required");
 *
 * const reader = new UpdateReader(new Api(shop.token, { apiRoot: sandbox.apiRoot }));
 * await ann.send(shop, "/start");
 * assert.equal((await reader.next()).message?.text, "/start");
 * assert.deepEqual(await reader.pending(), []);
 * ```
 * @module
 */

import type { Api } from "grammy";
import type { Update } from "grammy/types";

/** The envelope of a Bot API answer. */
export interface Envelope {
  ok: boolean;
  result?: unknown;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

/** A call's HTTP status and parsed envelope. */
export interface CallResult {
  status: number;
  body: Envelope;
}

/** POSTs `params` as JSON to `<apiRoot>/bot<token>/<method>`. */
export async function call(
  apiRoot: string,
  token: string,
  method: string,
  params: Record<string, unknown> = {},
): Promise<CallResult> {
  const response = await fetch(`${apiRoot}/bot${token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(params),
  });
  return { status: response.status, body: await response.json() };
}

/** Like {@linkcode call} but returns `result` and throws on `ok: false`. */
export async function result<T = unknown>(
  apiRoot: string,
  token: string,
  method: string,
  params: Record<string, unknown> = {},
): Promise<T> {
  const { body } = await call(apiRoot, token, method, params);
  if (!body.ok) throw new Error(`${method} failed: ${body.error_code} ${body.description}`);
  return body.result as T;
}

/**
 * The bot's side in tests that play the bot by hand: reads updates one at a time through
 * grammY's Api, confirming each, with a real-time guard so a missing update fails the test
 * instead of hanging it (long polls on a ManualClock never time out by themselves).
 */
export class UpdateReader {
  readonly #api: Api;
  #offset = 0;

  constructor(api: Api) {
    this.#api = api;
  }

  /** The updates not read yet, without waiting (a short poll). */
  pending(): Promise<Update[]> {
    return this.#api.getUpdates({ offset: this.#offset, timeout: 0 });
  }

  /** The next update, waiting up to `timeoutMs` of real time for it. */
  async next(timeoutMs = 3_000): Promise<Update> {
    const [update] = await this.#api.getUpdates(
      { offset: this.#offset, limit: 1, timeout: 30 },
      // grammY's npm build types its signal with the abort-controller polyfill's class.
      AbortSignal.timeout(timeoutMs) as Parameters<Api["getUpdates"]>[1],
    );
    if (!update) throw new Error("no update arrived");
    this.#offset = update.update_id + 1;
    return update;
  }
}
