/**
 * Calls for the same key while one is under way share it: the first caller's work runs, the
 * others get its promise. Once it settles the key is free again, so a later call runs afresh —
 * nothing is cached. For work that many callers may ask for at once and that must not run twice
 * at the same time, or need not (a console refund double-clicked; a thousand tenants of one plugin
 * file checking its folder as they start together).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SingleFlight } from "./single_flight.ts";
 *
 * const flights = new SingleFlight<string, number>();
 * let runs = 0;
 * const work = () => Promise.resolve(++runs);
 * const [a, b] = [flights.run("k", work), flights.run("k", work)];
 * assert.equal(a, b);
 * assert.equal(await a, 1);
 * assert.equal(await flights.run("k", work), 2); // settled: runs afresh
 * ```
 * @module
 */

/** See the module doc. */
export class SingleFlight<K, V> {
  readonly #running = new Map<K, Promise<V>>();

  /** `work()`, or the promise of the call for `key` still under way. */
  run(key: K, work: () => Promise<V>): Promise<V> {
    const running = this.#running.get(key);
    if (running !== undefined) return running;
    const flight = work().finally(() => this.#running.delete(key));
    this.#running.set(key, flight);
    return flight;
  }
}
