/**
 * A deadline on every Bot API call a tenant's bot makes. grammY waits 500 seconds by default, so a
 * call Telegram (or a proxy on the way) never answers would hold a handler, the poller or a
 * receipt for minutes. This grammY transformer gives each call a few seconds, and a long poll its
 * own `timeout` plus a margin, then aborts the request and throws grammY's `HttpError`, which
 * `bot_api_failure.ts` reads as "no answer" (`unreachable`, `timedOut`).
 *
 * It runs on the injected clock, so tests expire a deadline without waiting for it. Each attempt
 * of the auto-retry plugin (installed after it, so around it) gets a deadline of its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api, HttpError } from "grammy";
 * import { callDeadlines, CallDeadlineExceeded } from "./call_deadline.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { nativeFetch } from "./native_fetch.ts";
 * import { Sandbox } from "../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot();
 * const clock = new ManualClock(0);
 * const api = new Api(shop.token, { apiRoot: sandbox.apiRoot, fetch: nativeFetch });
 * api.config.use(callDeadlines(clock, { callMs: 5_000, longPollMarginMs: 5_000 }));
 *
 * sandbox.hangNext(shop.token, "getMe");
 * const hung = api.getMe().catch((error) => error);
 * // Wait until the sandbox holds the call, so the deadline (not the hang) is what ends it.
 * while (!shop.calls.some((call) => call.fault === "hang")) {
 *   await new Promise((resolve) => setTimeout(resolve, 1));
 * }
 * await clock.advance(5_000); // the deadline passes without a real wait
 * const error = await hung;
 * assert.ok(error instanceof HttpError && error.error instanceof CallDeadlineExceeded);
 * assert.equal((await api.getMe()).id, shop.id);
 * ```
 * @module
 */
import { HttpError, type Transformer } from "grammy";
import type { Clock } from "../../actors/kernel/clock.ts";
import type { DirectCall } from "./direct_calls.ts";

/** How long a Bot API call may take before it is abandoned. */
export interface BotApiDeadlines {
  /**
   * Any call but a long poll. Telegram answers in well under a second; ten seconds leaves room
   * for a slow moment and still frees a handler or a receipt long before anyone gives up on it.
   */
  callMs: number;
  /**
   * Added to a `getUpdates` call's own long-poll `timeout`: Telegram answers an idle long poll
   * only when that runs out, and the answer still has to travel.
   */
  longPollMarginMs: number;
}

/** The deadlines of the runtime; see {@linkcode BotApiDeadlines}. */
export const BOT_API_DEADLINES: Readonly<BotApiDeadlines> = Object.freeze({
  callMs: 10_000,
  longPollMarginMs: 10_000,
});

/** Why a call was abandoned: the cause inside the `HttpError` the call throws. */
export class CallDeadlineExceeded extends Error {
  readonly method: string;
  readonly deadlineMs: number;

  constructor(method: string, deadlineMs: number) {
    super(`Bot API call ${method} got no answer within ${deadlineMs} ms`);
    this.name = "CallDeadlineExceeded";
    this.method = method;
    this.deadlineMs = deadlineMs;
  }
}

/** The deadline of one call: a long poll's own timeout plus the margin, or the plain deadline. */
export function deadlineOf(
  method: string,
  payload: unknown,
  deadlines: Readonly<BotApiDeadlines>,
): number {
  if (method !== "getUpdates") return deadlines.callMs;
  const timeout = (payload as { timeout?: unknown } | undefined)?.timeout;
  const seconds = typeof timeout === "number" && timeout > 0 ? timeout : 0;
  return seconds * 1_000 + deadlines.longPollMarginMs;
}

/** grammY's npm build declares its signals with a polyfill's type; at run time they are real. */
type GrammySignal = Parameters<Transformer>[3];

/**
 * The transformer; install it first (`api.config.use`), so that retrying transformers wrap it
 * and each of their attempts gets its own deadline. With `direct` (`direct_calls.ts`) it sends
 * the calls itself under that deadline, and only those `direct` declines (file uploads) go on
 * to grammY's client.
 *
 * @throws {RangeError} when a deadline is not a positive number of milliseconds.
 */
export function callDeadlines(
  clock: Clock,
  deadlines: Readonly<BotApiDeadlines> = BOT_API_DEADLINES,
  direct?: DirectCall,
): Transformer {
  for (const [name, value] of Object.entries(deadlines)) {
    if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) {
      throw new RangeError(
        `Bot API deadline ${name} must be a positive number of ms, got ${value}`,
      );
    }
  }
  return async (prev, method, payload, signal) => {
    const deadlineMs = deadlineOf(method, payload, deadlines);
    const outer = signal as AbortSignal | undefined;
    const controller = new AbortController();
    const forward = () => controller.abort(outer?.reason);
    if (outer?.aborted) forward();
    else outer?.addEventListener("abort", forward, { once: true });
    let expired = false;
    const timer = clock.setTimeout(() => {
      expired = true;
      controller.abort();
    }, deadlineMs);
    try {
      // The answer is the Bot API's for `method`, which is what `prev` would resolve with.
      const sent = direct?.(method, payload, controller.signal) as
        | ReturnType<typeof prev>
        | undefined;
      return await (sent ?? prev(method, payload, controller.signal as GrammySignal));
    } catch (error) {
      if (!expired) throw error;
      throw new HttpError(
        `Network request for '${method}' failed! No answer within ${deadlineMs} ms.`,
        new CallDeadlineExceeded(method, deadlineMs),
      );
    } finally {
      clock.clearTimeout(timer);
      outer?.removeEventListener("abort", forward);
    }
  };
}
