/**
 * Opens the database named by `DATABASE_URL` and brings its schema up to date.
 * `sqlite:<path>` (relative to the working directory; its folder is created) selects the
 * embedded default (`sqlite/`), which one process at a time may open; `sqlite::memory:` a
 * throwaway in-memory database. `postgres://…` or `postgresql://…` selects PostgreSQL
 * (`postgres/`), which several processes may share.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openDatabase } from "./open_database.ts";
 * import { StorageError } from "../../money/ports.ts";
 *
 * const db = await openDatabase("sqlite::memory:"); // migrated: the tables are there
 * assert.equal(db.dialect, "sqlite");
 * assert.deepEqual(await db.all("SELECT * FROM kv"), []);
 * await db.close();
 *
 * // Nothing listens on port 1: PostgreSQL is named, the password is not.
 * await assert.rejects(
 *   openDatabase("postgres://bot:hunter2@127.0.0.1:1/constellation"),
 *   (error: Error) => error instanceof StorageError && !error.message.includes("hunter2"),
 * );
 * await assert.rejects(openDatabase("data/constellation.db"), StorageError); // no scheme
 * ```
 * @module
 */
import { dirname } from "node:path";
import { type Database, StorageError } from "../../money/ports.ts";
import { SqliteDatabase } from "./sqlite/sqlite.ts";
import { PostgresDatabase } from "./postgres/postgres.ts";
import { migrate } from "./migrate.ts";
import { migrations } from "./migrations.ts";

/** Opens and migrates the database at `url`. */
export async function openDatabase(url: string): Promise<Database> {
  let db: Database;
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length);
    if (path === "") {
      throw new StorageError(
        "DATABASE_URL sqlite: needs a path, e.g. sqlite:data/constellation.db",
      );
    }
    if (path !== ":memory:") await Deno.mkdir(dirname(path), { recursive: true });
    db = SqliteDatabase.open(path);
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    db = await PostgresDatabase.open(url);
  } else {
    throw new StorageError(
      `DATABASE_URL must start with sqlite: (e.g. sqlite:data/constellation.db) or ` +
        `postgres:// (e.g. postgres://user:password@127.0.0.1:5432/constellation)`,
    );
  }
  try {
    await migrate(db, migrations);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
