/**
 * A tenant's Bot API calls sent straight: the JSON body, the call's one deadline signal
 * (`call_deadline.ts`), the answer read as JSON; over the tenant's keep-alive connections
 * (`transport/bot_api_connections.ts`) when it has them, else with Deno's `fetch`. grammY's own
 * client wraps each
 * call in a second abort controller (from the `abort-controller` polyfill, an `EventTarget`
 * shim), a second timer and a race of three promises, then hands it to a `fetch` adapter that
 * needs a third controller to carry the polyfill's signal over (`native_fetch.ts`). Under load
 * that wrapping was a tenth of the runtime's allocations and timers for every `sendMessage`
 * (BENCHMARKS.md, issue 15). A call that uploads a file (an `InputFile` anywhere in its payload)
 * is not sent here: it goes through grammY's multipart encoding as before.
 *
 * What a caller sees is what grammY's client gives: the Bot API's answer, which grammY turns into
 * a result or a `GrammyError`, or an `HttpError` when no answer came; an answer that is not the
 * Bot API's is made into one that says what it was (`bot_api_answer.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { directCalls } from "./direct_calls.ts";
 * import { Sandbox } from "../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot({ username: "shop_bot" });
 * const send = directCalls({ token: shop.token, apiRoot: sandbox.apiRoot });
 * const answer = await send("getMe", {}, AbortSignal.timeout(5_000));
 * assert.ok(answer?.ok && (answer.result as { username: string }).username === "shop_bot");
 * ```
 * @module
 */
import { HttpError } from "grammy";
import type { ApiResponse } from "grammy/types";
import { asBotApiAnswer, botApiAnswerOf } from "./bot_api_answer.ts";
import { errorText } from "../../actors/kernel/error_text.ts";
import type { BotApiConnections } from "./transport/bot_api_connections.ts";
import type { HttpAnswer } from "./transport/http1_response.ts";

/** Where a tenant's calls go. */
export interface DirectTarget {
  token: string;
  apiRoot: string;
  /** Telegram's test environment: its methods live under `/test/`. */
  testEnvironment?: boolean;
}

/**
 * Sends one call and resolves with the Bot API's answer; `undefined`, and nothing sent, for a
 * payload that uploads a file.
 */
export type DirectCall = (
  method: string,
  payload: Record<string, unknown>,
  signal: AbortSignal,
) => Promise<ApiResponse<unknown>> | undefined;

const JSON_HEADERS = { "content-type": "application/json" };

/**
 * The sender for `target`, over `connections` (which must lead to `target.apiRoot`'s server)
 * when given; see the module doc.
 */
export function directCalls(target: DirectTarget, connections?: BotApiConnections): DirectCall {
  const base = `${target.apiRoot}/bot${target.token}/${target.testEnvironment ? "test/" : ""}`;
  const path = new URL(base).pathname;
  // Where a failed call went, for its error (as fetch's errors say), with the token left out.
  const shown = `${target.apiRoot}/bot<redacted>/${target.testEnvironment ? "test/" : ""}`;
  return (method, payload, signal) => {
    const body = jsonBody(payload);
    if (body === undefined) return undefined;
    const answer = connections
      ? connections.post(path + method, body, signal).then(readAnswer, (error) => {
        // A deadline's or a stop's abort stays what it is.
        if (signal.aborted) throw error;
        throw new Error(`${errorText(error)} (POST ${shown}${method})`, { cause: error });
      })
      : fetch(base + method, { method: "POST", headers: JSON_HEADERS, body, signal })
        .then(asBotApiAnswer)
        .then((response) => response.json() as Promise<ApiResponse<unknown>>);
    return answer.catch((error) => {
      // grammY's wording: the URL, which holds the token, stays out of the message.
      throw new HttpError(`Network request for '${method}' failed!`, error);
    });
  };
}

/** An answer read off a connection, as the Bot API's (`bot_api_answer.ts`). */
function readAnswer({ status, statusText, body }: HttpAnswer): ApiResponse<unknown> {
  return botApiAnswerOf(status, statusText, body);
}

/**
 * The payload as grammY would send it (`null` fields left out), or `undefined` when it cannot be
 * plain JSON: an `InputFile` refuses to be serialized (it has to be uploaded), and whatever else
 * refuses is left to grammY's client to report as it always has.
 */
function jsonBody(payload: Record<string, unknown>): string | undefined {
  try {
    return JSON.stringify(payload, (_key, value) => value ?? undefined);
  } catch {
    return undefined;
  }
}
