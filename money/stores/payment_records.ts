/**
 * Every Stars payment Telegram reported to one tenant, in the `payments` table, keyed by its
 * `telegram_payment_charge_id`. The key is what makes applying a payment idempotent: the first
 * insert wins, and a handler that runs again finds the row and does nothing.
 *
 * @example
 * ```ts
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { PaymentRecords } from "./payment_records.ts";
 * const db = await openDatabase("sqlite::memory:");
 * const payments = new PaymentRecords("shop", new ManualClock(0));
 * const first = { chargeId: "ch_1", userId: 7, amount: 50, kind: "credits" as const };
 * await payments.record(db, first); // true
 * await payments.record(db, first); // false: already recorded
 * await db.close();
 * ```
 * @module
 */
import type { SqlRunner } from "../ports.ts";
import type { Clock } from "../../actors/kernel/clock.ts";

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

interface PaymentRow {
  charge_id: string;
  order_id: string | null;
  user_id: number;
  product_id: string | null;
  amount: number;
  kind: string;
  paid_at: number;
  refunded_at: number | null;
}

const COLUMNS = "charge_id, order_id, user_id, product_id, amount, kind, paid_at, refunded_at";

function toRecord(row: PaymentRow): PaymentRecord {
  if (!(paymentKinds as readonly string[]).includes(row.kind)) {
    throw new Error(`payment ${row.charge_id} has an unknown kind ${JSON.stringify(row.kind)}`);
  }
  const record: PaymentRecord = {
    chargeId: row.charge_id,
    userId: Number(row.user_id),
    amount: Number(row.amount),
    kind: row.kind as PaymentKind,
    paidAt: Number(row.paid_at),
  };
  if (row.order_id !== null) record.orderId = row.order_id;
  if (row.product_id !== null) record.productId = row.product_id;
  if (row.refunded_at !== null) record.refundedAt = Number(row.refunded_at);
  return record;
}

/** The `payments` table of one tenant. */
export class PaymentRecords {
  readonly #tenantId: string;
  readonly #clock: Clock;

  constructor(tenantId: string, clock: Clock) {
    this.#tenantId = tenantId;
    this.#clock = clock;
  }

  /**
   * Records a payment, paid now. Returns false, changing nothing, when a payment with this
   * charge id is already recorded: the caller must then apply nothing either. One statement;
   * callers run it first in the transaction that applies the payment.
   *
   * @example
   * ```ts ignore
   * if (!await payments.record(tx, { chargeId, userId, amount, kind: "item" })) return "already";
   * ```
   */
  async record(q: SqlRunner, payment: NewPayment): Promise<boolean> {
    if (payment.chargeId === "") throw new TypeError("a payment needs a non-empty charge id");
    const { changes } = await q.run(
      `INSERT INTO payments (tenant_id, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
       ON CONFLICT DO NOTHING`,
      [
        this.#tenantId,
        payment.chargeId,
        payment.orderId ?? null,
        payment.userId,
        payment.productId ?? null,
        payment.amount,
        payment.kind,
        this.#clock.now(),
      ],
    );
    return changes === 1;
  }

  /**
   * The payment with this charge id, or `undefined`.
   *
   * @example
   * ```ts ignore
   * const payment = await payments.get(db, "ch_1");
   * ```
   */
  async get(q: SqlRunner, chargeId: string): Promise<PaymentRecord | undefined> {
    const row = await q.get<PaymentRow>(
      `SELECT ${COLUMNS} FROM payments WHERE tenant_id = ? AND charge_id = ?`,
      [this.#tenantId, chargeId],
    );
    return row === undefined ? undefined : toRecord(row);
  }

  /**
   * Sets the payment's refund time, once: returns true the first time and false when it was
   * already set (or there is no such payment), so the refund's other effects run once. One
   * statement; callers run it first in the refund's transaction.
   *
   * @example
   * ```ts ignore
   * if (await payments.markRefunded(tx, "ch_1")) { … reverse credits … }
   * ```
   */
  async markRefunded(q: SqlRunner, chargeId: string): Promise<boolean> {
    const { changes } = await q.run(
      `UPDATE payments SET refunded_at = ?
       WHERE tenant_id = ? AND charge_id = ? AND refunded_at IS NULL`,
      [this.#clock.now(), this.#tenantId, chargeId],
    );
    return changes === 1;
  }
}
