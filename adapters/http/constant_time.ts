/**
 * Comparison of secrets (webhook secret tokens, the admin bearer token) in time that does not
 * depend on where the two strings differ.
 *
 * `===` stops at the first differing character, so an attacker who can time many requests learns
 * how long the correct prefix of a guess is and can recover the secret one character at a time.
 * Here every byte of the longer input is visited and differences are OR-ed together, so the work
 * depends only on the lengths. A JavaScript engine promises no exact timing, but this removes the
 * data-dependent early exit that makes the attack practical over a network.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { constantTimeEqual } from "./constant_time.ts";
 *
 * assert.equal(constantTimeEqual("s3cret", "s3cret"), true);
 * assert.equal(constantTimeEqual("s3cret", "s3creT"), false);
 * assert.equal(constantTimeEqual("s3cret", "s3cret-and-more"), false);
 * ```
 * @module
 */

const encoder = new TextEncoder();

/**
 * Whether `a` and `b` are the same string, compared as UTF-8 bytes in a loop over the longer
 * length with no early exit. The lengths themselves are not hidden (a secret's length is not
 * what protects it), but a shorter or longer guess still costs the full loop.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  const length = Math.max(left.length, right.length);
  // Unequal lengths are a difference too; folding them in keeps the loop free of a branch that
  // would return early.
  let difference = left.length ^ right.length;
  for (let i = 0; i < length; i++) {
    // Reading past the end of a typed array yields undefined; `| 0` turns it into 0 without a
    // branch on the data.
    difference |= (left[i] | 0) ^ (right[i] | 0);
  }
  return difference === 0;
}
