/**
 * Time, injected. Everything in the runtime that waits (backoff, ask timeouts, TTLs, expiries)
 * asks a {@linkcode Clock} instead of the global timers, so tests drive time with a
 * {@linkcode ManualClock} and run in milliseconds instead of minutes.
 *
 * @example Five seconds of sleep, passed in no time
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "./clock.ts";
 *
 * const clock = new ManualClock(0);
 * let woke = false;
 * const slept = clock.sleep(5_000).then(() => (woke = true));
 * await clock.advance(4_999);
 * assert.equal(woke, false);
 * await clock.advance(1);
 * await slept;
 * assert.equal(woke, true);
 * assert.equal(clock.now(), 5_000);
 * assert.equal(clock.pendingTimers, 0);
 * ```
 * @module
 */

/** An opaque timer handle returned by {@linkcode Clock.setTimeout}. */
export type TimerId = number | ReturnType<typeof setTimeout>;

/** A source of the current time and of timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerId;
  /** Cancels a timer; unknown or fired ids are ignored. */
  clearTimeout(id: TimerId): void;
  /** Resolves after `ms`; rejects with the signal's reason when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(id);
      reject(signal!.reason);
    };
    const id = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The real clock: `Date.now` and the global timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (id) => clearTimeout(id as number),
  sleep(ms, signal) {
    return sleepWith(systemClock, ms, signal);
  },
};

interface PendingTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in time order during
 * {@linkcode ManualClock.advance}, and pending promise callbacks run between them, so code
 * that reschedules itself (a backoff loop) behaves as it would in real time.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: PendingTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    this.#timers.push({ id, at: this.#now + Math.max(0, ms), fn });
    this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** How many timers are waiting; lets tests assert that nothing was scheduled. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** The time of the earliest pending timer, or `undefined`. */
  nextTimerAt(): number | undefined {
    return this.#timers[0]?.at;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushMicrotasks();
    while (this.#timers.length > 0 && this.#timers[0].at <= target) {
      const timer = this.#timers.shift()!;
      this.#now = timer.at;
      timer.fn();
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }
}

/**
 * Lets every already-settled promise chain run. A macrotask boundary is the only reliable way:
 * a fixed number of `await`s misses chains that are longer than that number.
 */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
