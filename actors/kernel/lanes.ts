/**
 * Per-key serial execution: tasks with the same key run one after another in the order they were
 * added; tasks with different keys run concurrently. A tenant keys updates by user, so one user's
 * messages are handled in order while a slow handler for one user never delays another.
 *
 * The number of tasks waiting or running is bounded: {@linkcode Lanes.add} waits for room, which
 * pushes back on the poller instead of buffering without limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Lanes } from "./lanes.ts";
 *
 * const lanes = new Lanes({ capacity: 100 });
 * const log: string[] = [];
 * const slow = Promise.withResolvers<void>();
 * await lanes.add("ann", async () => {
 *   await slow.promise;
 *   log.push("ann 1");
 * });
 * await lanes.add("ann", async () => void log.push("ann 2"));
 * await lanes.add("bob", async () => void log.push("bob 1"));
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * // Bob's task did not wait for Ann's slow one; Ann's second waits for her first.
 * assert.deepEqual(log, ["bob 1"]);
 * slow.resolve();
 * await lanes.drain();
 * assert.deepEqual(log, ["bob 1", "ann 1", "ann 2"]);
 * assert.equal(lanes.size, 0);
 * ```
 * @module
 */

/** What a lane reports when a task throws; the task's lane carries on with the next task. */
export type LaneErrorHandler = (error: unknown, key: string | number) => void;

interface Lane {
  tail: Promise<void>;
  pending: number;
}

/** A set of serial lanes, one per key, with a shared bound. */
export class Lanes {
  readonly #lanes = new Map<string | number, Lane>();
  readonly #capacity: number;
  readonly #onError: LaneErrorHandler;
  #size = 0;
  #roomWaiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];

  /**
   * `capacity` bounds tasks waiting or running across all lanes (default 1000: a burst of updates
   * fits, while a stuck handler shows up as backpressure rather than memory growth).
   */
  constructor(options: { capacity?: number; onError?: LaneErrorHandler } = {}) {
    this.#capacity = options.capacity ?? 1000;
    if (!Number.isInteger(this.#capacity) || this.#capacity < 1) {
      throw new RangeError(`Lanes capacity must be an integer ≥ 1, got ${options.capacity}`);
    }
    this.#onError = options.onError ?? ((error) => console.error(error));
  }

  /** Tasks waiting or running. */
  get size(): number {
    return this.#size;
  }

  /**
   * Queues `task` on lane `key`; resolves once it is queued (not when it has run), waiting while
   * the lanes are full.
   */
  async add(key: string | number, task: () => Promise<void>): Promise<void> {
    while (this.#size >= this.#capacity) {
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
    }
    this.#size++;
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = { tail: Promise.resolve(), pending: 0 };
      this.#lanes.set(key, lane);
    }
    lane.pending++;
    const current = lane;
    current.tail = current.tail.then(async () => {
      try {
        await task();
      } catch (error) {
        this.#onError(error, key);
      } finally {
        this.#finish(key, current);
      }
    });
  }

  #finish(key: string | number, lane: Lane): void {
    this.#size--;
    if (--lane.pending === 0) this.#lanes.delete(key);
    this.#roomWaiters.shift()?.();
    if (this.#size === 0) { for (const wake of this.#idleWaiters.splice(0)) wake(); }
  }

  /** Resolves when every queued task has run. */
  drain(): Promise<void> {
    if (this.#size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
