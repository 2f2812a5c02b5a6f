/**
 * Reads what grammY throws for a failed Bot API call as the money domain's
 * {@linkcode BotApiFailure}: Telegram's refusal (`GrammyError`: code, description, `retry_after`),
 * no answer at all (`HttpError`: the network, with the cause that fetch hides), or anything else.
 * The domain and the outbox sender decide on this verdict and never look at grammY's classes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GrammyError, HttpError } from "grammy";
 * import { readBotApiFailure } from "./bot_api_failure.ts";
 *
 * const tooMany = { error_code: 429, description: "Too Many Requests" };
 * const refused = new GrammyError(
 *   "Call to 'sendMessage' failed!",
 *   { ok: false, ...tooMany, parameters: { retry_after: 3 } },
 *   "sendMessage",
 *   {},
 * );
 * assert.deepEqual(readBotApiFailure(refused), {
 *   kind: "refused",
 *   code: 429,
 *   description: "Too Many Requests",
 *   retryAfterSeconds: 3,
 * });
 *
 * const lost = new HttpError(
 *   "Network request for 'sendMessage' failed!",
 *   new TypeError("fetch failed", { cause: new Error("ECONNREFUSED") }),
 * );
 * assert.deepEqual(readBotApiFailure(lost), {
 *   kind: "unreachable",
 *   description: "network error: TypeError: fetch failed (ECONNREFUSED)",
 * });
 * assert.deepEqual(readBotApiFailure("odd"), { kind: "other", description: "odd" });
 * ```
 * @module
 */
import { GrammyError, HttpError } from "grammy";
import type { BotApiFailure } from "../../money/ports.ts";
import { errorMessage, errorText } from "../../actors/kernel/error_text.ts";

/** The verdict on one thrown error of a Bot API call. */
export function readBotApiFailure(error: unknown): BotApiFailure {
  if (error instanceof GrammyError) {
    const retryAfter = error.parameters.retry_after;
    return {
      kind: "refused",
      code: error.error_code,
      description: error.description,
      ...(typeof retryAfter === "number" && retryAfter >= 0
        ? { retryAfterSeconds: retryAfter }
        : {}),
    };
  }
  if (error instanceof HttpError) {
    // fetch's own message is often just "fetch failed"; the reason (ECONNREFUSED …) is its cause.
    const inner = error.error;
    const cause = inner instanceof Error && inner.cause !== undefined
      ? ` (${errorMessage(inner.cause)})`
      : "";
    const what = inner instanceof Error ? errorText(inner) : String(inner);
    return { kind: "unreachable", description: `network error: ${what}${cause}` };
  }
  return { kind: "other", description: errorMessage(error) };
}
