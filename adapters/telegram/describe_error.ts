/**
 * One line that says what went wrong with a Bot API call or anything else, safe to log: bot
 * tokens are removed, because network errors quote request URLs and those carry the token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeError } from "./describe_error.ts";
 *
 * assert.equal(
 *   describeError(new Error("fetch /bot123456:AAAAAAAAAAAAAAAAAAAAAAAA/getMe")),
 *   "fetch /bot<redacted>/getMe",
 * );
 * ```
 * @module
 */
import { redactTokens } from "../observability/redact.ts";
import { readBotApiFailure } from "./bot_api_failure.ts";

/** A one-line description of an API or network error, with any bot token removed. */
export function describeError(error: unknown): string {
  const failure = readBotApiFailure(error);
  return redactTokens(
    failure.kind === "refused" ? `${failure.code} ${failure.description}` : failure.description,
  );
}
