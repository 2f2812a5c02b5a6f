/**
 * Waiting on real time for what a test cannot await directly: a subprocess, an HTTP round
 * trip, a poll loop. The wait ends as soon as the condition holds; the timeout only turns a
 * hang into a failure that says what never happened.
 *
 * @example
 * ```ts ignore
 * await waitUntil("two updates", () => seen.length === 2);
 * ```
 * @module
 */

/**
 * Polls `check` every 10 ms until it returns something other than `undefined` or `false`, and
 * returns that; throws after `timeoutMs` (real time) saying what was awaited.
 *
 * @example
 * ```ts ignore
 * const rows = await waitUntil("the refund", async () => {
 *   const rows = await paymentRows(db, "shop");
 *   return rows.some((row) => row.refunded) && rows;
 * });
 * ```
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
