/**
 * The vocabulary of the bot Stars balance: what the {@link ../../actors/balance/balance_actor.ts | BalanceActor} answers,
 * what its upstreams (GramJS over MTProto, grammY over the Bot API) must implement, and the
 * errors both sides throw. Kept apart from the actor so adapters can implement the upstreams
 * without importing the actor.
 *
 * @example An upstream that Telegram asked to slow down
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BotApiBalanceUpstream, FloodWaitError } from "./types.ts";
 *
 * const botApi: BotApiBalanceUpstream = {
 *   getMyStarBalance: () => Promise.reject(new FloodWaitError(3, "getMyStarBalance")),
 *   getStarTransactions: () => Promise.resolve({ transactions: [] }),
 * };
 * const signal = new AbortController().signal;
 * await assert.rejects(botApi.getMyStarBalance(signal), (error) => {
 *   assert(error instanceof FloodWaitError);
 *   assert.equal(error.seconds, 3);
 *   return true;
 * });
 * assert.deepEqual(await botApi.getStarTransactions(0, 100, signal), { transactions: [] });
 * ```
 * @module
 */
import type { StarTransaction } from "grammy/types";

export type { StarTransaction };

/**
 * A Stars amount as Telegram reports it (the Bot API's `StarAmount`): whole Stars plus
 * nanostars, both negative when the balance is (Telegram allows a negative balance after a
 * chargeback).
 */
export interface StarAmount {
  amount: number;
  nanostarAmount?: number;
}

/**
 * Where a balance came from: MTProto `payments.getStarsStatus` with the bot as `InputPeerSelf`
 * or as `InputPeerUser`, the Bot API's `getMyStarBalance`, or the last value read from any of
 * those (persisted, so it survives restarts).
 */
export type BalanceSource = "mtproto_self" | "mtproto_user" | "bot_api" | "last_known";

/** A source that asks Telegram, as opposed to `last_known`. */
export type UpstreamBalanceSource = Exclude<BalanceSource, "last_known">;

/** A step of the balance fallback chain that gave no value, and why. */
export interface SkippedStep {
  source: BalanceSource;
  reason: string;
}

/**
 * The bot's Stars balance as the BalanceActor answers it. `fetchedAt` is when Telegram gave the
 * value (clock milliseconds) and `ageMs` how long ago that was when this answer was made.
 * `stale` is true when the value is not a current reading: the fallback chain failed and the last
 * known value is served instead (`source: "last_known"`). `skipped` lists the steps of the chain
 * that gave no value, in order, with the reason.
 */
export interface StarBalance {
  amount: number;
  nanostarAmount: number;
  source: BalanceSource;
  fetchedAt: number;
  ageMs: number;
  stale: boolean;
  skipped: SkippedStep[];
}

/**
 * The MTProto side, implemented by the GramJS adapter (`adapters/mtproto/gramjs_upstream.ts`). It throws
 * {@linkcode FloodWaitError} for `FLOOD_WAIT_X` and gives up when `signal` aborts.
 */
export interface MtprotoBalanceUpstream {
  /** payments.getStarsStatus with InputPeerSelf ("self") or InputPeerUser of the bot ("user"). */
  getStarsStatus(peer: "self" | "user", signal: AbortSignal): Promise<StarAmount>;
}

/**
 * The Bot API side: the tenant passes wrappers over grammY's `bot.api` that convert the answers
 * to {@linkcode StarAmount} and a `429 Too Many Requests` into {@linkcode FloodWaitError}
 * (`adapters/telegram/bot_api_balance.ts`).
 */
export interface BotApiBalanceUpstream {
  getMyStarBalance(signal: AbortSignal): Promise<StarAmount>;
  getStarTransactions(
    offset: number,
    limit: number,
    signal: AbortSignal,
  ): Promise<{ transactions: StarTransaction[] }>;
}

/**
 * One bot as the BalanceActor knows it. `cacheTtlMs` comes from the tenant file's
 * `balance.cacheTtlSeconds`; `mtproto` is absent when the tenant has no MTProto credentials.
 */
export interface BalanceTenant {
  id: string;
  cacheTtlMs: number;
  botApi: BotApiBalanceUpstream;
  mtproto?: MtprotoBalanceUpstream;
}

/**
 * One page of the bot's Stars transactions, as `getStarTransactions` returned it for `offset`
 * and `limit`; `fetchedAt` and `ageMs` as in {@linkcode StarBalance}.
 */
export interface TransactionsPage {
  transactions: StarTransaction[];
  offset: number;
  limit: number;
  fetchedAt: number;
  ageMs: number;
}

/**
 * Telegram asked to wait `seconds` before calling again: GramJS `FLOOD_WAIT_X`, or a Bot API
 * `429` with `retry_after`. Upstreams throw it; the BalanceActor holds back that tenant's calls
 * until the wait is over.
 *
 * The second argument is either a short detail (which method, which upstream) or the
 * `ErrorOptions` carrying the original error as `cause`, since adapters have one or the other
 * at hand; both may be given.
 *
 * @throws {RangeError} when `seconds` is not a finite number ≥ 0.
 * @example A detail, the original error, or both
 * ```ts
 * import assert from "node:assert/strict";
 * import { FloodWaitError } from "./types.ts";
 *
 * const cause = new Error("FLOOD_WAIT_7");
 * const error = new FloodWaitError(7, "payments.getStarsStatus", { cause });
 * assert.equal(
 *   error.message,
 *   "Telegram asked to wait 7 s before calling again (payments.getStarsStatus)",
 * );
 * assert.equal(error.cause, cause);
 * assert.equal(new FloodWaitError(7, { cause }).cause, cause);
 * assert.throws(() => new FloodWaitError(-1), RangeError);
 * ```
 */
export class FloodWaitError extends Error {
  readonly seconds: number;

  constructor(seconds: number, detailOrOptions?: string | ErrorOptions, options?: ErrorOptions) {
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError(
        `FloodWaitError: seconds must be a finite number >= 0, got ${String(seconds)}`,
      );
    }
    const detail = typeof detailOrOptions === "string" ? detailOrOptions : undefined;
    const errorOptions = typeof detailOrOptions === "object" ? detailOrOptions : options;
    super(
      `Telegram asked to wait ${seconds} s before calling again${detail ? ` (${detail})` : ""}`,
      errorOptions,
    );
    this.name = "FloodWaitError";
    this.seconds = seconds;
  }
}

/**
 * An upstream call gave no answer within the BalanceActor's `callTimeoutMs`; the call's signal
 * was aborted with this error.
 */
export class UpstreamTimeoutError extends Error {
  readonly call: string;
  readonly timeoutMs: number;

  constructor(call: string, timeoutMs: number) {
    super(`${call} gave no answer within ${timeoutMs} ms`);
    this.name = "UpstreamTimeoutError";
    this.call = call;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * No balance can be given: every step of the fallback chain failed and no value was ever known.
 * `skipped` holds every step's reason, the message lists them too.
 */
export class BalanceUnavailableError extends Error {
  readonly tenantId: string;
  readonly skipped: SkippedStep[];

  constructor(tenantId: string, skipped: SkippedStep[]) {
    const reasons = skipped.map((step) => `${step.source}: ${step.reason}`).join("; ");
    super(`no Stars balance for tenant "${tenantId}": ${reasons}`);
    this.name = "BalanceUnavailableError";
    this.tenantId = tenantId;
    this.skipped = skipped;
  }
}

/**
 * The tenant id is not registered with the BalanceActor, or was unregistered while its request
 * waited.
 */
export class UnknownBalanceTenantError extends Error {
  readonly tenantId: string;

  constructor(tenantId: string, detail = "is not registered") {
    super(`balance: tenant ${JSON.stringify(tenantId)} ${detail}`);
    this.name = "UnknownBalanceTenantError";
    this.tenantId = tenantId;
  }
}
