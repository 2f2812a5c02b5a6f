/**
 * One line that says what went wrong with a Bot API call or anything else, safe to log: bot
 * tokens are removed, because network errors quote request URLs and those carry the token.
 *
 * @example
 * ```ts
 * import { describeError } from "./describe_error.ts";
 * describeError(new Error("fetch /bot123456:AAAAAAAAAAAAAAAAAAAAAAAA/getMe")); // "fetch /bot<redacted>/getMe"
 * ```
 * @module
 */
import { GrammyError, HttpError } from "grammy";
import { redactTokens } from "../observability/redact.ts";

/** A one-line description of an API or network error, with any bot token removed. */
export function describeError(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code} ${error.description}`;
  if (error instanceof HttpError) {
    // fetch's own message is often just "fetch failed"; the reason (ECONNREFUSED …) is its cause.
    const inner = error.error;
    const cause = inner instanceof Error && inner.cause !== undefined
      ? ` (${inner.cause instanceof Error ? inner.cause.message : String(inner.cause)})`
      : "";
    return redactTokens(`network error: ${String(inner)}${cause}`);
  }
  return redactTokens(error instanceof Error ? error.message : String(error));
}
