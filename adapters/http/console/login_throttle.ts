/**
 * Slows down guessing `ADMIN_TOKEN`: each client address gets 5 failed logins per 15 minutes,
 * and all clients together 50, after which logins are refused (429 with `Retry-After`) until the
 * window moves on. The global limit holds when an attacker spreads guesses over many
 * addresses; a correct login is never counted, and clears its address's failures.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../../../actors/kernel/clock.ts";
 * import { LoginThrottle } from "./login_throttle.ts";
 *
 * const clock = new ManualClock(0);
 * const throttle = new LoginThrottle(clock);
 * for (let i = 0; i < 5; i++) {
 *   assert.equal(throttle.retryAfterMs("10.0.0.1"), 0);
 *   throttle.failed("10.0.0.1");
 * }
 * assert(throttle.retryAfterMs("10.0.0.1") > 0);
 * assert.equal(throttle.retryAfterMs("10.0.0.2"), 0); // another address is not held back
 * await clock.advance(15 * 60_000);
 * assert.equal(throttle.retryAfterMs("10.0.0.1"), 0);
 * ```
 * @module
 */
import type { Clock } from "../../../actors/kernel/clock.ts";

const windowMs = 15 * 60_000;
const perAddress = 5;
const overall = 50;
const everyone = "*";

/** Failed logins per address over a sliding window; see the module doc. */
export class LoginThrottle {
  readonly #clock: Clock;
  readonly #failures = new Map<string, number[]>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** 0 when `address` may try to log in now, else how long it must wait. */
  retryAfterMs(address: string): number {
    return Math.max(this.#wait(address, perAddress), this.#wait(everyone, overall));
  }

  /** Counts a failed login of `address`. */
  failed(address: string): void {
    for (const key of [address, everyone]) {
      const times = this.#recent(key);
      times.push(this.#clock.now());
      this.#failures.set(key, times);
    }
  }

  /** A correct login: its address starts afresh. */
  succeeded(address: string): void {
    this.#failures.delete(address);
  }

  #wait(key: string, limit: number): number {
    const times = this.#recent(key);
    if (times.length < limit) return 0;
    return times[times.length - limit] + windowMs - this.#clock.now();
  }

  #recent(key: string): number[] {
    const since = this.#clock.now() - windowMs;
    const times = (this.#failures.get(key) ?? []).filter((at) => at > since);
    if (times.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, times);
    return times;
  }
}
