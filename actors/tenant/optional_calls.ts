/**
 * Runs a tenant's optional calls (`adapters/telegram/optional_call.ts`) in the background once it
 * serves, and keeps retrying each one that fails, with backoff: 5 s doubling to 10 min, jittered
 * so that many tenants behind one failing server do not retry in step. It never gives up — a
 * server that lags behind Telegram may learn the method with its next upgrade — but at ten
 * minutes a call that can never work costs 144 requests a day. Each failing call is listed by
 * {@linkcode OptionalCalls.failures} for `/status`; the first failure is logged as a warning,
 * the retries only at debug level, and a call that goes through after failing is logged once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getLogger } from "@logtape/logtape";
 * import { ManualClock } from "../kernel/clock.ts";
 * import { OptionalCalls } from "./optional_calls.ts";
 *
 * const clock = new ManualClock(0);
 * let serverKnowsIt = false;
 * const calls = new OptionalCalls({
 *   clock,
 *   random: () => 0,
 *   logger: getLogger(["example"]),
 *   describe: (error) => (error as Error).message,
 * });
 * calls.add({
 *   name: "setMyCommands (default scope)",
 *   run: () => serverKnowsIt ? Promise.resolve(true) : Promise.reject(new Error("500 no")),
 * });
 * assert.deepEqual(calls.failures(), []); // nothing runs before start()
 * calls.start();
 * await clock.advance(0);
 * assert.deepEqual(calls.failures(), [{
 *   call: "setMyCommands (default scope)",
 *   error: "500 no",
 *   attempts: 1,
 *   failingSince: 0,
 *   nextAttemptAt: 5_000,
 * }]);
 * serverKnowsIt = true;
 * await clock.advance(5_000);
 * assert.deepEqual(calls.failures(), []);
 * calls.stop();
 * ```
 * @module
 */
import { FairBudget } from "../kernel/fair_budget.ts";
import type { Logger } from "@logtape/logtape";
import { backoffDelay, type BackoffPolicy } from "../kernel/backoff.ts";
import type { Clock } from "../kernel/clock.ts";
import type { OptionalCall } from "../../adapters/telegram/optional_call.ts";

/** One optional call that keeps failing, as `/status` shows it. */
export interface OptionalCallFailure {
  /** The call's name: `setMyCommands (chat 42, ru)`. */
  readonly call: string;
  /** What the last attempt failed with, one line. */
  readonly error: string;
  /** Attempts so far, all failed. */
  readonly attempts: number;
  /** When the first attempt failed, in clock ms. */
  readonly failingSince: number;
  /** When the next attempt is due, in clock ms. */
  readonly nextAttemptAt: number;
}

/** What {@linkcode OptionalCalls} needs. */
export interface OptionalCallsOptions {
  clock: Clock;
  /** The jitter's randomness, returning [0, 1]. */
  random: () => number;
  logger: Logger;
  /** One line, without secrets, for what a call threw (`describeError`). */
  describe: (error: unknown) => string;
  /** How retries are spaced; see the module doc for the default. */
  backoff?: BackoffPolicy;
  /**
   * The process's budget of optional calls in flight, shared by every tenant
   * ({@linkcode optionalCallBudget}); without one, a tenant's calls all go at once.
   */
  budget?: OptionalCallBudget;
}

/** Optional calls in flight across the process; each tenant's {@linkcode OptionalCalls} is one owner. */
export type OptionalCallBudget = FairBudget<object>;

/**
 * The process's budget of optional calls: **4 in flight, one per tenant at a time.** A thousand
 * tenants starting together would otherwise send their four or five menu registrations each
 * while the others still wait for their `getMe` and first `getUpdates` — the menu is cosmetic,
 * serving is not, and those calls took a tenth of the start-up's CPU and pushed the last
 * tenant's first poll back (BENCHMARKS.md, issue 15). Taken in turn, the menus follow right
 * after; four keep a round trip to Telegram (some 50 ms) from making them crawl.
 */
export function optionalCallBudget(): OptionalCallBudget {
  return new FairBudget<object>({ total: 4, perOwner: 1 });
}

/** See the module doc. */
export const OPTIONAL_CALL_BACKOFF: BackoffPolicy = Object.freeze({
  minMs: 5_000,
  maxMs: 600_000,
  factor: 2,
  jitter: 0.2,
  resetAfterMs: 0,
});

/** A tenant's optional calls: collected while it starts, run once it serves. */
export class OptionalCalls {
  readonly #options: OptionalCallsOptions;
  readonly #stop = new AbortController();
  readonly #waiting: { call: OptionalCall; error?: { thrown: unknown } }[] = [];
  readonly #failures = new Map<string, OptionalCallFailure>();
  #started = false;

  constructor(options: OptionalCallsOptions) {
    this.#options = options;
  }

  /** Adds a call; it runs at {@linkcode start}, or at once when already started. */
  add(call: OptionalCall): void {
    this.#enqueue(call);
  }

  /**
   * Adds a call that already failed once, with `error`, while the tenant started: it counts as
   * failing from now on, and its first retry waits a backoff step.
   */
  retryLater(call: OptionalCall, error: unknown): void {
    this.#enqueue(call, { thrown: error });
  }

  #enqueue(call: OptionalCall, error?: { thrown: unknown }): void {
    if (this.#started) void this.#keepTrying(call, error);
    else this.#waiting.push({ call, error });
  }

  /** Runs every call added so far, and those added later as they come. */
  start(): void {
    if (this.#started || this.#stop.signal.aborted) return;
    this.#started = true;
    for (const { call, error } of this.#waiting.splice(0)) void this.#keepTrying(call, error);
  }

  /** Aborts the calls in flight and every retry; nothing runs afterwards. */
  stop(): void {
    this.#stop.abort();
  }

  /** The calls failing now, by name. */
  failures(): OptionalCallFailure[] {
    return [...this.#failures.values()].sort((a, b) => (a.call < b.call ? -1 : 1));
  }

  /** Tries `call` until it goes through or the tenant stops; never rejects. */
  async #keepTrying(call: OptionalCall, startupError?: { thrown: unknown }): Promise<void> {
    const { clock, logger } = this.#options;
    const signal = this.#stop.signal;
    let attempts = 0;
    if (startupError) {
      attempts = 1;
      this.#failed(call, startupError.thrown, attempts);
    }
    while (!signal.aborted) {
      if (attempts > 0) {
        try {
          await clock.sleep(this.#failures.get(call.name)!.nextAttemptAt - clock.now(), signal);
        } catch {
          return; // stopped while waiting
        }
      }
      try {
        using _permit = await this.#options.budget?.acquire(this, signal);
        await call.run(signal);
      } catch (error) {
        if (signal.aborted) return;
        attempts++;
        this.#failed(call, error, attempts);
        continue;
      }
      if (attempts > 0) {
        logger.info("{call} went through after {attempts} failed attempt(s).", {
          call: call.name,
          attempts,
        });
      }
      this.#failures.delete(call.name);
      return;
    }
  }

  #failed(call: OptionalCall, error: unknown, attempts: number): void {
    const { clock, random, logger, describe } = this.#options;
    const policy = this.#options.backoff ?? OPTIONAL_CALL_BACKOFF;
    const now = clock.now();
    const failure: OptionalCallFailure = {
      call: call.name,
      error: describe(error),
      attempts,
      failingSince: this.#failures.get(call.name)?.failingSince ?? now,
      nextAttemptAt: now + backoffDelay(policy, attempts - 1, random),
    };
    this.#failures.set(call.name, failure);
    const properties = { call: call.name, error: failure.error, attempts };
    if (attempts === 1) {
      logger.warn(
        "{call} failed ({error}); the bot serves without it, and it is retried in the background.",
        properties,
      );
    } else logger.debug("{call} failed again ({error}); attempt {attempts}.", properties);
  }
}
