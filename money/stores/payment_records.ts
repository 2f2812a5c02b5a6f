/**
 * Every Stars payment Telegram reported to one tenant, in the `payments` table, keyed by its
 * `telegram_payment_charge_id`. The key is what makes applying a payment idempotent: the first
 * insert wins, and a handler that runs again finds the row and does nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { PaymentRecords } from "./payment_records.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const paymentRecords = new PaymentRecords("shop", new ManualClock(0));
 * const payment = { chargeId: "ch_1", userId: 7, amount: 50, kind: "credits" as const };
 * assert.equal(await paymentRecords.record(db, payment), true);
 * assert.equal(await paymentRecords.record(db, payment), false); // already recorded: apply nothing
 * assert.equal(await paymentRecords.markRefunded(db, "ch_1"), true);
 * assert.equal(await paymentRecords.markRefunded(db, "ch_1"), false); // refunded once
 * assert.equal((await paymentRecords.get(db, "ch_1"))?.refundedAt, 0);
 * await db.close();
 * ```
 * @module
 */
import type { SqlRunner } from "../ports.ts";
import type { Clock } from "../../actors/kernel/clock.ts";
import { knownValue, TenantTable } from "./tenant_table.ts";

/**
 * What a payment was: the first payment of a `credits`, `item` or `subscription` order, a
 * subscription `renewal`, a `duplicate` (a second charge for an order that was already paid,
 * being refunded), or an `orphan` (no order of this payer and product matches, so nothing was
 * granted and an admin decides).
 */
export type PaymentKind = "credits" | "item" | "subscription" | "renewal" | "duplicate" | "orphan";

const paymentKinds: readonly PaymentKind[] = [
  "credits",
  "item",
  "subscription",
  "renewal",
  "duplicate",
  "orphan",
];

/** A payment to record. */
export interface NewPayment {
  chargeId: string;
  /** The order the invoice payload named, when it exists. */
  orderId?: string;
  userId: number;
  productId?: string;
  /** Stars paid. */
  amount: number;
  kind: PaymentKind;
}

/** A recorded payment. */
export interface PaymentRecord extends NewPayment {
  paidAt: number;
  /** When the refund was applied; absent while the payment stands. */
  refundedAt?: number;
}

type PaymentRow = {
  charge_id: string;
  order_id: string | null;
  user_id: number;
  product_id: string | null;
  amount: number;
  kind: string;
  paid_at: number;
  refunded_at: number | null;
};

const COLUMNS: readonly (keyof PaymentRow)[] = [
  "charge_id",
  "order_id",
  "user_id",
  "product_id",
  "amount",
  "kind",
  "paid_at",
  "refunded_at",
];

function toRecord(row: PaymentRow): PaymentRecord {
  const record: PaymentRecord = {
    chargeId: row.charge_id,
    userId: Number(row.user_id),
    amount: Number(row.amount),
    kind: knownValue(paymentKinds, row.kind, `payment ${row.charge_id} has an unknown kind`),
    paidAt: Number(row.paid_at),
  };
  if (row.order_id !== null) record.orderId = row.order_id;
  if (row.product_id !== null) record.productId = row.product_id;
  if (row.refunded_at !== null) record.refundedAt = Number(row.refunded_at);
  return record;
}

/** The `payments` table of one tenant. */
export class PaymentRecords {
  readonly #rows: TenantTable<PaymentRow>;
  readonly #clock: Clock;

  constructor(tenantId: string, clock: Clock) {
    this.#rows = new TenantTable("payments", tenantId, COLUMNS);
    this.#clock = clock;
  }

  /**
   * Records a payment, paid now. Returns false, changing nothing, when a payment with this
   * charge id is already recorded: the caller must then apply nothing either. One statement;
   * callers run it first in the transaction that applies the payment.
   */
  async record(q: SqlRunner, payment: NewPayment): Promise<boolean> {
    if (payment.chargeId === "") throw new TypeError("a payment needs a non-empty charge id");
    const row: PaymentRow = {
      charge_id: payment.chargeId,
      order_id: payment.orderId ?? null,
      user_id: payment.userId,
      product_id: payment.productId ?? null,
      amount: payment.amount,
      kind: payment.kind,
      paid_at: this.#clock.now(),
      refunded_at: null,
    };
    return await this.#rows.insert(q, row, "ON CONFLICT DO NOTHING") === 1;
  }

  /** The payment with this charge id, or `undefined`. */
  async get(q: SqlRunner, chargeId: string): Promise<PaymentRecord | undefined> {
    const row = await this.#rows.find(q, { charge_id: chargeId });
    return row === undefined ? undefined : toRecord(row);
  }

  /** The user's payments, newest first, at most `limit` (1 to 1000). */
  async ofUser(q: SqlRunner, userId: number, limit: number): Promise<PaymentRecord[]> {
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new RangeError(`limit must be an integer from 1 to 1000, got ${limit}`);
    }
    // The LIMIT is inlined: PostgreSQL would type a `?` there as text.
    const rows = await q.all<PaymentRow>(
      `SELECT ${this.#rows.columns} FROM payments WHERE tenant_id = ? AND user_id = ?
       ORDER BY paid_at DESC, charge_id LIMIT ${limit}`,
      [this.#rows.tenantId, userId],
    );
    return rows.map(toRecord);
  }

  /**
   * Sets the payment's refund time, once: returns true the first time and false when it was
   * already set (or there is no such payment), so the refund's other effects run once. One
   * statement; callers run it first in the refund's transaction.
   */
  async markRefunded(q: SqlRunner, chargeId: string): Promise<boolean> {
    const refunded = { refunded_at: this.#clock.now() };
    return await this.#rows.update(q, refunded, { charge_id: chargeId, refunded_at: null }) === 1;
  }
}
