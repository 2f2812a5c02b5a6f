/**
 * PostgreSQL behind the {@linkcode Database} port, through postgres.js (`npm:postgres`):
 * `DATABASE_URL=postgres://user:password@host:5432/database` (or `postgresql://`).
 *
 * - **A pool** of connections (10 by default). Lone statements go to whichever connection is
 *   free; statements issued together on one connection are pipelined.
 * - **Transactions** take a connection of their own (`sql.reserve()`) for their whole life:
 *   `BEGIN ISOLATION LEVEL READ COMMITTED`, the function, `COMMIT` (or `ROLLBACK` when it
 *   throws). Transactions run side by side, each isolated at READ COMMITTED: the stores are
 *   written for that (conditional updates, `ON CONFLICT`, a retry on a taken entry number; see
 *   `money/stores/ledger.ts`). A statement that fails inside a transaction fails the whole
 *   transaction, as PostgreSQL aborts it: even if the function catches the error, the
 *   transaction is rolled back and rejects.
 * - **Integers** (`BIGINT`, `COUNT(*)`, `NUMERIC` without a fraction) come back as JavaScript
 *   numbers, and a value beyond `Number.MAX_SAFE_INTEGER` fails the statement loudly instead of
 *   being rounded; binding such a number fails too.
 * - **`?` placeholders** are numbered `$1`, `$2` … ({@linkcode numberPlaceholders}), so the
 *   stores' portable SQL runs unchanged.
 * - **Deadlines**: connecting gives up after `connect_timeout` (10 s), every statement after
 *   `statement_timeout` (5 s, waiting for locks included), and a transaction left idle (its
 *   process paused or stuck between statements) is ended by the server after
 *   `idle_in_transaction_session_timeout` (15 s), releasing its locks. Any of them can be
 *   changed in the URL's query (`?statement_timeout=10000`), which PostgreSQL receives as
 *   session settings. Those are the server's; the client keeps a deadline of its own on every
 *   statement and on getting a connection for a transaction ({@linkcode
 *   PostgresSettings.clientDeadlineMs}, 7 s), because a server that restarts or a network that
 *   drops packets can leave a statement unanswered for good: without it, a query queued on a
 *   connection the server has gone from waited up to 20 s, or for ever.
 * @module
 */
import postgres from "postgres";
import {
  type Database,
  type SqlRunner,
  type SqlValue,
  StorageError,
} from "../../../money/ports.ts";
import { numberPlaceholders } from "./placeholders.ts";

/** How the pool connects and the session settings every connection starts with. */
export interface PostgresSettings {
  /** Connections in the pool. */
  maxConnections: number;
  /** Seconds to wait for a connection to be established. */
  connectTimeoutSeconds: number;
  /** Seconds an unused connection stays open. */
  idleTimeoutSeconds: number;
  /** `statement_timeout`: the longest one statement may run, lock waits included. */
  statementTimeoutMs: number;
  /** `idle_in_transaction_session_timeout`: the longest a transaction may sit between statements. */
  idleInTransactionTimeoutMs: number;
  /**
   * How long the client waits for a statement's answer (or for a connection to run a
   * transaction on) before it gives up on it and cancels it: `statement_timeout` plus 2 s, so
   * the server's own deadline normally answers first.
   */
  clientDeadlineMs: number;
  /**
   * `application_name`, shown in `pg_stat_activity`: `constellation`, or `constellation:<id>`
   * when several instances share the database, so an operator sees which one holds a lock.
   */
  applicationName: string;
}

/** The settings used unless the caller (or the URL's query) says otherwise. */
export const DEFAULT_POSTGRES_SETTINGS: Readonly<PostgresSettings> = {
  maxConnections: 10,
  connectTimeoutSeconds: 10,
  idleTimeoutSeconds: 60,
  statementTimeoutMs: 5_000,
  idleInTransactionTimeoutMs: 15_000,
  applicationName: "constellation",
  clientDeadlineMs: 7_000,
};

/** A `BIGINT` or integral `NUMERIC` value beyond the safe range, kept as text to be reported. */
class UnsafeInteger {
  constructor(readonly text: string) {}
}

/** How many {@linkcode UnsafeInteger}s were ever parsed: lets a query skip the scan for them. */
let unsafeIntegersParsed = 0;

/**
 * Parsers run inside postgres.js's socket handler, where a throw would tangle the connection;
 * they mark an unsafe value instead, and the statement fails once its rows are in.
 */
function parseInteger(text: string): number | UnsafeInteger {
  const value = Number(text);
  if (Number.isSafeInteger(value)) return value;
  unsafeIntegersParsed++;
  return new UnsafeInteger(text);
}

function parseNumeric(text: string): number | UnsafeInteger {
  // SUM of BIGINT is NUMERIC; a fraction (AVG) is an ordinary float.
  return /^-?\d+$/.test(text) ? parseInteger(text) : Number(text);
}

/** postgres.js custom types: BIGINT (20) and NUMERIC (1700) parsed into numbers. */
const integerTypes = {
  int8: { to: 20, from: [20], serialize: (x: unknown) => String(x), parse: parseInteger },
  numeric: { to: 1700, from: [1700], serialize: (x: unknown) => String(x), parse: parseNumeric },
};

/** Throws when a row holds an integer beyond the safe range. */
function requireSafeRows(rows: readonly Record<string, unknown>[], sql: string): void {
  for (const row of rows) {
    for (const [column, value] of Object.entries(row)) {
      if (value instanceof UnsafeInteger) {
        throw new RangeError(
          `PostgreSQL returned ${value.text} in column "${column}", beyond the integers ` +
            `JavaScript holds exactly (±${Number.MAX_SAFE_INTEGER}); statement: ${sql}`,
        );
      }
    }
  }
}

/** Checks the bound values: a number must be finite, and an integer must be a safe one. */
function checkedParams(params: readonly SqlValue[]): SqlValue[] {
  for (const [i, value] of params.entries()) {
    if (typeof value !== "number") continue;
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
      throw new RangeError(
        `parameter ${i + 1} is ${value}, which cannot be stored exactly; integers must be ` +
          `within ±${Number.MAX_SAFE_INTEGER}`,
      );
    }
  }
  return params as SqlValue[];
}

/** Translations of the statements seen so far (the stores use a fixed set of them). */
const translated = new Map<string, string>();

function toPostgres(sql: string): string {
  let text = translated.get(sql);
  if (text === undefined) {
    text = numberPlaceholders(sql);
    if (translated.size < 10_000) translated.set(sql, text);
  }
  return text;
}

/** The part of a postgres.js connection a transaction uses: its close hook, and closing it. */
interface ConnectionHooks {
  onclose?: ((error: unknown) => void) | null;
  terminate?: () => void;
}

/** What `unsafe` can run on: the pool or one reserved connection. */
type Queryable = Pick<postgres.Sql, "unsafe">;

/** The answer `work` did not give within the client's deadline. */
class NoAnswerError extends StorageError {
  constructor(what: string, ms: number) {
    super(`PostgreSQL gave no answer to ${what} within ${ms} ms; it was abandoned`);
    this.name = "NoAnswerError";
  }
}

/** `work`, or a {@linkcode NoAnswerError} after `ms` (when `abandon` is called). */
async function withinDeadline<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  abandon: () => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abandon();
      reject(new NoAnswerError(what, ms));
    }, ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs one statement on `on`; resolves with its rows and how many rows it changed. */
async function execute(
  on: Queryable,
  sql: string,
  params: readonly SqlValue[],
  deadlineMs: number,
): Promise<{ rows: Record<string, unknown>[]; changes: number }> {
  const before = unsafeIntegersParsed;
  const query = on.unsafe(toPostgres(sql), checkedParams(params), { prepare: true });
  // Cancelling takes it out of the queue, or asks the server to stop it.
  const result = await withinDeadline(query, deadlineMs, "a statement", () => query.cancel());
  // postgres.js gives an Array subclass carrying count and columns; callers get a plain array.
  const rows = Array.from(result) as Record<string, unknown>[];
  if (unsafeIntegersParsed !== before) requireSafeRows(rows, sql);
  return { rows, changes: result.count ?? 0 };
}

/** A {@linkcode SqlRunner} over `on`; `guard` may refuse a statement before it is sent. */
function runnerOver(
  on: Queryable,
  deadlineMs: number,
  guard: () => void = () => {},
  failed: (error: unknown) => void = () => {},
): SqlRunner {
  const run = async (sql: string, params: readonly SqlValue[] = []) => {
    guard();
    try {
      return await execute(on, sql, params, deadlineMs);
    } catch (error) {
      failed(error);
      throw error;
    }
  };
  return {
    all: async <T>(sql: string, params?: readonly SqlValue[]) =>
      (await run(sql, params)).rows as T[],
    get: async <T>(sql: string, params?: readonly SqlValue[]) =>
      (await run(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params?: readonly SqlValue[]) => ({
      changes: (await run(sql, params)).changes,
    }),
  };
}

/** `url` without its password, for messages: `host:port/database`. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname || "/"}`;
  } catch {
    return "the PostgreSQL server of DATABASE_URL";
  }
}

/** PostgreSQL behind the {@linkcode Database} interface; see the module documentation. */
export class PostgresDatabase implements Database {
  readonly dialect = "postgres" as const;
  /** Where it connects, without the password: `host:port/database`. */
  readonly where: string;
  readonly #sql: postgres.Sql;
  readonly #pool: SqlRunner;
  readonly #deadlineMs: number;
  readonly #pending = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  private constructor(sql: postgres.Sql, where: string, deadlineMs: number) {
    this.#sql = sql;
    this.where = where;
    this.#deadlineMs = deadlineMs;
    this.#pool = runnerOver(sql, deadlineMs);
  }

  /**
   * Connects to the database at `url` (checking that it answers) with `settings` on top of
   * {@linkcode DEFAULT_POSTGRES_SETTINGS}. Throws a {@linkcode StorageError} naming the server
   * (never the password) when it cannot.
   */
  static async open(
    url: string,
    settings: Partial<PostgresSettings> = {},
  ): Promise<PostgresDatabase> {
    const s = { ...DEFAULT_POSTGRES_SETTINGS, ...settings };
    const where = describePostgresUrl(url);
    let sql: postgres.Sql;
    try {
      // The URL's query wins over the settings (postgres.js lets options win over the URL).
      const query = new URL(url).searchParams;
      const unlessInUrl = (name: string, value: number) => query.has(name) ? {} : { [name]: value };
      sql = postgres(url, {
        ...unlessInUrl("max", s.maxConnections),
        ...unlessInUrl("connect_timeout", s.connectTimeoutSeconds),
        ...unlessInUrl("idle_timeout", s.idleTimeoutSeconds),
        prepare: true,
        // fetch_types stays on (one query per new connection): with it off, postgres.js 3.4.9
        // never hands out a connection opened for sql.reserve(), and sql.end() waits for it.
        fetch_types: true,
        onnotice: () => {}, // "relation already exists, skipping" and the like
        types: integerTypes,
        connection: {
          application_name: s.applicationName,
          statement_timeout: s.statementTimeoutMs,
          idle_in_transaction_session_timeout: s.idleInTransactionTimeoutMs,
        },
      });
    } catch (error) {
      throw new StorageError(
        `DATABASE_URL is not a PostgreSQL URL that can be used (${where}): ${messageOf(error)}`,
        { cause: error },
      );
    }
    try {
      await sql.unsafe("SELECT 1");
    } catch (error) {
      await sql.end({ timeout: 1 }).catch(() => {});
      throw new StorageError(`cannot connect to PostgreSQL at ${where}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    return new PostgresDatabase(sql, where, s.clientDeadlineMs);
  }

  #track<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new StorageError("the database is closed"));
    const promise = work();
    this.#pending.add(promise);
    const forget = () => this.#pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#track(() => this.#pool.all<T>(sql, params));
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.#track(() => this.#pool.get<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.#track(() => this.#pool.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#track(() => this.#transaction(fn));
  }

  async #transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const reserving = this.#sql.reserve();
    const connection = await withinDeadline(
      reserving,
      this.#deadlineMs,
      "the request for a connection",
      // Given later after all, it goes back to the pool unused.
      () => void reserving.then((late) => late.release(), () => {}),
    );
    let over = false;
    let firstFailure: { error: unknown } | undefined;
    // The reserved connection itself, to hear when it closes (the server ended the session: an
    // idle transaction past its deadline, a restart, a lost network). postgres.js 3.4.9 would
    // still send later statements on it, to a socket that is gone, and they would never settle;
    // and releasing it would put a dead connection back in the pool. So once it is lost, no
    // statement goes to it, and it is left to the pool, which connects it again when needed.
    let wire: ConnectionHooks | undefined;
    let lost: { error: unknown } | undefined;
    const hear = (c: ConnectionHooks) => {
      wire = c;
      c.onclose = (error) => lost ??= { error };
      return true;
    };
    const lostError = () =>
      new StorageError(
        `the connection of this transaction was lost, and the server rolled it back (${
          messageOf(lost!.error)
        })`,
        { cause: lost!.error },
      );
    const tx = runnerOver(
      connection,
      this.#deadlineMs,
      () => {
        if (over) {
          throw new StorageError(
            "a statement was issued on a transaction that is already over; run it on the " +
              "database, or await it inside the transaction",
          );
        }
        if (lost !== undefined) throw lostError();
      },
      (error) => {
        firstFailure ??= { error };
        if (error instanceof NoAnswerError) abandon(error);
      },
    );
    // A statement the server never answered leaves the connection in an unknown state: it is
    // closed (the server rolls the transaction back) and, as a lost one, left to the pool.
    const abandon = (error: NoAnswerError) => {
      lost ??= { error };
      wire?.terminate?.();
    };
    const bounded = (query: postgres.PendingQuery<postgres.Row[]>, what: string) =>
      withinDeadline(query, this.#deadlineMs, what, () => query.cancel())
        .catch((error) => {
          if (error instanceof NoAnswerError) abandon(error);
          throw error;
        });
    const rollback = async () => {
      if (lost === undefined) {
        await bounded(connection.unsafe("ROLLBACK"), "ROLLBACK").catch(() => {});
      }
    };
    try {
      // `onexecute` (what postgres.js's own `begin` uses) hands over the connection.
      await bounded(
        connection.unsafe("BEGIN ISOLATION LEVEL READ COMMITTED", [], {
          onexecute: hear,
        } as Record<string, unknown>),
        "BEGIN",
      );
      let value: T;
      try {
        value = await fn(tx);
      } catch (error) {
        over = true;
        await rollback();
        throw error;
      }
      over = true;
      if (lost !== undefined) throw lostError();
      if (firstFailure !== undefined) {
        // PostgreSQL aborted the transaction at the failed statement; nothing can be committed.
        await rollback();
        throw new StorageError(
          `the transaction was rolled back: a statement in it failed (${
            messageOf(firstFailure.error)
          })`,
          { cause: firstFailure.error },
        );
      }
      let committed: postgres.RowList<postgres.Row[]>;
      try {
        committed = await bounded(connection.unsafe("COMMIT"), "COMMIT");
      } catch (error) {
        throw new StorageError(
          `COMMIT failed, so whether the transaction was committed is not known (${
            messageOf(error)
          })`,
          { cause: error },
        );
      }
      if (committed.command !== "COMMIT") {
        throw new StorageError(`the transaction was not committed (${committed.command})`);
      }
      return value;
    } finally {
      if (wire !== undefined) wire.onclose = null;
      // A connection never handed over (BEGIN still queued) cannot be closed from here: back to
      // the pool with it, which sends nothing more on it until its queue moves.
      if (lost === undefined || wire === undefined) connection.release();
    }
  }

  /**
   * Calls `onPayload` with the payload of every `NOTIFY` on `channel`, until the returned function
   * is called. postgres.js listens on a connection of its own and listens again after a
   * reconnect; notifications sent while it was disconnected are lost, so a listener must also
   * look for what it may have missed (a periodic sweep).
   */
  async listen(
    channel: string,
    onPayload: (payload: string) => void,
  ): Promise<() => Promise<void>> {
    const { unlisten } = await this.#sql.listen(channel, onPayload);
    return unlisten;
  }

  /** Sends `NOTIFY channel, payload`; delivered to the listeners once any transaction commits. */
  async notify(channel: string, payload: string): Promise<void> {
    await this.#track(() => this.#sql.notify(channel, payload));
  }

  /** Lets the statements and transactions under way finish, then closes every connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
      await this.#sql.end({ timeout: 5 });
    })();
    return this.#closing;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
