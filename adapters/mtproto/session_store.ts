/**
 * Where a tenant's MTProto session string lives: the `kv` table, key `mtproto:session`. The
 * session holds the auth key Telegram bound to the bot at login; keeping it lets a restart skip
 * `auth.importBotAuthorization`, which Telegram rate-limits. It is as sensitive as the bot token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openDatabase } from "../storage/open_database.ts";
 * import { forgetSession, loadSession, storeSession } from "./session_store.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * assert.equal(await loadSession(db, "shop"), undefined);
 * await storeSession(db, "shop", "1AgAO…"); // as StringSession.save() gives it
 * await storeSession(db, "shop", "1BgBP…"); // a data-centre move replaces it
 * assert.equal(await loadSession(db, "shop"), "1BgBP…");
 * assert.equal(await loadSession(db, "quiz"), undefined); // sessions are per tenant
 * await forgetSession(db, "shop");
 * assert.equal(await loadSession(db, "shop"), undefined);
 * await db.close();
 * ```
 * @module
 */
import type { SqlRunner } from "../../money/ports.ts";

/** The `kv` key of the session string. */
export const SESSION_KEY = "mtproto:session";

/** The stored session string of `tenantId`, or `undefined` when it has none. */
export async function loadSession(db: SqlRunner, tenantId: string): Promise<string | undefined> {
  const row = await db.get<{ value: string }>(
    "SELECT value FROM kv WHERE tenant_id = ? AND key = ?",
    [tenantId, SESSION_KEY],
  );
  return row?.value;
}

/** Stores (or replaces) the session string of `tenantId`. */
export async function storeSession(
  db: SqlRunner,
  tenantId: string,
  session: string,
): Promise<void> {
  await db.run(
    `INSERT INTO kv (tenant_id, key, value) VALUES (?, ?, ?)
     ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value`,
    [tenantId, SESSION_KEY, session],
  );
}

/** Forgets the session of `tenantId`: it no longer works, and the next connect logs in afresh. */
export async function forgetSession(db: SqlRunner, tenantId: string): Promise<void> {
  await db.run("DELETE FROM kv WHERE tenant_id = ? AND key = ?", [tenantId, SESSION_KEY]);
}
