/**
 * A tenant's subscribers as the operator console lists them: who holds which subscription, in
 * what state, until when, and whether it renews. Read-only.
 *
 * @module
 */
import type { SqlRunner } from "../ports.ts";

/** One subscription of one user. */
export interface Subscriber {
  readonly userId: number;
  readonly productId: string;
  /** The stored state (`active`, `expired`, `refunded` …). */
  readonly state: string;
  readonly expiresAt: number;
  /** True when the user stopped renewal. */
  readonly renewalCanceled: boolean;
  /** The charge id of the latest payment (first or renewal). */
  readonly lastChargeId: string;
}

/** A tenant's subscriptions, latest to expire first, at most `limit` (≤ 1000). */
export async function subscribersOf(
  db: SqlRunner,
  tenantId: string,
  limit = 200,
): Promise<Subscriber[]> {
  const rows = await db.all<{
    user_id: number;
    product_id: string;
    state: string;
    expires_at: number;
    renewal_canceled: number;
    last_charge_id: string;
  }>(
    `SELECT user_id, product_id, state, expires_at, renewal_canceled, last_charge_id
     FROM subscriptions WHERE tenant_id = ?
     ORDER BY expires_at DESC, user_id LIMIT ${Math.min(1000, Math.max(1, Math.trunc(limit)))}`,
    [tenantId],
  );
  return rows.map((row) => ({
    userId: Number(row.user_id),
    productId: row.product_id,
    state: row.state,
    expiresAt: Number(row.expires_at),
    renewalCanceled: Number(row.renewal_canceled) !== 0,
    lastChargeId: row.last_charge_id,
  }));
}
