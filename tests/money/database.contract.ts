/**
 * The contract of the money domain's {@linkcode Database} port (`money/ports.ts`): what the
 * stores (`money/stores/`, `money/delivery/`, `money/reconciliation/`, `money/bot_stars/`) and
 * the schema migrations rely on from any engine. One suite, registered once per implementation,
 * like Hono's router `common.case.test.ts`; a store's own tests then need not repeat it.
 *
 * It is a module, not a test file (the name does not end in `_test.ts`): an implementation's
 * test file calls {@linkcode databaseContract}, which registers the `Deno.test`s. The SQLite
 * adapter's runs are in `tests/adapters/storage/sqlite_contract_test.ts`, PostgreSQL's in
 * `tests/adapters/storage/postgres_contract_test.ts`.
 *
 * Running it against a new engine:
 *
 * 1. Give `open` that returns a new, empty store each call, opened and migrated the way the
 *    runtime opens it (`openDatabase`): with PostgreSQL a fresh schema or database per call
 *    (every test creates its own `contract_*` tables and fills the migrated ones).
 * 2. If the store outlives its connection (a file, a server), give `reopen` (opens the same store
 *    again once `db` is closed: a restart) and `{ restarts: true }`: the tests that restart the
 *    store then run, and "committed" is checked after a restart, not only on the connection that
 *    wrote. Give `dispose` to remove the store afterwards.
 * 3. Keep the suite portable: its SQL is the subset the stores use (`?` placeholders, `BIGINT`
 *    and `TEXT`, `ON CONFLICT`, `LIMIT ? OFFSET ?`, `COUNT`/`MIN`/`MAX`/`COALESCE`, lowercase
 *    aliases since PostgreSQL folds unquoted names). An engine that fails a test here breaks a
 *    store, so fix the adapter (e.g. parse `BIGINT` and `COUNT(*)` into numbers, translate `?`),
 *    not the test; a test that asks for more than a store needs is the one to change.
 * 4. Keep it engine-neutral: transactions may run side by side (PostgreSQL's pool, READ
 *    COMMITTED) or one at a time (SQLite), and every concurrency test here holds either way. A
 *    check of one engine's own behaviour (SQLite running transactions one at a time, say)
 *    belongs in that adapter's tests.
 *
 * @example
 * ```ts ignore
 * import { databaseContract } from "../../money/database.contract.ts";
 * import { openDatabase } from "../../../adapters/storage/open_database.ts";
 * databaseContract("postgres", async () => {
 *   const fresh = await freshPostgresDatabase(); // tests/support/postgres_cluster.ts
 *   return {
 *     db: await openDatabase(fresh.url),
 *     reopen: () => openDatabase(fresh.url),
 *     dispose: () => fresh.drop(),
 *   };
 * }, { restarts: true, ignore: postgresIgnored });
 * ```
 * @module
 */
import { type Database, type SqlRunner, StorageError } from "../../money/ports.ts";
import { migrations } from "../../adapters/storage/migrations.ts";
import { assertEquals, assertRejects, assertTrue } from "../support/assert.ts";

/** One new, empty store for one test. */
export interface FreshDatabase {
  /** The store, opened and migrated as the runtime opens it (`openDatabase`). */
  db: Database;
  /**
   * Opens the same store again after `db` was closed, as a restart does. Required with
   * `restarts: true`; absent for a store that ends with its connection (SQLite `:memory:`).
   */
  reopen?: () => Promise<Database>;
  /** Removes the store (a temporary folder, a schema) once its test has closed it. */
  dispose?: () => Promise<void>;
}

/** Makes a {@linkcode FreshDatabase}; called once per test. */
export type OpenFreshDatabase = () => Promise<FreshDatabase>;

/** What the implementation can do beyond the port. */
export interface DatabaseContractOptions {
  /**
   * The store outlives its connection and `reopen` reopens it. Without it the restart tests are
   * registered as ignored, so a run shows what it did not check.
   */
  restarts?: boolean;
  /** Registers every test as ignored: the engine is not available here (see its runner). */
  ignore?: boolean;
}

/** A scratch table of the suite's own, in the portable column types the schema uses. */
const ROWS = `CREATE TABLE contract_rows (
  k TEXT PRIMARY KEY,
  v BIGINT NOT NULL,
  note TEXT,
  label TEXT UNIQUE)`;

/** The tables the migrations create, read from their statements. */
const migratedTables = migrations.flatMap((m) =>
  m.statements.flatMap((statement) => statement.match(/^\s*CREATE TABLE\s+(\w+)/i)?.[1] ?? [])
);

const pause = (ms = 1) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One test's store, with a restart when the implementation has one. */
class Store {
  db: Database;
  readonly #fresh: FreshDatabase;
  readonly #restarts: boolean;

  constructor(fresh: FreshDatabase, restarts: boolean) {
    this.db = fresh.db;
    this.#fresh = fresh;
    this.#restarts = restarts;
  }

  /** Closes the store and opens it again; the new connection is `db`. */
  async restart(): Promise<Database> {
    if (this.#fresh.reopen === undefined) {
      throw new Error("restarts: true needs FreshDatabase.reopen");
    }
    await this.db.close();
    this.db = await this.#fresh.reopen();
    return this.db;
  }

  /**
   * The rows of `sql` as a new connection sees them: after a restart when the store has one, so
   * what was committed is told apart from what one connection merely holds.
   */
  async committed<T>(sql: string): Promise<T[]> {
    if (this.#restarts) await this.restart();
    return await this.db.all<T>(sql);
  }

  async end(): Promise<void> {
    await this.db.close();
    await this.#fresh.dispose?.();
  }
}

/**
 * Registers the contract's tests for one implementation, each named `"<name>: …"`; see the module
 * documentation.
 */
export function databaseContract(
  name: string,
  open: OpenFreshDatabase,
  options: DatabaseContractOptions = {},
): void {
  const restarts = options.restarts ?? false;
  const test = (
    title: string,
    fn: (store: Store) => Promise<void>,
    needs?: "restart",
  ) =>
    Deno.test({
      name: `${name}: ${title}`,
      ignore: options.ignore === true || (needs === "restart" && !restarts),
      fn: async () => {
        const store = new Store(await open(), restarts);
        try {
          await fn(store);
        } finally {
          await store.end();
        }
      },
    });

  /** `store.db` with the scratch table, or with it and rows `a`…`c` (v 1…3). */
  async function rows(store: Store, filled = false): Promise<Database> {
    await store.db.run(ROWS);
    if (filled) {
      for (const [k, v] of [["a", 1], ["b", 2], ["c", 3]] as const) {
        await store.db.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", [k, v]);
      }
    }
    return store.db;
  }

  // Statements ---------------------------------------------------------------------------------

  test("run, all and get bind ? parameters in order; get gives the first row, all every row", async (s) => {
    const db = await rows(s);
    await db.run("INSERT INTO contract_rows (k, v, note) VALUES (?, ?, ?)", ["b", 2, "two"]);
    await db.run("INSERT INTO contract_rows (k, v, note) VALUES (?, ?, ?)", ["a", 1, "one"]);
    await db.run("INSERT INTO contract_rows (note, k, v) VALUES (?, ?, ?)", ["three", "c", 3]);
    assertEquals(await db.all("SELECT k, v, note FROM contract_rows ORDER BY k"), [
      { k: "a", v: 1, note: "one" },
      { k: "b", v: 2, note: "two" },
      { k: "c", v: 3, note: "three" },
    ]);
    assertEquals(
      await db.all("SELECT k FROM contract_rows WHERE v >= ? AND k <> ? ORDER BY v DESC", [2, "c"]),
      [{ k: "b" }],
    );
    assertEquals(
      await db.get("SELECT k FROM contract_rows WHERE v > ? ORDER BY v", [1]),
      { k: "b" },
      "get: the first row in the query's order",
    );
    assertEquals(await db.all("SELECT k FROM contract_rows WHERE v > ?", [9]), []);
    const none = await db.get("SELECT k FROM contract_rows WHERE v > ?", [9]);
    assertTrue(none === undefined, `get without a row gives undefined, got ${String(none)}`);
  });

  test("rows are plain objects keyed by the selected columns and aliases, in order", async (s) => {
    const db = await rows(s, true);
    const row = await db.get<Record<string, unknown>>(
      "SELECT v AS amount, k, note FROM contract_rows WHERE k = ?",
      ["a"],
    );
    assertTrue(row !== undefined);
    assertEquals(Object.getPrototypeOf(row), Object.prototype, "a plain object");
    assertEquals(Object.keys(row), ["amount", "k", "note"]);
    assertEquals(JSON.parse(JSON.stringify(row)), { amount: 1, k: "a", note: null });
    const all = await db.all<Record<string, unknown>>("SELECT k FROM contract_rows ORDER BY k");
    assertTrue(all.every((r) => Object.getPrototypeOf(r) === Object.prototype));
  });

  test("integers come back as JavaScript numbers, exactly, across the safe range", async (s) => {
    const db = await rows(s);
    const values = [
      0,
      1,
      -1,
      2 ** 31,
      7_000_000_001, // a Telegram user id above 32 bits
      -1_002_345_678_901, // a supergroup chat id
      Date.UTC(2026, 0, 1, 12, 30, 45, 678), // a time in milliseconds
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ];
    for (const [i, v] of values.entries()) {
      await db.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", [`n${i}`, v]);
    }
    const read = await db.all<{ v: unknown }>("SELECT v FROM contract_rows ORDER BY k");
    assertTrue(read.every((r) => typeof r.v === "number"), `numbers, got ${JSON.stringify(read)}`);
    assertEquals(read.map((r) => r.v), values);
    for (const v of [Number.MAX_SAFE_INTEGER, 7_000_000_001, Number.MIN_SAFE_INTEGER]) {
      assertEquals(
        await db.get("SELECT v FROM contract_rows WHERE v = ?", [v]),
        { v },
        `a bound ${v} compares exactly`,
      );
    }
    assertEquals(
      await db.get("SELECT COUNT(*) AS n FROM contract_rows WHERE v > ? AND v < ?", [-1, 2 ** 32]),
      { n: 3 },
    );
  });

  test("COUNT, MIN, MAX and COALESCE(MAX(…), 0) + 1 come back as numbers", async (s) => {
    const db = await rows(s);
    // Empty: what the outbox, the ledger and the inbox read before their first row.
    assertEquals(
      await db.get(
        "SELECT COUNT(*) AS n, MIN(v) AS lo, MAX(v) AS hi, COALESCE(MAX(v), 0) + 1 AS next " +
          "FROM contract_rows",
      ),
      { n: 0, lo: null, hi: null, next: 1 },
    );
    // The outbox's numbering: the next number computed by a subquery inside the INSERT.
    for (const k of ["a", "b", "c"]) {
      await db.run(
        "INSERT INTO contract_rows (k, v) VALUES (?, (SELECT COALESCE(MAX(v), 0) + 1 FROM contract_rows WHERE k <> ?))",
        [k, k],
      );
    }
    assertEquals(await db.all("SELECT k, v FROM contract_rows ORDER BY v"), [
      { k: "a", v: 1 },
      { k: "b", v: 2 },
      { k: "c", v: 3 },
    ]);
    assertEquals(
      await db.get(
        "SELECT COUNT(*) AS n, MIN(v) AS lo, MAX(v) AS hi, COALESCE(MAX(v), 0) + 1 AS next " +
          "FROM contract_rows",
      ),
      { n: 3, lo: 1, hi: 3, next: 4 },
    );
  });

  test("null binds as NULL and comes back as null, never undefined", async (s) => {
    const db = await rows(s);
    await db.run("INSERT INTO contract_rows (k, v, note) VALUES (?, ?, ?)", ["a", 1, null]);
    await db.run("INSERT INTO contract_rows (k, v, note) VALUES (?, ?, ?)", ["b", 2, "x"]);
    const row = await db.get<{ note: unknown }>("SELECT note FROM contract_rows WHERE k = 'a'");
    assertTrue(row !== undefined && row.note === null, `null, got ${JSON.stringify(row)}`);
    assertTrue("note" in row, "the column is there");
    assertEquals(await db.all("SELECT k FROM contract_rows WHERE note IS NULL"), [{ k: "a" }]);
    const { changes } = await db.run("UPDATE contract_rows SET note = ? WHERE k = ?", [null, "b"]);
    assertEquals(changes, 1);
    assertEquals(await db.get("SELECT note FROM contract_rows WHERE k = 'b'"), { note: null });
  });

  test("strings come back exactly as bound: unicode, quotes, JSON, long texts", async (s) => {
    const db = await rows(s);
    const texts = [
      "",
      "Привет, мир",
      "⭐ 100 Stars 🎉",
      "👩‍👩‍👧‍👦 and 🏳️‍🌈", // joined and flag sequences
      "日本語のテキスト",
      "e\u0301 vs \u00e9", // combining accent: not normalised
      'O\'Brien said "hi"; -- DROP TABLE contract_rows',
      "back\\slash\nnew line\ttab",
      JSON.stringify({ chat_id: -100123, text: "«ok» ✓", nested: { a: [1, "2"] } }),
      "00123", // digits stay a string in a TEXT column
      "x".repeat(65_536),
    ];
    for (const [i, text] of texts.entries()) {
      await db.run("INSERT INTO contract_rows (k, v, note) VALUES (?, ?, ?)", [
        `s${String(i).padStart(2, "0")}`,
        i,
        text,
      ]);
    }
    const read = await db.all<{ note: unknown }>("SELECT note FROM contract_rows ORDER BY v");
    assertEquals(read.map((r) => r.note), texts);
    for (const text of ["Привет, мир", "👩‍👩‍👧‍👦 and 🏳️‍🌈", "00123"]) {
      assertEquals(
        await db.get("SELECT v FROM contract_rows WHERE note = ?", [text]),
        { v: texts.indexOf(text) },
        `a bound ${JSON.stringify(text)} matches exactly`,
      );
    }
  });

  test("LIMIT ? OFFSET ? pages in ORDER BY order", async (s) => {
    const db = await rows(s);
    for (let i = 1; i <= 7; i++) {
      await db.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", [`k${i}`, i * 10]);
    }
    const page = (limit: number, offset: number) =>
      db.all<{ v: number }>("SELECT v FROM contract_rows ORDER BY v DESC LIMIT ? OFFSET ?", [
        limit,
        offset,
      ]).then((r) => r.map((row) => row.v));
    assertEquals(await page(3, 0), [70, 60, 50]);
    assertEquals(await page(3, 3), [40, 30, 20]);
    assertEquals(await page(3, 6), [10]);
    assertEquals(await page(3, 7), []);
  });

  test("run says how many rows an insert, an update or a delete changed", async (s) => {
    const db = await rows(s, true);
    assertEquals(await db.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", ["d", 4]), {
      changes: 1,
    });
    assertEquals(
      (await db.run("UPDATE contract_rows SET v = v + 10 WHERE v > ?", [99])).changes,
      0,
    );
    assertEquals(
      (await db.run("UPDATE contract_rows SET v = v + 10 WHERE k = ?", ["a"])).changes,
      1,
    );
    assertEquals(
      (await db.run("UPDATE contract_rows SET note = ? WHERE v < ?", ["x", 5])).changes,
      3,
    );
    assertEquals((await db.run("DELETE FROM contract_rows WHERE note = ?", ["x"])).changes, 3);
    assertEquals((await db.run("DELETE FROM contract_rows WHERE k = ?", ["zzz"])).changes, 0);
    assertEquals(await db.all("SELECT k, v FROM contract_rows"), [{ k: "a", v: 11 }]);
  });

  test("ON CONFLICT DO NOTHING skips a row that clashes on any unique key, with 0 changes", async (s) => {
    // The ledger's append relies on it: a clash on the entry number or on the idempotency key
    // both mean "another writer got there first".
    const { db } = s;
    const insert = (seq: number, key: string, amount: number) =>
      db.run(
        `INSERT INTO ledger_entries (tenant_id, user_id, seq, kind, amount, balance_after,
           idempotency_key, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        ["shop", 7, seq, "deposit", amount, amount, key, "gift", 1],
      );
    assertEquals(await insert(1, "k1", 5), { changes: 1 });
    assertEquals(await insert(1, "k2", 6), { changes: 0 }, "same tenant, user and seq");
    assertEquals(await insert(2, "k1", 7), { changes: 0 }, "same tenant and idempotency key");
    assertEquals(await insert(2, "k2", 8), { changes: 1 });
    assertEquals(
      await db.all("SELECT seq, idempotency_key, amount FROM ledger_entries ORDER BY seq"),
      [
        { seq: 1, idempotency_key: "k1", amount: 5 },
        { seq: 2, idempotency_key: "k2", amount: 8 },
      ],
    );
  });

  test("an upsert changes 1 row when it inserts or updates, 0 when its WHERE keeps the row", async (s) => {
    // user_state's low-balance flag: the first notice is sent only when changes === 1.
    const { db } = s;
    const mark = () =>
      db.run(
        `INSERT INTO user_state (tenant_id, user_id, low_balance_notified, language_code)
         VALUES (?, ?, 1, NULL)
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET low_balance_notified = 1
         WHERE user_state.low_balance_notified = 0`,
        ["shop", 7],
      );
    assertEquals(await mark(), { changes: 1 }, "inserted");
    assertEquals(await mark(), { changes: 0 }, "already set: the WHERE keeps the row");
    await db.run("UPDATE user_state SET low_balance_notified = 0 WHERE user_id = ?", [7]);
    assertEquals(await mark(), { changes: 1 }, "updated");
    // kv's upsert: the value is replaced, one row either way.
    const put = (value: string) =>
      db.run(
        `INSERT INTO kv (tenant_id, key, value) VALUES (?, ?, ?)
         ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value`,
        ["shop", "k", value],
      );
    assertEquals([(await put("one")).changes, (await put("two")).changes], [1, 1]);
    assertEquals(await db.all("SELECT value FROM kv"), [{ value: "two" }]);
  });

  test("a unique-key violation rejects with an Error and changes nothing", async (s) => {
    const db = await rows(s);
    await db.run("INSERT INTO contract_rows (k, v, label) VALUES (?, ?, ?)", ["a", 1, "first"]);
    // Called bare, not inside assertRejects: a method that threw at the call fails the test here.
    const duplicate = db.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", ["a", 2]);
    await assertRejects(() => duplicate, Error);
    await assertRejects(
      () => db.run("INSERT INTO contract_rows (k, v, label) VALUES (?, ?, ?)", ["b", 3, "first"]),
      Error,
    );
    assertEquals(await db.all("SELECT k, v, label FROM contract_rows"), [
      { k: "a", v: 1, label: "first" },
    ]);
    await db.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", ["c", 6]);
    assertEquals(await db.get("SELECT COUNT(*) AS n FROM contract_rows"), { n: 2 }, "usable");
  });

  // Transactions -------------------------------------------------------------------------------

  test("a transaction commits when its function resolves and resolves with its value", async (s) => {
    const db = await rows(s);
    const value = await db.transaction(async (tx) => {
      await tx.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", ["a", 1]);
      await tx.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", ["b", 2]);
      await tx.run("UPDATE contract_rows SET v = ? WHERE k = ?", [20, "b"]);
      return { done: true };
    });
    assertEquals(value, { done: true });
    assertEquals(await s.committed("SELECT k, v FROM contract_rows ORDER BY k"), [
      { k: "a", v: 1 },
      { k: "b", v: 20 },
    ]);
  });

  test("a transaction whose function throws rolls back every statement and rejects with that error", async (s) => {
    const db = await rows(s, true);
    const thrown = new Error("handler failed");
    let caught: unknown;
    try {
      await db.transaction(async (tx) => {
        await tx.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", ["d", 4]);
        await tx.run("UPDATE contract_rows SET v = ? WHERE k = ?", [10, "a"]);
        await tx.run("DELETE FROM contract_rows WHERE k = ?", ["b"]);
        throw thrown;
      });
    } catch (error) {
      caught = error;
    }
    assertTrue(caught === thrown, `the function's own error, got ${String(caught)}`);
    assertEquals(await s.committed("SELECT k, v FROM contract_rows ORDER BY k"), [
      { k: "a", v: 1 },
      { k: "b", v: 2 },
      { k: "c", v: 3 },
    ]);
  });

  test("a failing statement in a transaction rejects its promise, and fails the transaction it escapes", async (s) => {
    const db = await rows(s, true);
    let thrownAtCall: unknown;
    let statementError: unknown;
    let caught: unknown;
    try {
      await db.transaction(async (tx) => {
        await tx.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", ["d", 4]);
        let pending: Promise<unknown>;
        try {
          pending = tx.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", ["a", 5]);
        } catch (error) {
          thrownAtCall = error;
          throw error;
        }
        await pending.catch((error) => {
          statementError = error;
          throw error;
        });
      });
    } catch (error) {
      caught = error;
    }
    assertEquals(thrownAtCall, undefined, "a Promise-returning method rejects, never throws");
    assertTrue(statementError instanceof Error, "the duplicate key fails the statement");
    assertTrue(caught === statementError, "and the transaction rejects with that error");
    assertEquals(await s.committed("SELECT k FROM contract_rows ORDER BY k"), [
      { k: "a" },
      { k: "b" },
      { k: "c" },
    ]);
  });

  test("a failed statement fails its transaction even when the function catches it: nothing is committed", async (s) => {
    // PostgreSQL aborts a transaction at a failed statement, so no engine may commit the rest.
    const db = await rows(s, true);
    await assertRejects(
      () =>
        db.transaction(async (tx) => {
          await tx.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", ["d", 4]);
          await tx.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", ["a", 5]).catch(() => {});
          return "carried on";
        }),
      Error,
    );
    assertEquals(await s.committed("SELECT k FROM contract_rows ORDER BY k"), [
      { k: "a" },
      { k: "b" },
      { k: "c" },
    ]);
    assertEquals(
      await s.db.transaction((tx) => tx.run("INSERT INTO contract_rows (k, v) VALUES ('e', 5)")),
      { changes: 1 },
      "the next transaction works",
    );
  });

  test("the runner can be handed to helpers and used across awaits: it is all one transaction", async (s) => {
    const db = await rows(s);
    // Store-like helpers: they take any SqlRunner, the database or a transaction.
    const put = async (q: SqlRunner, k: string, v: number) => {
      await pause();
      return (await q.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", [k, v])).changes;
    };
    const total = async (q: SqlRunner) =>
      (await q.get<{ t: number }>("SELECT COALESCE(MAX(v), 0) AS t FROM contract_rows"))!.t;
    const putNext = async (q: SqlRunner, k: string) => await put(q, k, (await total(q)) + 1);

    assertEquals(await put(db, "outside", 1), 1, "a helper on the database itself");
    await assertRejects(
      () =>
        db.transaction(async (tx) => {
          await putNext(tx, "x");
          await pause(5);
          await putNext(tx, "y");
          assertEquals(await total(tx), 3, "the transaction sees its own writes");
          throw new Error("undo");
        }),
      Error,
      "undo",
    );
    const committed = await db.transaction(async (tx) => {
      await putNext(tx, "p");
      await pause(5);
      return await putNext(tx, "q");
    });
    assertEquals(committed, 1);
    assertEquals(await s.committed("SELECT k, v FROM contract_rows ORDER BY v"), [
      { k: "outside", v: 1 },
      { k: "p", v: 2 },
      { k: "q", v: 3 },
    ]);
  });

  // Concurrency. Transactions may run side by side (PostgreSQL) or one at a time (SQLite); each
  // test below holds either way, and checks what a store relies on (see `Database.transaction`).
  // Each transaction yields to the event loop between its statements, so that with an engine
  // that runs them side by side they really overlap.

  test("concurrent inserts of one key conflict instead of duplicating: one lands, ON CONFLICT skips the rest", async (s) => {
    // Payments keyed by charge id, inbox rows by update id: "already there" must hold across
    // transactions that each checked and found nothing.
    const db = await rows(s);
    const changes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        db.transaction(async (tx) => {
          const there = await tx.get("SELECT k FROM contract_rows WHERE k = 'charge'");
          await pause();
          if (there !== undefined) return 0;
          return (await tx.run(
            "INSERT INTO contract_rows (k, v, note) VALUES ('charge', ?, ?) ON CONFLICT DO NOTHING",
            [i, `writer ${i}`],
          )).changes;
        })),
    );
    assertEquals(changes.filter((n) => n === 1).length, 1, `one insert lands: ${changes}`);
    assertEquals(changes.filter((n) => n !== 1 && n !== 0), [], "the others change nothing");
    assertEquals(await s.committed("SELECT COUNT(*) AS n FROM contract_rows"), [{ n: 1 }]);
  });

  test("concurrent plain inserts of one key: one commits, the others fail with an Error", async (s) => {
    const db = await rows(s);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.get("SELECT COUNT(*) AS n FROM contract_rows");
          await pause();
          await tx.run("INSERT INTO contract_rows (k, v) VALUES ('update-7', ?)", [i]);
          await pause();
          await tx.run("INSERT INTO contract_rows (k, v) VALUES (?, ?)", [`side-${i}`, i]);
        })),
    );
    const landed = results.filter((r) => r.status === "fulfilled").length;
    assertEquals(landed, 1, `one transaction commits: ${results.map((r) => r.status)}`);
    for (const result of results) {
      if (result.status === "rejected") assertTrue(result.reason instanceof Error);
    }
    const committed = await s.committed<{ k: string }>("SELECT k FROM contract_rows ORDER BY k");
    assertEquals(committed.length, 2, "the winner's two rows, none of the losers'");
    assertEquals(committed[1].k, "update-7");
  });

  test("of concurrent updates conditional on the state read, exactly one changes the row", async (s) => {
    // An order moves issued -> paid once: the WHERE re-checks the state each one read.
    const db = await rows(s);
    await db.run("INSERT INTO contract_rows (k, v, note) VALUES ('order', 0, 'issued')");
    const changes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        db.transaction(async (tx) => {
          const order = await tx.get<{ note: string }>(
            "SELECT note FROM contract_rows WHERE k = 'order'",
          );
          await pause();
          if (order?.note !== "issued") return 0;
          return (await tx.run(
            "UPDATE contract_rows SET note = 'paid', v = ? WHERE k = 'order' AND note = 'issued'",
            [i + 1],
          )).changes;
        })),
    );
    assertEquals(changes.filter((n) => n === 1).length, 1, `one update lands: ${changes}`);
    const [order] = await s.committed<{ v: number; note: string }>(
      "SELECT v, note FROM contract_rows WHERE k = 'order'",
    );
    assertEquals(order.note, "paid");
    assertEquals(order.v, changes.indexOf(1) + 1, "the row is the one winner's");
  });

  test("appends numbered after the newest row, retried on a taken number, lose nothing", async (s) => {
    // The ledger's append: read the newest entry, insert the next number, skip on a conflict,
    // then read again. Each retry must see the rows committed meanwhile (READ COMMITTED).
    const db = await rows(s);
    const writers = 10;
    const tries = await Promise.all(
      Array.from({ length: writers }, (_, i) =>
        db.transaction(async (tx) => {
          for (let attempt = 1; attempt <= writers + 1; attempt++) {
            const head = await tx.get<{ seq: number }>(
              "SELECT COALESCE(MAX(v), 0) AS seq FROM contract_rows",
            );
            await pause();
            const seq = head!.seq + 1;
            const { changes } = await tx.run(
              "INSERT INTO contract_rows (k, v, note) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
              [`entry-${String(seq).padStart(3, "0")}`, seq, `writer ${i}`],
            );
            if (changes === 1) return attempt;
          }
          throw new Error(`writer ${i} never found a free number`);
        })),
    );
    assertTrue(tries.every((n) => n >= 1), String(tries));
    const committed = await s.committed<{ v: number; note: string }>(
      "SELECT v, note FROM contract_rows ORDER BY v",
    );
    assertEquals(committed.map((r) => r.v), Array.from({ length: writers }, (_, i) => i + 1));
    assertEquals(
      committed.map((r) => r.note).sort(),
      Array.from({ length: writers }, (_, i) => `writer ${i}`).sort(),
      "every writer's entry is there once",
    );
  });

  test("an increment written as one statement (v = v + 1) loses no update", async (s) => {
    const db = await rows(s);
    await db.run("INSERT INTO contract_rows (k, v) VALUES ('n', 0)");
    await Promise.all(Array.from({ length: 20 }, () =>
      db.transaction(async (tx) => {
        await tx.get("SELECT v FROM contract_rows WHERE k = 'n'");
        await pause();
        await tx.run("UPDATE contract_rows SET v = v + 1 WHERE k = 'n'");
      })));
    assertEquals(await s.committed("SELECT v FROM contract_rows WHERE k = 'n'"), [{ v: 20 }]);
  });

  test("a transaction sees only what was committed: never another's uncommitted rows", async (s) => {
    const db = await rows(s);
    await db.run("INSERT INTO contract_rows (k, v) VALUES ('before', 1)");
    const opened = Promise.withResolvers<void>();
    const gate = Promise.withResolvers<void>();
    const writer = db.transaction(async (tx) => {
      await tx.run("INSERT INTO contract_rows (k, v) VALUES ('uncommitted', 2)");
      await tx.run("UPDATE contract_rows SET v = 10 WHERE k = 'before'");
      opened.resolve();
      await gate.promise;
      throw new Error("rolled back");
    });
    await opened.promise;
    // Runs alongside the writer, or after it (an engine that runs one transaction at a time):
    // either way the writer's rows are never seen, as it rolls back.
    const reader = db.transaction((tx) => tx.all("SELECT k, v FROM contract_rows ORDER BY k"));
    await pause(5);
    gate.resolve();
    await assertRejects(() => writer, Error, "rolled back");
    assertEquals(await reader, [{ k: "before", v: 1 }]);
    assertEquals(await s.committed("SELECT k, v FROM contract_rows"), [{ k: "before", v: 1 }]);
  });

  test("a transaction that throws leaves the ones running alongside it untouched", async (s) => {
    const db = await rows(s);
    const results = await Promise.allSettled([
      db.transaction((tx) => tx.run("INSERT INTO contract_rows (k, v) VALUES ('a', 1)")),
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO contract_rows (k, v) VALUES ('b', 2)");
        throw new Error("handler failed");
      }),
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO contract_rows (k, v) VALUES ('c', 3)");
        return "c done";
      }),
    ]);
    assertEquals(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
    assertEquals((results[1] as PromiseRejectedResult).reason.message, "handler failed");
    assertEquals((results[2] as PromiseFulfilledResult<string>).value, "c done");
    assertEquals(await s.committed("SELECT k FROM contract_rows ORDER BY k"), [
      { k: "a" },
      { k: "c" },
    ]);
  });

  test("a lone statement never joins, nor sees, another caller's open transaction", async (s) => {
    const db = await rows(s);
    const opened = Promise.withResolvers<void>();
    const gate = Promise.withResolvers<void>();
    const failing = db.transaction(async (tx) => {
      await tx.run("INSERT INTO contract_rows (k, v) VALUES ('in-tx', 1)");
      opened.resolve();
      await gate.promise;
      throw new Error("rolled back");
    });
    await opened.promise;
    // Issued while the transaction is open: they must neither be rolled back with it nor read
    // its uncommitted row (whether they run alongside it or wait for it is the engine's choice).
    const lone = db.run("INSERT INTO contract_rows (k, v) VALUES ('lone', 2)");
    const peek = db.get("SELECT k FROM contract_rows WHERE k = 'in-tx'");
    await pause(5);
    gate.resolve();
    await assertRejects(() => failing, Error, "rolled back");
    assertEquals(await lone, { changes: 1 });
    assertEquals(await peek, undefined, "the uncommitted row was never visible outside");
    assertEquals(await s.committed("SELECT k FROM contract_rows"), [{ k: "lone" }]);
  });

  // Closing ------------------------------------------------------------------------------------

  test("close lets a pending transaction finish, then refuses everything with a StorageError", async (s) => {
    const db = await rows(s);
    const gate = Promise.withResolvers<void>();
    const order: string[] = [];
    const pending = db.transaction(async (tx) => {
      await tx.run("INSERT INTO contract_rows (k, v) VALUES ('last', 1)");
      await gate.promise;
      await tx.run("UPDATE contract_rows SET v = 2 WHERE k = 'last'");
      return "finished";
    }).then((value) => {
      order.push("transaction");
      return value;
    });
    await pause();
    const closing = db.close().then(() => order.push("close"));
    await pause(5);
    gate.resolve();
    assertEquals(await pending, "finished");
    await closing;
    assertEquals(order, ["transaction", "close"]);
    await assertRejects(() => db.get("SELECT 1 AS one"), StorageError, "closed");
    await assertRejects(() => db.all("SELECT 1 AS one"), StorageError, "closed");
    await assertRejects(() => db.run("DELETE FROM contract_rows"), StorageError, "closed");
    await assertRejects(() => db.transaction(() => Promise.resolve()), StorageError, "closed");
    await db.close(); // a second close is harmless
    if (restarts) {
      assertEquals(await (await s.restart()).all("SELECT k, v FROM contract_rows"), [
        { k: "last", v: 2 },
      ]);
    }
  });

  // The schema ---------------------------------------------------------------------------------

  test("open applies every migration: each table exists and is empty, each version recorded", async (s) => {
    const { db } = s;
    assertTrue(migratedTables.length >= 8, `tables found: ${migratedTables.join(", ")}`);
    for (const table of migratedTables) {
      assertEquals(await db.get(`SELECT COUNT(*) AS n FROM ${table}`), { n: 0 }, table);
    }
    const recorded = await db.all<{ version: unknown; name: unknown; applied_at: unknown }>(
      "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
    );
    assertEquals(
      recorded.map((r) => [r.version, r.name]),
      migrations.map((m) => [m.version, m.name]),
    );
    assertTrue(recorded.every((r) => typeof r.applied_at === "number" && r.applied_at > 0));
  });

  test("a restart keeps what was committed and applies no migration twice", async (s) => {
    await s.db.run("INSERT INTO kv (tenant_id, key, value) VALUES (?, ?, ?)", ["shop", "k", "⭐"]);
    const before = await s.db.all("SELECT version, name, applied_at FROM schema_migrations");
    const db = await s.restart();
    assertEquals(await db.all("SELECT tenant_id, key, value FROM kv"), [
      { tenant_id: "shop", key: "k", value: "⭐" },
    ]);
    assertEquals(await db.all("SELECT version, name, applied_at FROM schema_migrations"), before);
    const again = await s.restart();
    assertEquals(
      await again.all("SELECT version, name, applied_at FROM schema_migrations"),
      before,
    );
  }, "restart");

  test("opening a store written by a newer release is refused with a StorageError", async (s) => {
    await s.db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
      999_999,
      "from the future",
      1,
    ]);
    await assertRejects(() => s.restart(), StorageError, "999999");
  }, "restart");
}
