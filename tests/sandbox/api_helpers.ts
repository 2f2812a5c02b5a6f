/**
 * Raw Bot API calls for sandbox tests: plain `fetch`, so the tests see exactly the status and
 * envelope Telegram's clients would.
 *
 * @example
 * ```ts
 * import { call } from "./api_helpers.ts";
 * declare const apiRoot: string, token: string;
 * const { status, body } = await call(apiRoot, token, "getMe");
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

/**
 * POSTs `params` as JSON to `<apiRoot>/bot<token>/<method>`.
 *
 * @example
 * ```ts
 * import { call } from "./api_helpers.ts";
 * declare const apiRoot: string, token: string;
 * await call(apiRoot, token, "sendMessage", { chat_id: 1, text: "hi" });
 * ```
 */
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

/**
 * Like {@linkcode call} but returns `result` and throws on `ok: false`.
 *
 * @example
 * ```ts
 * import { result } from "./api_helpers.ts";
 * declare const apiRoot: string, token: string;
 * const me = await result(apiRoot, token, "getMe");
 * ```
 */
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
 *
 * @example
 * ```ts
 * import { Api } from "grammy";
 * import { UpdateReader } from "./api_helpers.ts";
 * declare const api: Api;
 * const update = await new UpdateReader(api).next();
 * ```
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
