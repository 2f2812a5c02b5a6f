/**
 * The embedded default storage: SQLite through Deno's built-in `node:sqlite`, so a fresh machine
 * needs no database server.
 *
 * One connection serves the process. SQLite allows one writer at a time anyway, and a single
 * connection makes transactions simple to reason about: an async lock lets one transaction (or
 * one lone statement) run at a time, so no statement can slip into another caller's open
 * transaction across an `await`. One process serves a file: a second one is refused at open, by
 * an exclusive lock on `<file>.lock` (`instance_lock.ts`) that ends with the process.
 *
 * Group commit: transactions that queue up behind the lock one after another are run together,
 * each inside its own savepoint, and committed at once. Each commit needs an fsync, and the
 * fsync, not the SQL, is what a transaction costs: under load one commit per transaction made
 * every tenant wait for the disk in turn (BENCHMARKS.md). Nothing else changes for a caller: its
 * function runs alone, its changes are rolled back alone when it throws, and it resolves only
 * once the shared commit is on disk; if that commit fails, every transaction of the group fails,
 * as none of them was committed. Order is kept: only transactions queued with nothing else
 * between them share a group.
 *
 * Durability is `synchronous=FULL`'s, but the fsync after each commit is made off the event loop
 * (`wal_sync.ts`): a commit's callers are answered once it is on disk, while the next group
 * already runs. A lone read waits for the commits before it to be on disk too, so nothing that
 * could still be lost is shown to anyone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SqliteDatabase } from "./sqlite.ts";
 *
 * const db = SqliteDatabase.open(":memory:");
 * await db.run("CREATE TABLE t (x INTEGER)");
 * // Queued together, these share one commit; each still succeeds or fails alone.
 * const [kept, failed] = await Promise.allSettled([
 *   db.transaction((tx) => tx.run("INSERT INTO t VALUES (?)", [1])),
 *   db.transaction(async (tx) => {
 *     await tx.run("INSERT INTO t VALUES (?)", [2]);
 *     throw new Error("changed my mind");
 *   }),
 * ]);
 * assert.deepEqual(kept, { status: "fulfilled", value: { changes: 1 } });
 * assert.equal(failed.status, "rejected");
 * assert.deepEqual(await db.all<{ x: number }>("SELECT x FROM t"), [{ x: 1 }]);
 * await db.close();
 * ```
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import {
  type Database,
  type SqlRunner,
  type SqlValue,
  StorageError,
} from "../../../money/ports.ts";
import { InstanceLock } from "./instance_lock.ts";
import { type WalFile, walFileOf, WalSync } from "./wal_sync.ts";

/**
 * How long a statement waits for a lock held by another process (a second runtime on the same
 * file, a backup tool) before failing: long enough to ride out a checkpoint, short enough that a
 * pre-checkout answer still meets Telegram's 10 s deadline.
 */
const busyTimeoutMs = 5_000;

/**
 * Most transactions committed at once: enough to share one fsync among every tenant's waiting
 * writes, few enough that the first of them does not wait long behind the others' SQL.
 */
const maxGroupSize = 100;

/** Statements that cannot change the database (`WITH` can: `WITH … INSERT`). */
const readOnly = /^\s*SELECT\b/i;

/** A transaction waiting for its group to run. */
interface GroupMember {
  fn: (tx: SqlRunner) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** `runner`, remembering the first of its statements that failed. */
function notingFailures(runner: SqlRunner): {
  runner: SqlRunner;
  failure(): { error: unknown } | undefined;
} {
  let failure: { error: unknown } | undefined;
  const note = <T>(promise: Promise<T>) =>
    promise.catch((error) => {
      failure ??= { error };
      throw error;
    });
  return {
    runner: {
      all: (sql, params) => note(runner.all(sql, params)),
      get: (sql, params) => note(runner.get(sql, params)),
      run: (sql, params) => note(runner.run(sql, params)),
    },
    failure: () => failure,
  };
}

/** SQLite behind the {@linkcode Database} interface. */
export class SqliteDatabase implements Database {
  readonly dialect = "sqlite" as const;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #lock: Promise<unknown> = Promise.resolve();
  /** The group queued last, while it still takes members: it has not started, nothing follows. */
  #openGroup: GroupMember[] | undefined;
  #closed = false;
  readonly #instanceLock: InstanceLock | undefined;
  /** Makes commits durable; none for an in-memory database, or where WAL is not available. */
  readonly #wal: WalSync | undefined;
  /** When the last group's commit, and the one before it, are on disk (never rejects). */
  #lastOnDisk: Promise<void> = Promise.resolve();
  #secondLastOnDisk: Promise<void> = Promise.resolve();

  private constructor(db: DatabaseSync, lock: InstanceLock | undefined, wal: WalSync | undefined) {
    this.#db = db;
    this.#instanceLock = lock;
    this.#wal = wal;
  }

  /**
   * Opens (creating if needed) the database file at `path`, or an in-memory one for
   * `":memory:"`. The folder must exist; `openDatabase` creates it. A file is locked for this
   * process until {@linkcode close} (`instance_lock.ts`): when another process has it open, this
   * throws a {@linkcode StorageError} naming the file and that process. `walFile` replaces how
   * the log reaches the disk (tests hold or fail a sync with it).
   */
  static open(path: string, walFile: WalFile = walFileOf(path)): SqliteDatabase {
    const lock = path === ":memory:" ? undefined : InstanceLock.acquire(path);
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path);
    } catch (error) {
      lock?.release();
      throw new StorageError(`cannot open SQLite database ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    // WAL lets readers (an operator's sqlite3 shell) work while we write. Each commit is made
    // durable even against power loss, as synchronous=FULL makes it: money and update records
    // must survive. In WAL mode the log's fsync after each commit is ours, off the event loop
    // (wal_sync.ts); where the file system has no WAL, SQLite's own FULL does it all.
    let wal: WalSync | undefined;
    try {
      db.exec(`PRAGMA journal_mode = WAL; PRAGMA busy_timeout = ${busyTimeoutMs};
        PRAGMA foreign_keys = ON;`);
      const mode = db.prepare("PRAGMA journal_mode").get()?.journal_mode;
      if (mode === "wal" && path !== ":memory:") wal = new WalSync(walFile);
      db.exec(`PRAGMA synchronous = ${wal ? "NORMAL" : "FULL"}`);
    } catch (error) {
      db.close();
      lock?.release();
      throw new StorageError(`cannot use SQLite database ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new SqliteDatabase(db, lock, wal);
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
  // compare and serialise them like any other object. Promise.try turns a failing statement (a
  // duplicate key, a typo) into a rejected promise instead of a throw at the call.
  readonly #runner: SqlRunner = {
    all: <T>(sql: string, params: readonly SqlValue[] = []) =>
      Promise.try(() => this.#statement(sql).all(...params).map((row) => ({ ...row }) as T)),
    get: <T>(sql: string, params: readonly SqlValue[] = []) =>
      Promise.try(() => {
        const row = this.#statement(sql).get(...params);
        return row === undefined ? undefined : { ...row } as T;
      }),
    run: (sql: string, params: readonly SqlValue[] = []) =>
      Promise.try(() => ({ changes: Number(this.#statement(sql).run(...params).changes) })),
  };

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StorageError("the database is closed"));
    if (this.#wal?.failure) return Promise.reject(this.#wal.failure);
    // Whatever queues after the open group keeps later transactions out of it, keeping order.
    this.#openGroup = undefined;
    const result = this.#lock.then(fn);
    this.#lock = result.catch(() => {});
    return result;
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#lone(sql, () => this.#runner.all<T>(sql, params));
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.#lone(sql, () => this.#runner.get<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.#lone(sql, () => this.#runner.run(sql, params));
  }

  /**
   * A statement outside any transaction (SQLite commits it on its own), answered once it and
   * every commit before it are on disk. A statement that does not start with SELECT counts as a
   * commit: `INSERT … RETURNING` is read with `all` too.
   */
  async #lone<T>(sql: string, statement: () => Promise<T>): Promise<T> {
    const result = await this.#exclusive(async () => {
      try {
        return await statement();
      } finally {
        if (!readOnly.test(sql)) this.#wal?.committed();
      }
    });
    await this.#wal?.durable();
    return result;
  }

  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StorageError("the database is closed"));
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const member: GroupMember = { fn, resolve: resolve as (value: unknown) => void, reject };
    if (this.#openGroup && this.#openGroup.length < maxGroupSize) {
      this.#openGroup.push(member);
      return promise;
    }
    const group = [member];
    this.#exclusive(() => this.#runGroup(group)).catch((error) => {
      // Only a broken connection gets here (ROLLBACK failed); settle whoever is still waiting.
      for (const waiting of group) waiting.reject(error);
    });
    this.#openGroup = group;
    return promise;
  }

  /**
   * Runs a group of transactions as one SQLite transaction, each member in a savepoint unless
   * it is alone, and settles every member: see the module documentation.
   */
  async #runGroup(group: GroupMember[]): Promise<void> {
    // Paced by the disk: a group runs while the previous group's sync does, not before the one
    // ahead of that is done, and takes members meanwhile. Unpaced, transactions streamed through
    // in groups of one or two, and SQLite wrote the same pages to its log once per commit: at
    // 100 tenants that cost more CPU than the syncs it took off the event loop (BENCHMARKS.md).
    await this.#secondLastOnDisk;
    if (this.#openGroup === group) this.#openGroup = undefined;
    try {
      this.#db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      for (const member of group) member.reject(error);
      return;
    }
    const alone = group.length === 1;
    const succeeded: { member: GroupMember; value: unknown }[] = [];
    let current = 0;
    try {
      for (; current < group.length; current++) {
        const member = group[current];
        if (!alone) this.#db.exec("SAVEPOINT member");
        try {
          const noted = notingFailures(this.#runner);
          const value = await member.fn(noted.runner);
          const failure = noted.failure();
          if (failure !== undefined) {
            // As on PostgreSQL, which aborts a transaction at its failed statement: a failure
            // the function caught still fails the transaction.
            throw new StorageError(
              `the transaction was rolled back: a statement in it failed (${
                failure.error instanceof Error ? failure.error.message : String(failure.error)
              })`,
              { cause: failure.error },
            );
          }
          succeeded.push({ member, value });
          if (!alone) this.#db.exec("RELEASE member");
        } catch (error) {
          // SQLite itself rolled everything back (disk full, I/O error): the group is lost.
          if (!this.#db.isTransaction) throw error;
          member.reject(error);
          this.#db.exec(alone ? "ROLLBACK" : "ROLLBACK TO member; RELEASE member");
        }
      }
      if (this.#db.isTransaction) {
        this.#db.exec("COMMIT");
        this.#wal?.committed();
      }
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      // The member that failed gets its own error; the others lost their work with it.
      group[current]?.reject(error);
      const lost = new StorageError(
        `not committed: a transaction committed together with this one failed (${
          error instanceof Error ? error.message : String(error)
        })`,
        { cause: error },
      );
      for (const { member } of succeeded) member.reject(lost);
      for (const member of group.slice(current + 1)) member.reject(lost);
      return;
    }
    // Answered once on disk; the lock is already free for the next group meanwhile.
    const onDisk = this.#wal?.durable() ?? Promise.resolve();
    this.#secondLastOnDisk = this.#lastOnDisk;
    this.#lastOnDisk = onDisk.catch(() => {});
    onDisk.then(
      () => {
        for (const { member, value } of succeeded) member.resolve(value);
      },
      (error) => {
        for (const { member } of succeeded) member.reject(error);
      },
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#exclusive(() => Promise.resolve()).catch(() => {});
    this.#closed = true;
    try {
      await this.#wal?.close().catch(() => {});
      this.#db.close();
    } finally {
      this.#instanceLock?.release();
    }
  }
}
