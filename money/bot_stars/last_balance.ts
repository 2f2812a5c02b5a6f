/**
 * The last balance Telegram gave for a tenant, kept in the `kv` table under
 * {@linkcode LAST_BALANCE_KEY}, so that after a restart — or while Telegram is unreachable — the
 * operator still sees a real value with its age instead of nothing or a made-up number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LAST_BALANCE_KEY, loadLastBalance, saveLastBalance } from "./last_balance.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * assert.equal(await loadLastBalance(db, "shop"), undefined);
 * const reading = { amount: 7, nanostarAmount: 0, source: "bot_api" as const, fetchedAt: 1 };
 * await saveLastBalance(db, "shop", reading);
 * assert.deepEqual(await loadLastBalance(db, "shop"), reading);
 *
 * // A row this module did not write is an error, never a made-up balance.
 * await db.run("UPDATE kv SET value = ? WHERE key = ?", ['{"amount":7}', LAST_BALANCE_KEY]);
 * await assert.rejects(loadLastBalance(db, "shop"), /has source undefined/);
 * await db.close();
 * ```
 * @module
 */
import type { SqlRunner } from "../ports.ts";
import type { UpstreamBalanceSource } from "./types.ts";
import { readStarAmount } from "./validate.ts";

/** The `kv` key of the last known balance. */
export const LAST_BALANCE_KEY = "balance:last";

/** One balance reading from Telegram: the amount, which upstream gave it, and when (clock ms). */
export interface BalanceReading {
  amount: number;
  nanostarAmount: number;
  source: UpstreamBalanceSource;
  fetchedAt: number;
}

const UPSTREAM_SOURCES: readonly string[] = ["mtproto_self", "mtproto_user", "bot_api"];

/** Stores `reading` as the tenant's last known balance, replacing the previous one. */
export async function saveLastBalance(
  db: SqlRunner,
  tenantId: string,
  reading: BalanceReading,
): Promise<void> {
  const { amount, nanostarAmount, source, fetchedAt } = reading;
  await db.run(
    `INSERT INTO kv (tenant_id, key, value) VALUES (?, ?, ?)
     ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value`,
    [tenantId, LAST_BALANCE_KEY, JSON.stringify({ amount, nanostarAmount, source, fetchedAt })],
  );
}

/**
 * The tenant's last known balance, or `undefined` when none was ever stored.
 *
 * @throws {Error} when the stored value is not a reading this module wrote (a hand-edited or
 * corrupted row), naming the tenant and what is wrong: serving it would show a made-up number.
 */
export async function loadLastBalance(
  db: SqlRunner,
  tenantId: string,
): Promise<BalanceReading | undefined> {
  const row = await db.get<{ value: string }>(
    "SELECT value FROM kv WHERE tenant_id = ? AND key = ?",
    [tenantId, LAST_BALANCE_KEY],
  );
  if (row === undefined) return undefined;
  const where = `stored ${LAST_BALANCE_KEY} of tenant "${tenantId}"`;
  let parsed: { source?: unknown; fetchedAt?: unknown };
  try {
    parsed = JSON.parse(row.value);
  } catch (error) {
    throw new Error(`${where} is not JSON: ${(error as Error).message}`);
  }
  const { amount, nanostarAmount } = readStarAmount(parsed, where);
  const { source, fetchedAt } = parsed;
  if (typeof source !== "string" || !UPSTREAM_SOURCES.includes(source)) {
    throw new Error(
      `${where} has source ${JSON.stringify(source)}, expected one of ${
        UPSTREAM_SOURCES.join(", ")
      }`,
    );
  }
  if (typeof fetchedAt !== "number" || !Number.isSafeInteger(fetchedAt)) {
    throw new Error(`${where} has fetchedAt ${String(fetchedAt)}, expected an integer time`);
  }
  return { amount, nanostarAmount, source: source as UpstreamBalanceSource, fetchedAt };
}
