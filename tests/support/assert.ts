/**
 * The assertions the tests use, on top of `node:assert/strict` (JSR's `@std/assert` is not
 * reachable here). Names follow `@std/assert` so tests read the same.
 *
 * @example
 * ```ts
 * import { assertEquals } from "./assert.ts";
 * assertEquals({ a: 1 }, { a: 1 });
 * ```
 * @module
 */
import assert from "node:assert/strict";

/** Deep, strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  assert.deepStrictEqual(actual, expected, message);
}

/** Asserts `value` is truthy. */
export function assertTrue(value: unknown, message?: string): asserts value {
  assert.ok(value, message);
}

/** Asserts `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  assert.ok(
    text.includes(part),
    message ?? `expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`,
  );
}

/** Asserts that `fn` rejects with an instance of `type` whose message includes `includes`. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  includes?: string,
): Promise<Error> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, "expected the promise to reject");
  assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`);
  if (includes !== undefined) assertStringIncludes((caught as Error).message, includes);
  return caught as Error;
}

/** Asserts that `fn` throws an instance of `type` whose message includes `includes`. */
export function assertThrows(
  fn: () => unknown,
  type: abstract new (...args: never[]) => Error,
  includes?: string,
): Error {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, "expected the function to throw");
  assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`);
  if (includes !== undefined) assertStringIncludes((caught as Error).message, includes);
  return caught as Error;
}
