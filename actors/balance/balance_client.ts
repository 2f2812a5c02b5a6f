/**
 * A typed front for the BalanceActor, so callers never build its messages by hand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BalanceClient } from "./balance_client.ts";
 * import { startBalanceActor } from "./balance_actor.ts";
 * import { ManualClock } from "../kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { UnknownBalanceTenantError } from "../../money/bot_stars/types.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const actor = startBalanceActor({ db, clock: new ManualClock(0) });
 * const balances = new BalanceClient(actor.ref);
 * await balances.register({
 *   id: "shop",
 *   cacheTtlMs: 60_000,
 *   botApi: {
 *     getMyStarBalance: () => Promise.resolve({ amount: 7, nanostarAmount: 500_000_000 }),
 *     getStarTransactions: () => Promise.resolve({ transactions: [] }),
 *   },
 * });
 *
 * const balance = await balances.balance("shop");
 * assert.equal(balance.amount, 7);
 * assert.equal(balance.nanostarAmount, 500_000_000);
 * assert.equal(balance.stale, false);
 * const page = await balances.transactions("shop", 0, 100);
 * assert.deepEqual(page.transactions, []);
 * await assert.rejects(balances.transactions("shop", 0, 101), RangeError);
 *
 * await balances.unregister("shop");
 * await assert.rejects(balances.balance("shop"), UnknownBalanceTenantError);
 * await actor.stop();
 * await db.close();
 * ```
 * @module
 */
import type { ActorRef } from "../kernel/actor.ts";
import type { BalanceMsg } from "./balance_actor.ts";
import type { BalanceTenant, StarBalance, TransactionsPage } from "../../money/bot_stars/types.ts";
import { validateBalanceTenant } from "../../money/bot_stars/validate.ts";

/**
 * Asks and tells the BalanceActor. Reads wait at most `timeoutMs` (default 15 s) and then reject
 * with `AskTimeoutError`; the read itself goes on, and what it gets is cached for the next ask.
 * A read can outlast the timeout when Telegram is slow on several steps of the fallback chain,
 * or imposes a flood wait that is slept (up to the actor's `floodWaitMaxMs`).
 *
 * The other methods wait for room in the actor's mailbox rather than drop the message when it
 * is full: a lost `register` would leave a bot without a balance, a lost `invalidate` would show
 * a balance from before a payment.
 */
export class BalanceClient {
  readonly ref: ActorRef<BalanceMsg>;
  readonly timeoutMs: number;

  /** @throws {RangeError} when `timeoutMs` is not a finite number > 0. */
  constructor(ref: ActorRef<BalanceMsg>, timeoutMs = 15_000) {
    if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(
        `BalanceClient: timeoutMs must be a finite number of ms > 0, got ${String(timeoutMs)}`,
      );
    }
    this.ref = ref;
    this.timeoutMs = timeoutMs;
  }

  /**
   * The bot's Stars balance: cached, fresh, or the last known value marked stale.
   *
   * @throws {UnknownBalanceTenantError} when the tenant is not registered.
   * @throws {BalanceUnavailableError} when every source failed and no value was ever known.
   */
  balance(tenantId: string): Promise<StarBalance> {
    return this.ref.ask<StarBalance>(
      (reply) => ({ type: "GetBalance", tenantId, reply }),
      { timeoutMs: this.timeoutMs },
    );
  }

  /**
   * One page of the bot's Stars transactions (`getStarTransactions`), cached by offset and limit.
   *
   * @throws {RangeError} when `offset` is not an integer ≥ 0 or `limit` not from 1 to 100.
   * @throws {UnknownBalanceTenantError} when the tenant is not registered.
   * @throws the upstream's error (`FloodWaitError`, `UpstreamTimeoutError`, …) when the read
   * failed.
   */
  transactions(tenantId: string, offset: number, limit: number): Promise<TransactionsPage> {
    return this.ref.ask<TransactionsPage>(
      (reply) => ({ type: "GetTransactions", tenantId, offset, limit, reply }),
      { timeoutMs: this.timeoutMs },
    );
  }

  /** Drops the tenant's cached balance and transactions; call after every Stars movement. */
  invalidate(tenantId: string): Promise<void> {
    return this.ref.send({ type: "Invalidate", tenantId });
  }

  /**
   * Registers a tenant, or replaces its upstreams (and empties its caches) if registered.
   *
   * @throws {TypeError} synchronously, naming the field of `tenant` that is wrong.
   */
  register(tenant: BalanceTenant): Promise<void> {
    validateBalanceTenant(tenant);
    return this.ref.send({ type: "Register", tenant });
  }

  /** Removes a tenant; requests of it still waiting fail with `UnknownBalanceTenantError`. */
  unregister(tenantId: string): Promise<void> {
    return this.ref.send({ type: "Unregister", tenantId });
  }
}
