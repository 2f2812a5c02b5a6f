/**
 * How busy each tenant is, from the durable inbox every update passes through: the console's
 * "updates a minute". Counted from `received_at`, so polled and webhook updates count alike.
 *
 * @module
 */
import type { SqlRunner } from "../ports.ts";

/** How many updates each tenant received since `since` (ms): the console's updates a minute. */
export async function updatesReceivedSince(
  db: SqlRunner,
  since: number,
): Promise<Map<string, number>> {
  const rows = await db.all<{ tenant_id: string; updates: number }>(
    `SELECT tenant_id, COUNT(*) AS updates FROM inbox WHERE received_at >= ? GROUP BY tenant_id`,
    [since],
  );
  return new Map(rows.map((row) => [row.tenant_id, Number(row.updates)]));
}
