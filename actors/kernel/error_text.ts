/**
 * The one way the runtime turns a thrown value into text. A supervisor's status names the
 * error's class (`FatalError: 401 Unauthorized` tells an operator more than the message alone);
 * a line shown next to a call that failed gives just the message. Anything else thrown (a
 * string, a number) is shown as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorMessage, errorText } from "./error_text.ts";
 *
 * assert.equal(errorText(new TypeError("bad")), "TypeError: bad");
 * assert.equal(errorMessage(new TypeError("bad")), "bad");
 * assert.equal(errorText("a string reason"), "a string reason");
 * ```
 * @module
 */

/** `Name: message` for an `Error`, the value as a string for anything else. */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The message of an `Error`, the value as a string for anything else. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
