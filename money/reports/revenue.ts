/**
 * Read-only revenue figures over the recorded payments, for the operator console: what each
 * tenant earned over a few windows, per day, and per product. "Earned" counts the Stars of
 * payments not refunded since (a refunded payment earned nothing); duplicate and orphan payments
 * count like any other until their refund lands. Days are UTC days, numbered from the Unix
 * epoch, so grouping is plain integer division and the same SQL runs on SQLite and PostgreSQL.
 *
 * @module
 */
import type { SqlRunner } from "../ports.ts";

/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000;

/** The UTC day number (days since the Unix epoch) of `ms`. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** One tenant's earnings and refunds over the console's windows. */
export interface RevenueTotals {
  readonly tenantId: string;
  /** Stars earned since the start of today (UTC). */
  readonly today: number;
  /** Stars earned over the last 7 days, today included. */
  readonly week: number;
  /** Stars earned over the last 30 days, today included. */
  readonly month: number;
  /** Payments refunded within the last 30 days. */
  readonly refunds: number;
  /** Stars given back by those refunds. */
  readonly refundedStars: number;
}

interface TotalsRow {
  tenant_id: string;
  today: number | null;
  week: number | null;
  month: number | null;
  refunds: number | null;
  refunded_stars: number | null;
}

/**
 * Every tenant's {@linkcode RevenueTotals} at `now`; tenants without a payment in 30 days are
 * absent (read them as zeros).
 */
export async function revenueTotals(db: SqlRunner, now: number): Promise<RevenueTotals[]> {
  const today = dayOf(now) * DAY_MS;
  const week = today - 6 * DAY_MS;
  const month = today - 29 * DAY_MS;
  const rows = await db.all<TotalsRow>(
    `SELECT tenant_id,
       SUM(CASE WHEN refunded_at IS NULL AND paid_at >= ? THEN amount ELSE 0 END) AS today,
       SUM(CASE WHEN refunded_at IS NULL AND paid_at >= ? THEN amount ELSE 0 END) AS week,
       SUM(CASE WHEN refunded_at IS NULL AND paid_at >= ? THEN amount ELSE 0 END) AS month,
       SUM(CASE WHEN refunded_at IS NOT NULL AND refunded_at >= ? THEN 1 ELSE 0 END) AS refunds,
       SUM(CASE WHEN refunded_at IS NOT NULL AND refunded_at >= ? THEN amount ELSE 0 END)
         AS refunded_stars
     FROM payments
     WHERE paid_at >= ? OR refunded_at >= ?
     GROUP BY tenant_id
     ORDER BY tenant_id`,
    [today, week, month, month, month, month, month],
  );
  return rows.map((row) => ({
    tenantId: row.tenant_id,
    today: Number(row.today ?? 0),
    week: Number(row.week ?? 0),
    month: Number(row.month ?? 0),
    refunds: Number(row.refunds ?? 0),
    refundedStars: Number(row.refunded_stars ?? 0),
  }));
}

/** Stars a tenant earned on one UTC day. */
export interface DailyRevenue {
  readonly tenantId: string;
  /** The UTC day number ({@linkcode dayOf}). */
  readonly day: number;
  readonly stars: number;
}

/**
 * Stars earned per tenant and UTC day over the `days` days ending today, oldest first; days
 * without a payment are absent. `tenantId` narrows it to one tenant.
 */
export async function revenueByDay(
  db: SqlRunner,
  options: { now: number; days: number; tenantId?: string },
): Promise<DailyRevenue[]> {
  const since = (dayOf(options.now) - options.days + 1) * DAY_MS;
  const byTenant = options.tenantId === undefined ? "" : " AND tenant_id = ?";
  const params = options.tenantId === undefined ? [since] : [since, options.tenantId];
  const rows = await db.all<{ tenant_id: string; day: number; stars: number }>(
    `SELECT tenant_id, paid_at / ${DAY_MS} AS day, SUM(amount) AS stars
     FROM payments
     WHERE refunded_at IS NULL AND paid_at >= ?${byTenant}
     GROUP BY tenant_id, paid_at / ${DAY_MS}
     ORDER BY day, tenant_id`,
    params,
  );
  return rows.map((row) => ({
    tenantId: row.tenant_id,
    day: Number(row.day),
    stars: Number(row.stars),
  }));
}

/** A product's sales over a window. */
export interface ProductRevenue {
  /** The product id; `null` for payments that named none (orphans). */
  readonly productId: string | null;
  readonly payments: number;
  readonly stars: number;
  readonly refunded: number;
}

/** One tenant's sales per product since `since` (ms), best-selling first. */
export async function revenueByProduct(
  db: SqlRunner,
  tenantId: string,
  since: number,
): Promise<ProductRevenue[]> {
  const rows = await db.all<
    { product_id: string | null; payments: number; stars: number | null; refunded: number }
  >(
    `SELECT product_id, COUNT(*) AS payments,
       SUM(CASE WHEN refunded_at IS NULL THEN amount ELSE 0 END) AS stars,
       SUM(CASE WHEN refunded_at IS NULL THEN 0 ELSE 1 END) AS refunded
     FROM payments
     WHERE tenant_id = ? AND paid_at >= ?
     GROUP BY product_id
     ORDER BY stars DESC, product_id`,
    [tenantId, since],
  );
  return rows.map((row) => ({
    productId: row.product_id,
    payments: Number(row.payments),
    stars: Number(row.stars ?? 0),
    refunded: Number(row.refunded),
  }));
}
