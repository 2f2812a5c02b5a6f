/**
 * How far reconciliation got: the number of the bot's Stars transactions, counted from the
 * oldest, that were fully reconciled, kept in the `kv` table under
 * {@linkcode RECONCILE_OFFSET_KEY}. `getStarTransactions` lists transactions oldest first, so
 * new ones only ever come after this offset, and the next run starts there.
 *
 * @module
 */
import type { SqlRunner } from "../ports.ts";

/** The `kv` key of the checkpoint. */
export const RECONCILE_OFFSET_KEY = "reconcile:offset";

function requireOffset(offset: number, where: string): number {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`${where} must be an integer >= 0, got ${String(offset)}`);
  }
  return offset;
}

/**
 * How many of the tenant's transactions were reconciled; 0 before the first run.
 *
 * @throws {RangeError} when the stored value is not an integer ≥ 0 (a hand-edited or corrupted
 * row), naming the tenant: guessing would skip payments or re-scan the whole history.
 */
export async function loadReconcileOffset(db: SqlRunner, tenantId: string): Promise<number> {
  const row = await db.get<{ value: string }>(
    "SELECT value FROM kv WHERE tenant_id = ? AND key = ?",
    [tenantId, RECONCILE_OFFSET_KEY],
  );
  if (row === undefined) return 0;
  const where = `stored ${RECONCILE_OFFSET_KEY} of tenant "${tenantId}"`;
  if (!/^[0-9]+$/.test(row.value)) {
    throw new RangeError(`${where} must be an integer >= 0, got ${JSON.stringify(row.value)}`);
  }
  return requireOffset(Number(row.value), where);
}

/**
 * Stores how many of the tenant's transactions are reconciled now.
 *
 * @throws {RangeError} when `offset` is not an integer ≥ 0.
 */
export async function saveReconcileOffset(
  db: SqlRunner,
  tenantId: string,
  offset: number,
): Promise<void> {
  requireOffset(offset, "reconcile offset");
  await db.run(
    `INSERT INTO kv (tenant_id, key, value) VALUES (?, ?, ?)
     ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value`,
    [tenantId, RECONCILE_OFFSET_KEY, String(offset)],
  );
}
