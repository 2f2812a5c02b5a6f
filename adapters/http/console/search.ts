/**
 * The console's search: a query that is a user id finds that buyer's payments across tenants;
 * any query is also tried as a charge id. Results are newest first, at most 100.
 *
 * @module
 */
import type { SqlRunner } from "../../../money/ports.ts";
import {
  type ListedPayment,
  paymentsByCharge,
  paymentsOfBuyer,
} from "../../../money/reports/payment_list.ts";

/** Payments matching `query`; see the module doc. */
export async function searchPayments(db: SqlRunner, query: string): Promise<ListedPayment[]> {
  const byCharge = await paymentsByCharge(db, query);
  const userId = Number(query);
  const byBuyer = /^\d{1,15}$/.test(query) && Number.isSafeInteger(userId)
    ? await paymentsOfBuyer(db, userId, 100)
    : [];
  const seen = new Set<string>();
  return [...byCharge, ...byBuyer].filter((payment) => {
    const key = `${payment.tenantId}/${payment.chargeId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
