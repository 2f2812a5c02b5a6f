/**
 * Reads what grammY throws for a failed Bot API call as the money domain's
 * {@linkcode BotApiFailure}: Telegram's refusal (`GrammyError`: code, description, `retry_after`),
 * no answer at all (`HttpError`: the network, with the cause that fetch hides, or a deadline that
 * ran out: `timedOut`), or anything else. An answer that was not a Bot API answer at all is read
 * by its HTTP status (`bot_api_answer.ts`), and a description is never `undefined`.
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
import { CallDeadlineExceeded } from "./call_deadline.ts";
import { FOREIGN_ANSWER_CODE } from "./bot_api_answer.ts";

/** The verdict on one thrown error of a Bot API call. */
export function readBotApiFailure(error: unknown): BotApiFailure {
  if (error instanceof GrammyError) {
    const retryAfter = error.parameters.retry_after;
    // grammY copies these from the answer unchecked: JSON that is not Telegram's (a 2xx answer,
    // which `bot_api_answer.ts` lets through unread) leaves them undefined.
    return {
      kind: "refused",
      code: typeof error.error_code === "number" ? error.error_code : FOREIGN_ANSWER_CODE,
      description: typeof error.description === "string" && error.description !== ""
        ? error.description
        : "not a Bot API answer: it has no error_code and description",
      ...(typeof retryAfter === "number" && retryAfter >= 0
        ? { retryAfterSeconds: retryAfter }
        : {}),
    };
  }
  if (error instanceof HttpError) {
    // fetch's own message is often just "fetch failed"; the reason (ECONNREFUSED …) is its cause.
    const inner = error.error;
    // grammY parses the body itself; a 2xx JSON answer cut short or garbled fails there. Whether
    // the call was carried out is unknown, as when the answer is lost.
    if (inner instanceof SyntaxError) {
      return {
        kind: "unreachable",
        description: `not a Bot API answer: the body is not valid JSON (${inner.message})`,
      };
    }
    const cause = inner instanceof Error && inner.cause !== undefined
      ? ` (${errorMessage(inner.cause)})`
      : "";
    const what = inner instanceof Error ? errorText(inner) : String(inner);
    return {
      kind: "unreachable",
      description: `network error: ${what}${cause}`,
      ...(timedOut(inner) ? { timedOut: true as const } : {}),
    };
  }
  return { kind: "other", description: errorMessage(error) };
}

/** Whether the call was abandoned for taking too long: by our deadline, or grammY's own timeout. */
function timedOut(inner: unknown): boolean {
  return inner instanceof CallDeadlineExceeded ||
    (inner instanceof Error && /^Request to '\w+' timed out after/.test(inner.message));
}
