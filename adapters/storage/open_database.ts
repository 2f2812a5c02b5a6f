/**
 * Opens the database named by `DATABASE_URL` and brings its schema up to date.
 * `sqlite:<path>` (relative to the working directory; its folder is created) selects the
 * embedded default (`sqlite/`), which one process at a time may open; `sqlite::memory:` a
 * throwaway in-memory database. `postgres://…` or `postgresql://…` selects PostgreSQL
 * (`postgres/`), which several processes may share.
 *
 * Every error names `DATABASE_URL`, the file or server, and what to do about it: a read-only file
 * or folder, a path through a file (`sqlite:/etc/passwd/x.db`), a kernel file system (`/proc`,
 * `/sys`, `/dev`), a server that refuses or a password it rejects, an unsupported scheme. Deno's
 * own permission advice ("run again with the --allow-all flag") never reaches the operator.
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
 * await assert.rejects(openDatabase("sqlite:/proc/constellation.db"), /DATABASE_URL.*\/proc/);
 * ```
 * @module
 */
import { dirname, resolve } from "node:path";
import { type Database, StorageError } from "../../money/ports.ts";
import { SqliteDatabase } from "./sqlite/sqlite.ts";
// PostgreSQL's driver is loaded only for a PostgreSQL URL: the embedded default never needs it.
import type { PostgresSettings } from "./postgres/postgres.ts";
import { migrate } from "./migrate.ts";
import { migrations } from "./migrations.ts";

const SQLITE_EXAMPLE = "sqlite:data/constellation.db";
const POSTGRES_EXAMPLE = "postgres://user:password@127.0.0.1:5432/constellation";

/** Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/**
 * Opens and migrates the database at `url`; `postgres` settings apply to a PostgreSQL one
 * (`postgres/postgres.ts`).
 */
export async function openDatabase(
  url: string,
  postgres: Partial<PostgresSettings> = {},
): Promise<Database> {
  if (url.startsWith("sqlite:")) return await openSqlite(url, url.slice("sqlite:".length));
  if (isPostgresUrl(url)) return await openPostgres(url, postgres);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new StorageError(
    `DATABASE_URL ${
      scheme === undefined ? "has no scheme" : `starts with ${scheme}:, which is not supported`
    }: use sqlite:<path> for the embedded database (e.g. ${SQLITE_EXAMPLE}) or ` +
      `postgres://… (or postgresql://…) for PostgreSQL (e.g. ${POSTGRES_EXAMPLE})`,
  );
}

async function openSqlite(url: string, path: string): Promise<Database> {
  if (path === "") {
    throw new StorageError(`DATABASE_URL sqlite: needs a path, e.g. ${SQLITE_EXAMPLE}`);
  }
  if (path === ":memory:") return await migrated(SqliteDatabase.open(path));
  const file = resolve(path);
  const problem = await sqlitePathProblem(file);
  if (problem !== undefined) {
    throw new StorageError(
      `DATABASE_URL=${url}: ${problem}; point DATABASE_URL at a file in a folder this process ` +
        `can write, e.g. ${SQLITE_EXAMPLE}`,
    );
  }
  let db: Database;
  try {
    await Deno.mkdir(dirname(file), { recursive: true });
    db = SqliteDatabase.open(path);
  } catch (error) {
    throw explainSqliteError(url, file, error);
  }
  try {
    return await migrated(db);
  } catch (error) {
    throw explainSqliteError(url, file, error);
  }
}

/** `db` migrated, or closed when it cannot be. */
async function migrated(db: Database): Promise<Database> {
  try {
    await migrate(db, migrations);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** Kernel file systems: nothing there can hold a database. */
const VIRTUAL_ROOTS = ["/proc", "/sys", "/dev"];

/**
 * Why the database file `file` (absolute) cannot be, found before touching it: it lies in a
 * kernel file system, or one of its parent "folders" is a file. `undefined` when no reason shows.
 */
async function sqlitePathProblem(file: string): Promise<string | undefined> {
  const root = VIRTUAL_ROOTS.find((root) => file === root || file.startsWith(`${root}/`));
  if (root !== undefined) {
    return `${file} is inside ${root}, a file system of the kernel that cannot hold a database`;
  }
  for (let folder = dirname(file);; folder = dirname(folder)) {
    try {
      const info = await Deno.stat(folder);
      if (!info.isDirectory) {
        return `${folder} is a file, not a folder, so the database ${file} cannot be created in it`;
      }
      return undefined;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) return undefined; // the open will tell
    }
    if (dirname(folder) === folder) return undefined;
  }
}

/**
 * A {@linkcode StorageError} for a failure to open or migrate the SQLite database `file`, saying
 * what to do. Exported for tests: a read-only file cannot be made for a root user.
 */
export function explainSqliteError(url: string, file: string, error: unknown): StorageError {
  const cause = error instanceof StorageError && error.cause !== undefined ? error.cause : error;
  const text = `${(error as Error)?.message ?? error} ${(cause as Error)?.message ?? ""}`;
  const prefix = `DATABASE_URL=${url}:`;
  if (cause instanceof Deno.errors.NotCapable) {
    // Deno's own advice ("run again with --allow-all") would not apply: the start task allows
    // reading and writing files, so only a narrower --allow-write leads here.
    return new StorageError(
      `${prefix} this process is not allowed to read and write ${file} (its --allow-read and ` +
        `--allow-write do not include it); point DATABASE_URL inside the folders it may write, ` +
        `e.g. ${SQLITE_EXAMPLE}`,
      { cause: error },
    );
  }
  if (
    cause instanceof Deno.errors.PermissionDenied ||
    /readonly database|read-only|permission denied|os error 13|os error 30/i.test(text)
  ) {
    const user = Deno.uid?.() ?? undefined;
    return new StorageError(
      `${prefix} the database ${file} or its folder ${dirname(file)} is read-only for this ` +
        `process${user === undefined || user === null ? "" : ` (user id ${user})`}; SQLite ` +
        `writes the file and, beside it, its -wal, -shm and .lock files: make both writable by ` +
        `that user (chown or chmod), or point DATABASE_URL at a writable place`,
      { cause: error },
    );
  }
  if (cause instanceof Deno.errors.AlreadyExists || cause instanceof Deno.errors.NotADirectory) {
    return new StorageError(
      `${prefix} a part of the path ${dirname(file)} is a file, not a folder; point ` +
        `DATABASE_URL at a file in a folder, e.g. ${SQLITE_EXAMPLE}`,
      { cause: error },
    );
  }
  const message = (error as Error)?.message ?? String(error);
  return new StorageError(
    `${prefix} ${message.includes(file) ? message : `cannot open ${file}: ${message}`}`,
    { cause: error },
  );
}

async function openPostgres(url: string, settings: Partial<PostgresSettings>): Promise<Database> {
  const { describePostgresUrl, PostgresDatabase } = await import("./postgres/postgres.ts");
  let db: Database;
  try {
    db = await PostgresDatabase.open(url, settings);
  } catch (error) {
    throw explainPostgresError(describePostgresUrl(url), error);
  }
  return await migrated(db);
}

/**
 * The error of a failed PostgreSQL connection to `where` (the URL without its password), with
 * what to do.
 */
function explainPostgresError(where: string, error: unknown): StorageError {
  const cause = (error as Error)?.cause as { code?: string } | undefined;
  const code = cause?.code ?? (error as { code?: string })?.code;
  const advice: Record<string, string> = {
    ECONNREFUSED: `nothing accepts connections at ${where}: start PostgreSQL there, or fix the ` +
      `host and port in DATABASE_URL`,
    ENOTFOUND: `the host of DATABASE_URL (${where}) is not found: fix its name`,
    EAI_AGAIN: `the host of DATABASE_URL (${where}) could not be resolved: check its name and DNS`,
    ETIMEDOUT: `${where} did not answer in time: check the host, port and firewall`,
    CONNECT_TIMEOUT: `${where} did not answer in time: check the host, port and firewall`,
    "28P01": `the server at ${where} refused the user or password of DATABASE_URL`,
    "28000": `the server at ${where} refused the user of DATABASE_URL (pg_hba.conf)`,
    "3D000": `the database of DATABASE_URL does not exist on ${where}: create it (createdb) ` +
      `or fix its name`,
  };
  const what = code !== undefined ? advice[code] : undefined;
  const message = (error as Error)?.message ?? String(error);
  return new StorageError(
    what === undefined
      ? `DATABASE_URL (PostgreSQL at ${where}): ${message}`
      : `DATABASE_URL (PostgreSQL at ${where}): ${what} (${message})`,
    { cause: error },
  );
}
