/**
 * The embedded default storage: SQLite through Deno's built-in `node:sqlite`, so a fresh machine
 * needs no database server.
 *
 * One connection serves the process. SQLite allows one writer at a time anyway, and a single
 * connection makes transactions simple to reason about: an async lock lets one transaction (or
 * one lone statement) run at a time, so no statement can slip into another caller's open
 * transaction across an `await`.
 *
 * @example
 * ```ts
 * import { SqliteDatabase } from "./sqlite.ts";
 * const db = SqliteDatabase.open(":memory:");
 * await db.run("CREATE TABLE t (x INTEGER)");
 * await db.transaction((tx) => tx.run("INSERT INTO t VALUES (?)", [1]));
 * console.log(await db.get<{ x: number }>("SELECT x FROM t")); // { x: 1 }
 * await db.close();
 * ```
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type Database, type SqlRunner, type SqlValue, StorageError } from "./database.ts";

/**
 * How long a statement waits for a lock held by another process (a second runtime on the same
 * file, a backup tool) before failing: long enough to ride out a checkpoint, short enough that a
 * pre-checkout answer still meets Telegram's 10 s deadline.
 */
const busyTimeoutMs = 5_000;

/** SQLite behind the {@linkcode Database} interface. */
export class SqliteDatabase implements Database {
  readonly dialect = "sqlite" as const;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #lock: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /**
   * Opens (creating if needed) the database file at `path`, or an in-memory one for
   * `":memory:"`. The folder must exist; `openDatabase` creates it.
   */
  static open(path: string): SqliteDatabase {
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path);
    } catch (error) {
      throw new StorageError(`cannot open SQLite database ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    // WAL lets readers (an operator's sqlite3 shell) work while we write. synchronous=FULL
    // makes each commit durable even against power loss: money and update records must survive.
    db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
      PRAGMA busy_timeout = ${busyTimeoutMs}; PRAGMA foreign_keys = ON;`);
    return new SqliteDatabase(db);
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  // The runner used both for lone statements and inside transactions; it never takes the lock.
  // node:sqlite returns null-prototype rows; they are copied into plain objects so callers can
  // compare and serialise them like any other object.
  readonly #runner: SqlRunner = {
    all: <T>(sql: string, params: readonly SqlValue[] = []) =>
      Promise.resolve(this.#statement(sql).all(...params).map((row) => ({ ...row }) as T)),
    get: <T>(sql: string, params: readonly SqlValue[] = []) => {
      const row = this.#statement(sql).get(...params);
      return Promise.resolve(row === undefined ? undefined : { ...row } as T);
    },
    run: (sql: string, params: readonly SqlValue[] = []) =>
      Promise.resolve({ changes: Number(this.#statement(sql).run(...params).changes) }),
  };

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StorageError("the database is closed"));
    const result = this.#lock.then(fn);
    this.#lock = result.catch(() => {});
    return result;
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#exclusive(() => this.#runner.all<T>(sql, params));
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.#exclusive(() => this.#runner.get<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.#exclusive(() => this.#runner.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(this.#runner);
        this.#db.exec("COMMIT");
        return result;
      } catch (error) {
        this.#db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#exclusive(() => Promise.resolve());
    this.#closed = true;
    this.#db.close();
  }
}
