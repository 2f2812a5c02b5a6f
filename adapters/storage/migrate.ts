/**
 * Applies the migrations a database has not seen yet, each in its own transaction, and records
 * them in `schema_migrations`. A database newer than this code (a version we do not know) is
 * refused rather than guessed at. A migration runs its statements for the database's engine
 * (`Migration.dialects`, when it has engine-specific ones).
 *
 * Several instances may start at once on one PostgreSQL database: each migration transaction
 * first takes a transaction-scoped advisory lock (`pg_advisory_xact_lock`), so they queue, and
 * then checks again whether another instance applied that version meanwhile. SQLite needs no
 * such lock: one process holds the file (`sqlite/instance_lock.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SqliteDatabase } from "./sqlite/sqlite.ts";
 * import { migrate } from "./migrate.ts";
 * import type { Migration } from "./migrations.ts";
 * import { StorageError } from "../../money/ports.ts";
 *
 * const v1: Migration = { version: 1, name: "notes", statements: ["CREATE TABLE notes (x TEXT)"] };
 * const v2: Migration = { version: 2, name: "tags", statements: ["CREATE TABLE tags (x TEXT)"] };
 * const db = SqliteDatabase.open(":memory:");
 * assert.deepEqual(await migrate(db, [v1, v2]), [1, 2]);
 * assert.deepEqual(await migrate(db, [v1, v2]), []); // already there
 * // Code that knows only version 1 refuses a database written by a newer release.
 * await assert.rejects(migrate(db, [v1]), StorageError);
 * await db.close();
 * ```
 * @module
 */
import { type Database, type SqlRunner, StorageError } from "../../money/ports.ts";
import type { Migration } from "./migrations.ts";

/** The key of the PostgreSQL advisory lock that migrations take: any constant of our own. */
export const MIGRATION_LOCK_KEY = 7_240_310_150_001;

/**
 * How long a migration may take on PostgreSQL, waiting for another instance's included: far
 * beyond the 5 s an ordinary statement gets, since building an index on a large table takes time.
 */
const MIGRATION_TIMEOUT_MS = 10 * 60_000;

/** On PostgreSQL, makes the transaction wait for (then hold) the migration lock. */
async function lockSchema(db: Database, tx: SqlRunner): Promise<void> {
  if (db.dialect !== "postgres") return;
  await tx.run(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
  await tx.get(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}) AS locked`);
}

/** Brings `db` up to the newest migration; returns the versions it applied. */
export async function migrate(
  db: Database,
  migrations: readonly Migration[],
  now: () => number = Date.now,
): Promise<number[]> {
  // Under the lock: two PostgreSQL sessions creating the same table at once may clash.
  await db.transaction(async (tx) => {
    await lockSchema(db, tx);
    await tx.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
  });
  const done = new Set(
    (await db.all<{ version: number }>("SELECT version FROM schema_migrations"))
      .map((r) => Number(r.version)),
  );
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...done].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new StorageError(
      `the database has schema version(s) ${unknown.join(", ")} that this version of ` +
        `Constellation does not know; it was written by a newer release`,
    );
  }
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    const statements = migration.dialects?.[db.dialect] ?? migration.statements;
    const appliedHere = await db.transaction(async (tx) => {
      await lockSchema(db, tx);
      const already = await tx.get("SELECT version FROM schema_migrations WHERE version = ?", [
        migration.version,
      ]);
      if (already !== undefined) return false; // another instance applied it meanwhile
      for (const statement of statements) await tx.run(statement);
      await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
        migration.version,
        migration.name,
        now(),
      ]);
      return true;
    });
    if (appliedHere) applied.push(migration.version);
  }
  return applied;
}
