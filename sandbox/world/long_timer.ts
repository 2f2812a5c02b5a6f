/**
 * A timer for an absolute time on a {@linkcode Clock}, however far away. Platform timers
 * overflow past 2^31−1 ms (~24.8 days) and fire at once, which would renew a 30-day Stars
 * subscription immediately; long waits are therefore split into steps that re-arm.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scheduleAt } from "./long_timer.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 *
 * const thirtyDays = 30 * 86_400_000; // past what one platform timer can wait
 * const clock = new ManualClock(0);
 * let renewed = false;
 * scheduleAt(clock, thirtyDays, () => (renewed = true));
 * await clock.advance(thirtyDays - 1);
 * assert.equal(renewed, false);
 * await clock.advance(1);
 * assert.equal(renewed, true);
 * ```
 * @module
 */

import type { Clock, TimerId } from "../../actors/kernel/clock.ts";

const MAX_DELAY_MS = 2_147_483_647;

/** A pending {@linkcode scheduleAt} timer. */
export interface LongTimer {
  cancel(): void;
}

/** Calls `fn` once when `clock.now()` reaches `atMs`. */
export function scheduleAt(clock: Clock, atMs: number, fn: () => void): LongTimer {
  let id: TimerId;
  const arm = () => {
    const delay = atMs - clock.now();
    id = delay > MAX_DELAY_MS ? clock.setTimeout(arm, MAX_DELAY_MS) : clock.setTimeout(fn, delay);
  };
  arm();
  return { cancel: () => clock.clearTimeout(id) };
}
