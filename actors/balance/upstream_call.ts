/**
 * How the BalanceActor makes one upstream call for one tenant: it waits out a flood wait
 * Telegram imposed earlier, bounds the call by a timeout, and when Telegram answers with a flood
 * wait it remembers it, so that session's next call waits until the wait is over.
 *
 * Flood waits are kept per upstream session (MTProto and the Bot API are separate connections
 * with separate limits): an MTProto flood wait leaves the Bot API free, so the balance chain can
 * still get a fresh value from it.
 *
 * @example A short flood wait is slept on the clock, then the call is made again
 * ```ts
 * import assert from "node:assert/strict";
 * import { UpstreamCaller } from "./upstream_call.ts";
 * import { ManualClock } from "../kernel/clock.ts";
 * import { FloodWaitError } from "../../money/bot_stars/types.ts";
 *
 * const clock = new ManualClock(0);
 * const gates = { mtproto: 0, bot_api: 0 };
 * const caller = new UpstreamCaller({
 *   clock,
 *   callTimeoutMs: 10_000,
 *   floodWaitMaxMs: 60_000,
 *   signal: new AbortController().signal,
 *   gates,
 * });
 * let calls = 0;
 * const getMyStarBalance = () =>
 *   ++calls === 1 ? Promise.reject(new FloodWaitError(3, "getMyStarBalance")) : Promise.resolve(5);
 *
 * const balance = caller.call("bot_api", "getMyStarBalance", getMyStarBalance);
 * await clock.advance(3_000);
 * assert.equal(await balance, 5);
 * assert.equal(calls, 2);
 * assert.deepEqual(gates, { mtproto: 0, bot_api: 3_000 });
 *
 * // A wait longer than floodWaitMaxMs fails at once, without calling; other sessions are free.
 * gates.bot_api = clock.now() + 120_000;
 * const refused = caller.call("bot_api", "getMyStarBalance", getMyStarBalance);
 * await assert.rejects(refused, FloodWaitError);
 * assert.equal(calls, 2);
 * assert.equal(await caller.call("mtproto", "getStarsStatus", () => Promise.resolve(6)), 6);
 * ```
 * @module
 */
import type { Clock } from "../kernel/clock.ts";
import { FloodWaitError, UpstreamTimeoutError } from "../../money/bot_stars/types.ts";

/** An upstream connection of a tenant; flood waits apply to one session. */
export type UpstreamSession = "mtproto" | "bot_api";

/** Per session, the clock time before which no call may be made (0: no flood wait). */
export type FloodGates = Record<UpstreamSession, number>;

/** What an {@linkcode UpstreamCaller} needs. */
export interface UpstreamCallerOptions {
  clock: Clock;
  /** Longest wait for one call's answer; then its signal aborts with `UpstreamTimeoutError`. */
  callTimeoutMs: number;
  /** Longest flood wait that is slept; a longer one fails the call at once. */
  floodWaitMaxMs: number;
  /** Aborts every wait and call (the tenant was unregistered or the actor stops). */
  signal: AbortSignal;
  /** The tenant's flood gates; updated in place when Telegram imposes a wait. */
  gates: FloodGates;
}

/**
 * Makes the calls of one job of one tenant. The job owns `gates` while it runs (the actor runs
 * one job per tenant at a time) and hands them back to the actor when it completes.
 */
export class UpstreamCaller {
  readonly #options: UpstreamCallerOptions;

  constructor(options: UpstreamCallerOptions) {
    this.#options = options;
  }

  /**
   * Calls `fn` on `session`, named `name` in errors. A flood wait in force is slept first if it
   * is at most `floodWaitMaxMs`. When the call itself answers with such a short flood wait, it is
   * made once more after the wait; a second flood wait, or a longer one, is thrown, so a job
   * never loops on a bot that Telegram keeps slowing down.
   *
   * @throws {FloodWaitError} when the session must wait longer than `floodWaitMaxMs`, without
   * calling, or when the call answers with a flood wait that cannot be waited out.
   * @throws {UpstreamTimeoutError} when the call gave no answer within `callTimeoutMs`.
   * @throws the call's own error, or the signal's reason when the signal aborts.
   */
  async call<T>(
    session: UpstreamSession,
    name: string,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const { clock, floodWaitMaxMs, gates } = this.#options;
    for (let attempt = 1;; attempt++) {
      await this.#waitForGate(session, name);
      try {
        return await this.#callWithTimeout(name, fn);
      } catch (error) {
        if (!(error instanceof FloodWaitError)) throw error;
        const waitMs = error.seconds * 1_000;
        gates[session] = Math.max(gates[session], clock.now() + waitMs);
        if (attempt > 1 || waitMs > floodWaitMaxMs) throw error;
      }
    }
  }

  async #waitForGate(session: UpstreamSession, name: string): Promise<void> {
    const { clock, floodWaitMaxMs, gates, signal } = this.#options;
    const remainingMs = gates[session] - clock.now();
    if (remainingMs <= 0) return;
    if (remainingMs > floodWaitMaxMs) {
      throw new FloodWaitError(
        Math.ceil(remainingMs / 1_000),
        `${name} not called: the flood wait still in force is longer than floodWaitMaxMs ` +
          `(${floodWaitMaxMs} ms)`,
      );
    }
    await clock.sleep(remainingMs, signal);
  }

  async #callWithTimeout<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { clock, callTimeoutMs, signal: outer } = this.#options;
    outer.throwIfAborted();
    const controller = new AbortController();
    const forward = () => controller.abort(outer.reason);
    outer.addEventListener("abort", forward, { once: true });
    const timer = clock.setTimeout(
      () => controller.abort(new UpstreamTimeoutError(name, callTimeoutMs)),
      callTimeoutMs,
    );
    // Racing the abort means an upstream that ignores its signal still cannot hold the job.
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), {
        once: true,
      });
    });
    try {
      return await Promise.race([fn(controller.signal), aborted]);
    } finally {
      clock.clearTimeout(timer);
      outer.removeEventListener("abort", forward);
    }
  }
}
