/**
 * The Stars subscriptions of one tenant, one row per (user, product) in the `subscriptions`
 * table. Telegram owns the billing: it charges every period and tells us with a
 * `successful_payment`; this store remembers what that bought (until when) and which charge
 * started the subscription, because `editUserStarSubscription` names a subscription by it.
 *
 * States: `active` (renews), `canceled` (renewal switched off, still usable until `expiresAt`),
 * `expired`, `refunded`, `failed` (Telegram could not charge the renewal, so access ended).
 * Telegram reports the user's own changes in `subscription` updates; {@linkcode
 * SubscriptionRecords.applyReported} records them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { SubscriptionRecords } from "./subscription_records.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const subscriptionRecords = new SubscriptionRecords("shop", new ManualClock(0));
 * const first = { userId: 7, productId: "monthly", chargeId: "ch_1", expiresAt: 1_000 };
 * await db.transaction((tx) => subscriptionRecords.activate(tx, first));
 * // The user canceled renewal in Telegram: still theirs until it expires.
 * const canceled = await db.transaction(async (tx) => {
 *   const current = await subscriptionRecords.get(tx, 7, "monthly");
 *   return await subscriptionRecords.applyReported(tx, current!, "canceled");
 * });
 * assert.equal(canceled.subscription.state, "canceled");
 * assert.equal(await subscriptionRecords.expireDue(db, 1_000), 1);
 * // A renewal charge that arrives after the expiry sweep revives it.
 * const renewal = { ...first, chargeId: "ch_2", expiresAt: 2_000 };
 * const renewed = await db.transaction((tx) => subscriptionRecords.renew(tx, renewal));
 * assert.equal(renewed.state, "active");
 * assert.equal(renewed.firstChargeId, "ch_1"); // Telegram names the subscription by it
 * await db.close();
 * ```
 * @module
 */
import type { SqlRunner } from "../ports.ts";
import type { Clock } from "../../actors/kernel/clock.ts";
import { knownValue, TenantTable } from "./tenant_table.ts";

/** Where a subscription is. */
export type SubscriptionState = "active" | "canceled" | "expired" | "refunded" | "failed";

const subscriptionStates: readonly SubscriptionState[] = [
  "active",
  "canceled",
  "expired",
  "refunded",
  "failed",
];

/**
 * The state a `subscription` update reports: the user canceled renewal, the user re-enabled
 * it, or the renewal payment failed.
 */
export type ReportedSubscriptionState = "canceled" | "active" | "failed";

/** The outcome of {@linkcode SubscriptionRecords.applyReported}. */
export interface ReportedChange {
  /** The subscription as it is now. */
  subscription: Subscription;
  /** False when the report changed nothing (a repeat, or it does not apply to this state). */
  changed: boolean;
}

/** One subscription as stored. */
export interface Subscription {
  userId: number;
  productId: string;
  state: SubscriptionState;
  /** The charge that started this subscription; Telegram names the subscription by it. */
  firstChargeId: string;
  /** The newest charge that paid a period. */
  lastChargeId: string;
  /** End of the paid period, in milliseconds. */
  expiresAt: number;
  /** True when renewal was switched off (state `canceled`, or later `expired`). */
  renewalCanceled: boolean;
  updatedAt: number;
}

/** A paid period: who, what, which charge, until when. */
export interface PaidPeriod {
  userId: number;
  productId: string;
  chargeId: string;
  /** End of the paid period, in milliseconds. */
  expiresAt: number;
}

/** Thrown when a change does not fit the subscription's state (or there is no subscription). */
export class SubscriptionStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SubscriptionStateError";
  }
}

type SubscriptionRow = {
  user_id: number;
  product_id: string;
  state: string;
  first_charge_id: string;
  last_charge_id: string;
  expires_at: number;
  renewal_canceled: number;
  updated_at: number;
};

const COLUMNS: readonly (keyof SubscriptionRow)[] = [
  "user_id",
  "product_id",
  "state",
  "first_charge_id",
  "last_charge_id",
  "expires_at",
  "renewal_canceled",
  "updated_at",
];

function toSubscription(row: SubscriptionRow): Subscription {
  return {
    userId: Number(row.user_id),
    productId: row.product_id,
    state: knownValue(
      subscriptionStates,
      row.state,
      `subscription of user ${row.user_id} to ${row.product_id} has an unknown state`,
    ),
    firstChargeId: row.first_charge_id,
    lastChargeId: row.last_charge_id,
    expiresAt: Number(row.expires_at),
    renewalCanceled: Number(row.renewal_canceled) !== 0,
    updatedAt: Number(row.updated_at),
  };
}

/**
 * Where a reported state takes a subscription, or `undefined` when it leaves it as it is.
 * Renewal can only be switched on a running subscription; a re-enable does not bring back one
 * that ended (only a payment does, through {@linkcode SubscriptionRecords.renew}). A failed renewal
 * ends a running subscription, and also one our expiry sweep ended first (Telegram charges at
 * the end of the period, so its report can come after the sweep); a refund stays a refund.
 */
function reportedTarget(
  current: Subscription,
  reported: ReportedSubscriptionState,
): Pick<Subscription, "state" | "renewalCanceled"> | undefined {
  const running = current.state === "active" || current.state === "canceled";
  switch (reported) {
    case "canceled":
      return current.state === "active" ? { state: "canceled", renewalCanceled: true } : undefined;
    case "active":
      return current.state === "canceled" ? { state: "active", renewalCanceled: false } : undefined;
    case "failed":
      return running || current.state === "expired"
        ? { state: "failed", renewalCanceled: current.renewalCanceled }
        : undefined;
  }
}

/** The `subscriptions` table of one tenant. */
export class SubscriptionRecords {
  readonly #rows: TenantTable<SubscriptionRow>;
  readonly #clock: Clock;

  constructor(tenantId: string, clock: Clock) {
    this.#rows = new TenantTable("subscriptions", tenantId, COLUMNS);
    this.#clock = clock;
  }

  /** The user's subscription to `productId`, or `undefined`. */
  async get(q: SqlRunner, userId: number, productId: string): Promise<Subscription | undefined> {
    const row = await this.#rows.find(q, { user_id: userId, product_id: productId });
    return row === undefined ? undefined : toSubscription(row);
  }

  /**
   * Starts a subscription with its first charge: `active`, renewing, paid until
   * `period.expiresAt`. Replaces an earlier subscription to the same product (an expired or
   * refunded one the user subscribes to again), since Telegram then starts a new one with a new
   * first charge. Run it inside a transaction.
   */
  async activate(tx: SqlRunner, period: PaidPeriod): Promise<Subscription> {
    const now = this.#clock.now();
    const row: SubscriptionRow = {
      user_id: period.userId,
      product_id: period.productId,
      state: "active",
      first_charge_id: period.chargeId,
      last_charge_id: period.chargeId,
      expires_at: period.expiresAt,
      renewal_canceled: 0,
      updated_at: now,
    };
    await this.#rows.insert(
      tx,
      row,
      `ON CONFLICT (tenant_id, user_id, product_id) DO UPDATE SET
         state = excluded.state, first_charge_id = excluded.first_charge_id,
         last_charge_id = excluded.last_charge_id, expires_at = excluded.expires_at,
         renewal_canceled = excluded.renewal_canceled, updated_at = excluded.updated_at`,
    );
    return {
      userId: period.userId,
      productId: period.productId,
      state: "active",
      firstChargeId: period.chargeId,
      lastChargeId: period.chargeId,
      expiresAt: period.expiresAt,
      renewalCanceled: false,
      updatedAt: now,
    };
  }

  /**
   * Records a renewal charge: the subscription is `active` and renewing again and paid until
   * the later of its old and new expiry. A renewal revives an `expired` subscription (Telegram
   * charges at the end of the period, so its report can arrive after our expiry sweep), a
   * `failed` one (a charge that went through after all outranks the failure report), and even a
   * `refunded` one: a renewal is money received, and the period it paid for is owed. Without a
   * stored subscription (its first payment was never recorded) the renewal starts one, with this
   * charge as the best-known first charge. Run it inside a transaction.
   */
  async renew(tx: SqlRunner, period: PaidPeriod): Promise<Subscription> {
    const current = await this.get(tx, period.userId, period.productId);
    if (current === undefined) return await this.activate(tx, period);
    const now = this.#clock.now();
    const expiresAt = Math.max(current.expiresAt, period.expiresAt);
    await this.#rows.update(
      tx,
      {
        state: "active",
        last_charge_id: period.chargeId,
        expires_at: expiresAt,
        renewal_canceled: 0,
        updated_at: now,
      },
      { user_id: period.userId, product_id: period.productId },
    );
    return {
      ...current,
      state: "active",
      lastChargeId: period.chargeId,
      expiresAt,
      renewalCanceled: false,
      updatedAt: now,
    };
  }

  /**
   * Switches renewal off (`canceled: true`, state `canceled`) or on again (state `active`).
   * Only a subscription that is still running (`active` or `canceled`) can change; anything else
   * throws {@linkcode SubscriptionStateError}. Run it inside a transaction.
   */
  async setRenewalCanceled(
    tx: SqlRunner,
    userId: number,
    productId: string,
    canceled: boolean,
  ): Promise<Subscription> {
    const current = await this.get(tx, userId, productId);
    if (current === undefined) {
      throw new SubscriptionStateError(`user ${userId} has no subscription to ${productId}`);
    }
    if (current.state !== "active" && current.state !== "canceled") {
      throw new SubscriptionStateError(
        `the subscription of user ${userId} to ${productId} is ${current.state}; only an ` +
          `active or canceled subscription can switch its renewal`,
      );
    }
    const now = this.#clock.now();
    const state: SubscriptionState = canceled ? "canceled" : "active";
    await this.#rows.update(
      tx,
      { state, renewal_canceled: canceled ? 1 : 0, updated_at: now },
      { user_id: userId, product_id: productId },
    );
    return { ...current, state, renewalCanceled: canceled, updatedAt: now };
  }

  /**
   * Records what a `subscription` update reported about `current`: `canceled` switches renewal
   * off (state `canceled`, usable until `expiresAt`), `active` switches it on again, `failed`
   * ends access (state `failed`). Idempotent: a report that is already in force, or that does
   * not apply to the current state (see the transition rules above), changes nothing and says so
   * with `changed: false`. `current` must have been read with {@linkcode SubscriptionRecords.get}
   * in the same transaction (the caller needs it anyway, to check the report belongs to it); run
   * this inside that transaction.
   */
  async applyReported(
    tx: SqlRunner,
    current: Subscription,
    reported: ReportedSubscriptionState,
  ): Promise<ReportedChange> {
    const target = reportedTarget(current, reported);
    if (target === undefined) return { subscription: current, changed: false };
    const now = this.#clock.now();
    await this.#rows.update(
      tx,
      { state: target.state, renewal_canceled: target.renewalCanceled ? 1 : 0, updated_at: now },
      { user_id: current.userId, product_id: current.productId },
    );
    return { subscription: { ...current, ...target, updatedAt: now }, changed: true };
  }

  /**
   * Marks the subscription `refunded`: access ends now. Returns false when there is no such
   * subscription or it already was refunded. One statement.
   */
  async markRefunded(q: SqlRunner, userId: number, productId: string): Promise<boolean> {
    const { changes } = await q.run(
      `UPDATE subscriptions SET state = ?, updated_at = ?
       WHERE tenant_id = ? AND user_id = ? AND product_id = ? AND state <> ?`,
      ["refunded", this.#clock.now(), this.#rows.tenantId, userId, productId, "refunded"],
    );
    return changes > 0;
  }

  /**
   * Moves every running (`active` or `canceled`) subscription whose paid period ended at or
   * before `now` to `expired`; returns how many. One statement.
   */
  async expireDue(q: SqlRunner, now: number = this.#clock.now()): Promise<number> {
    const { changes } = await q.run(
      `UPDATE subscriptions SET state = ?, updated_at = ?
       WHERE tenant_id = ? AND state IN (?, ?) AND expires_at <= ?`,
      ["expired", now, this.#rows.tenantId, "active", "canceled", now],
    );
    return changes;
  }

  /**
   * One page of every subscription of the tenant, the latest to end first, and how many there
   * are: `limit` (1 to 100) from `offset`.
   */
  async page(
    q: SqlRunner,
    offset: number,
    limit: number,
  ): Promise<{ subscriptions: Subscription[]; total: number }> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(limit)) {
      throw new RangeError(`expected whole numbers, got offset ${offset} and limit ${limit}`);
    }
    if (limit < 1 || limit > 100) throw new RangeError(`limit must be 1 to 100, got ${limit}`);
    const counted = await q.get<{ total: number }>(
      `SELECT COUNT(*) AS total FROM subscriptions WHERE tenant_id = ?`,
      [this.#rows.tenantId],
    );
    // LIMIT and OFFSET are inlined: PostgreSQL would type a `?` there as text.
    const rows = await q.all<SubscriptionRow>(
      `SELECT ${this.#rows.columns} FROM subscriptions WHERE tenant_id = ?
       ORDER BY expires_at DESC, user_id, product_id LIMIT ${limit} OFFSET ${offset}`,
      [this.#rows.tenantId],
    );
    return { subscriptions: rows.map(toSubscription), total: Number(counted?.total ?? 0) };
  }

  /** Every subscription of the user, the one running longest first. */
  async listForUser(q: SqlRunner, userId: number): Promise<Subscription[]> {
    const rows = await q.all<SubscriptionRow>(
      `SELECT ${this.#rows.columns} FROM subscriptions WHERE tenant_id = ? AND user_id = ?
       ORDER BY expires_at DESC, product_id`,
      [this.#rows.tenantId, userId],
    );
    return rows.map(toSubscription);
  }
}
