/**
 * Applies the migrations a database has not seen yet, each in its own transaction, and records
 * them in `schema_migrations`. A database newer than this code (a version we do not know) is
 * refused rather than guessed at.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SqliteDatabase } from "./sqlite.ts";
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
import { type Database, StorageError } from "../../money/ports.ts";
import type { Migration } from "./migrations.ts";

/** Brings `db` up to the newest migration; returns the versions it applied. */
export async function migrate(
  db: Database,
  migrations: readonly Migration[],
  now: () => number = Date.now,
): Promise<number[]> {
  await db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
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
    await db.transaction(async (tx) => {
      for (const statement of migration.statements) await tx.run(statement);
      await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
        migration.version,
        migration.name,
        now(),
      ]);
    });
    applied.push(migration.version);
  }
  return applied;
}
