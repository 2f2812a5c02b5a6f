/**
 * Read-only lists of recorded payments for the operator console: a tenant's latest, one payment
 * found by its charge id in any tenant, a buyer's payments across tenants. Nothing here changes
 * a row; refunds go through `money/payments/refunds.ts`.
 *
 * @module
 */
import type { SqlRunner } from "../ports.ts";
import type { PaymentKind } from "../stores/payment_records.ts";

/** A payment as the console lists it. */
export interface ListedPayment {
  readonly tenantId: string;
  readonly chargeId: string;
  readonly userId: number;
  readonly productId: string | null;
  /** Stars paid. */
  readonly amount: number;
  readonly kind: PaymentKind;
  readonly paidAt: number;
  readonly refundedAt: number | null;
}

interface PaymentRow {
  tenant_id: string;
  charge_id: string;
  user_id: number;
  product_id: string | null;
  amount: number;
  kind: PaymentKind;
  paid_at: number;
  refunded_at: number | null;
}

const COLUMNS = "tenant_id, charge_id, user_id, product_id, amount, kind, paid_at, refunded_at";

function listed(row: PaymentRow): ListedPayment {
  return {
    tenantId: row.tenant_id,
    chargeId: row.charge_id,
    userId: Number(row.user_id),
    productId: row.product_id,
    amount: Number(row.amount),
    kind: row.kind,
    paidAt: Number(row.paid_at),
    refundedAt: row.refunded_at === null ? null : Number(row.refunded_at),
  };
}

/** A tenant's newest payments, newest first. */
export async function recentPayments(
  db: SqlRunner,
  tenantId: string,
  limit: number,
): Promise<ListedPayment[]> {
  const rows = await db.all<PaymentRow>(
    `SELECT ${COLUMNS} FROM payments WHERE tenant_id = ?
     ORDER BY paid_at DESC, charge_id LIMIT ${integer(limit)}`,
    [tenantId],
  );
  return rows.map(listed);
}

/** The payments with this charge id, in any tenant (charge ids are Telegram's, so at most one). */
export async function paymentsByCharge(db: SqlRunner, chargeId: string): Promise<ListedPayment[]> {
  const rows = await db.all<PaymentRow>(
    `SELECT ${COLUMNS} FROM payments WHERE charge_id = ? ORDER BY tenant_id`,
    [chargeId],
  );
  return rows.map(listed);
}

/** A buyer's payments across every tenant, newest first. */
export async function paymentsOfBuyer(
  db: SqlRunner,
  userId: number,
  limit: number,
): Promise<ListedPayment[]> {
  const rows = await db.all<PaymentRow>(
    `SELECT ${COLUMNS} FROM payments WHERE user_id = ?
     ORDER BY paid_at DESC, tenant_id, charge_id LIMIT ${integer(limit)}`,
    [userId],
  );
  return rows.map(listed);
}

/** A LIMIT is inlined (PostgreSQL types a `?` there as text); only a small integer may pass. */
function integer(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
    throw new RangeError(`limit must be an integer from 1 to 10000, got ${limit}`);
  }
  return limit;
}
