/**
 * Long polling with confirmation after handling. Telegram forgets an update only when a later
 * `getUpdates` carries an offset above its id, so the poller asks for the next batch only after
 * `handle` has finished with the current one: an update whose handling did not finish (crash,
 * stop, `kill -9`) is delivered again. grammY's `bot.start()` hides this loop; we own it so the
 * runtime decides when an update counts as done and how 401 and 409 are treated, and so that a
 * `getUpdates` nobody answers is abandoned and asked again (a watchdog on the injected clock)
 * instead of stalling the tenant.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api } from "grammy";
 * import type { Update } from "grammy/types";
 * import { runPoller } from "./poller.ts";
 * import { nativeFetch } from "./native_fetch.ts";
 * import { Sandbox } from "../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot({ username: "shop_bot" });
 * const ann = sandbox.createUser({ firstName: "Ann" });
 * await ann.send(shop, "/start");
 *
 * const handled: Update[] = [];
 * const stop = new AbortController();
 * await runPoller({
 *   api: new Api(shop.token, { apiRoot: sandbox.apiRoot, fetch: nativeFetch }),
 *   allowedUpdates: ["message", "pre_checkout_query"],
 *   signal: stop.signal,
 *   handle: async (updates) => {
 *     handled.push(...updates);
 *     stop.abort(); // one batch is enough here
 *   },
 * });
 * assert.equal(handled[0].message?.text, "/start");
 * // Confirmed on the way out: a restart will not see it again.
 * assert.equal(shop.pendingUpdateCount, 0);
 * ```
 * @module
 */
import { type Api, GrammyError } from "grammy";
import type { Update } from "grammy/types";
import type { Logger } from "@logtape/logtape";
import { type Clock, systemClock } from "../../actors/kernel/clock.ts";
import { FatalError } from "../../actors/kernel/child.ts";
import { backoffDelay, type BackoffPolicy } from "../../actors/kernel/backoff.ts";
import { describeError } from "./describe_error.ts";
import { formatDuration } from "../observability/durations.ts";

/** The update kinds a Stars bot needs; sent explicitly so a webhook era setting cannot linger. */
export type AllowedUpdate = Exclude<keyof Update, "update_id">;

/**
 * grammY's npm build types its signals with the `abort-controller` shim; the object at run time
 * is the platform's `AbortSignal`, so the cast only bridges the two declarations.
 */
type GrammySignal = Parameters<Api["getUpdates"]>[1];

/** What {@linkcode runPoller} needs. */
export interface PollerOptions {
  api: Api;
  allowedUpdates: readonly AllowedUpdate[];
  /** Called with each batch; the batch is confirmed to Telegram only after this resolves. */
  handle(updates: Update[]): Promise<void>;
  signal: AbortSignal;
  clock?: Clock;
  logger?: Logger;
  random?: () => number;
  /** Long-poll duration. 30 s: long enough to keep idle bots cheap, short of common proxy cut-offs. */
  timeoutSeconds?: number;
  /** How long to wait after a 409 Conflict: another instance is polling, so retrying fast only
   * steals updates back and forth; start at 5 s and slow to a minute while it persists. */
  conflictBackoff?: BackoffPolicy;
  /** How long to wait after a network or server error: 1 s growing to 30 s. */
  errorBackoff?: BackoffPolicy;
  /**
   * How long past its own `timeout` a `getUpdates` may stay unanswered before the poller
   * abandons it and asks again: 15 s. A tenant's bot client has a shorter deadline of its own
   * (`call_deadline.ts`); this watchdog also covers an `api` without one, and waits inside the
   * client (the auto-retry plugin's), which no per-request deadline sees.
   */
  stallMarginMs?: number;
  /**
   * How long a `getUpdates` started now may last, in ms. A tenant on a lease (several instances)
   * passes the time left before its local deadline: each poll's `timeout` is cut so that it ends
   * a second before then, and none starts with less than two seconds left. The lease's next
   * renewal extends the window; a lost lease stops the poller through `signal`. Unbounded by
   * default.
   */
  windowMs?: () => number;
}

/** How long the poller waits for its window to grow again (a lease renewal) before looking. */
const WINDOW_RECHECK_MS = 250;

const conflictDefaults: BackoffPolicy = {
  minMs: 5_000,
  maxMs: 60_000,
  factor: 2,
  jitter: 0.2,
  resetAfterMs: 0,
};
const errorDefaults: BackoffPolicy = {
  minMs: 1_000,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
  resetAfterMs: 0,
};

/**
 * Polls until `signal` aborts, then confirms what was handled and resolves.
 * Throws {@linkcode FatalError} when Telegram rejects the token (401), and rethrows whatever
 * `handle` throws (its batch stays unconfirmed, so it is delivered again after a restart).
 */
export async function runPoller(options: PollerOptions): Promise<void> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const { api, signal, logger } = options;
  const timeoutSeconds = options.timeoutSeconds ?? 30;
  const stallMarginMs = options.stallMarginMs ?? 15_000;
  let offset: number | undefined;
  let conflicts = 0;
  let errors = 0;
  while (!signal.aborted) {
    let updates: Update[];
    const windowMs = options.windowMs?.() ?? Infinity;
    const timeout = Math.min(timeoutSeconds, Math.floor(windowMs / 1_000) - 1);
    if (timeout < 1 && timeout < timeoutSeconds) {
      if (await sleepOrStop(clock, WINDOW_RECHECK_MS, signal)) break;
      continue;
    }
    const watchdog = new Watchdog(clock, timeout * 1_000 + stallMarginMs);
    try {
      updates = await watchdog.watch((guarded) =>
        api.getUpdates({
          offset,
          timeout,
          allowed_updates: [...options.allowedUpdates],
        }, guarded), signal);
    } catch (error) {
      if (signal.aborted) break;
      if (watchdog.fired) {
        const delay = backoffDelay(options.errorBackoff ?? errorDefaults, errors++, random);
        logger?.warn(
          "getUpdates got no answer within {deadline}; abandoned it, asking again in {retryIn}.",
          {
            deadline: formatDuration(watchdog.ms),
            deadlineMs: watchdog.ms,
            retryIn: formatDuration(delay),
            delayMs: delay,
          },
        );
        if (await sleepOrStop(clock, delay, signal)) break;
        continue;
      }
      if (error instanceof GrammyError && error.error_code === 401) {
        throw new FatalError("Telegram rejected the bot token (401 Unauthorized)", {
          cause: error,
        });
      }
      let delay: number;
      if (error instanceof GrammyError && error.error_code === 409) {
        delay = backoffDelay(options.conflictBackoff ?? conflictDefaults, conflicts++, random);
        logger?.warn(
          "Another poller or a webhook holds this bot (409 Conflict: {description}); retrying in {retryIn}.",
          { description: error.description, retryIn: formatDuration(delay), delayMs: delay },
        );
      } else {
        const retryAfter = error instanceof GrammyError ? error.parameters.retry_after : undefined;
        delay = retryAfter !== undefined
          ? retryAfter * 1000
          : backoffDelay(options.errorBackoff ?? errorDefaults, errors++, random);
        logger?.warn("getUpdates failed ({error}); retrying in {retryIn}.", {
          error: describeError(error),
          retryIn: formatDuration(delay),
          delayMs: delay,
        });
      }
      if (await sleepOrStop(clock, delay, signal)) break;
      continue;
    }
    conflicts = 0;
    errors = 0;
    if (updates.length === 0) continue;
    await options.handle(updates);
    offset = updates[updates.length - 1].update_id + 1;
  }
  // Not once the window has closed (a lease lost): the tenant's new owner is polling by now, and
  // a call from here would cut its long poll short (409). It confirms what was handled anyway.
  const mayPoll = (options.windowMs?.() ?? Infinity) > 0;
  if (offset !== undefined && mayPoll) {
    await confirm(api, offset, new Watchdog(clock, stallMarginMs), logger);
  }
}

/** Waits `delay` ms; true when the poller was stopped meanwhile. */
async function sleepOrStop(clock: Clock, delay: number, signal: AbortSignal): Promise<boolean> {
  try {
    await clock.sleep(delay, signal);
    return false;
  } catch {
    return true;
  }
}

/** Abandons one `getUpdates` that gets no answer within `ms` on the clock. */
class Watchdog {
  readonly ms: number;
  readonly #clock: Clock;
  readonly #controller = new AbortController();

  constructor(clock: Clock, ms: number) {
    this.ms = ms;
    this.#clock = clock;
  }

  /** Whether the call was abandoned for taking too long. */
  get fired(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Runs `call` with a signal that aborts when the time is up, or when `signal` (a stop) does. */
  async watch<T>(call: (signal: GrammySignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const own = this.#controller.signal;
    const timer = this.#clock.setTimeout(() => this.#controller.abort(), this.ms);
    try {
      return await call((signal ? AbortSignal.any([signal, own]) : own) as unknown as GrammySignal);
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }
}

/** Tells Telegram the last handled batch is done, so a clean restart does not see it again. */
async function confirm(
  api: Api,
  offset: number,
  watchdog: Watchdog,
  logger?: Logger,
): Promise<void> {
  try {
    await watchdog.watch((guarded) => api.getUpdates({ offset, limit: 1, timeout: 0 }, guarded));
  } catch (error) {
    // Not fatal: the batch will be delivered again and handling is idempotent.
    logger?.warn("Could not confirm handled updates on stop: {error}", {
      error: watchdog.fired ? `no answer within ${watchdog.ms} ms` : describeError(error),
    });
  }
}
