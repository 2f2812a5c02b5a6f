// What is particular to the PostgreSQL adapter: integers beyond 2^53 fail loudly, `?` becomes
// `$n` outside literals and comments, every statement and idle transaction has a deadline,
// instances starting at once migrate once, transactions run side by side on the pool, and a
// server that cannot be reached is named without the password. What every Database must do is
// the contract, run against PostgreSQL in postgres_contract_test.ts.
import { assertEquals, assertRejects, assertTrue } from "../../support/assert.ts";
import { freePort } from "../../support/free_port.ts";
import {
  type FreshPostgresDatabase,
  freshPostgresDatabase,
  postgresIgnored,
} from "../../support/postgres_cluster.ts";
import { numberPlaceholders } from "../../../adapters/storage/postgres/placeholders.ts";
import { PostgresDatabase } from "../../../adapters/storage/postgres/postgres.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { migrate } from "../../../adapters/storage/migrate.ts";
import { migrations } from "../../../adapters/storage/migrations.ts";
import { StorageError } from "../../../money/ports.ts";

/** A test on a fresh schema of the shared server; the schema is dropped afterwards. */
function pgTest(name: string, fn: (fresh: FreshPostgresDatabase) => Promise<void>): void {
  Deno.test({
    name: `postgres: ${name}`,
    ignore: postgresIgnored,
    fn: async () => {
      const fresh = await freshPostgresDatabase("adapter");
      try {
        await fn(fresh);
      } finally {
        await fresh.drop();
      }
    },
  });
}

Deno.test("? placeholders are numbered in order, outside literals, identifiers and comments", () => {
  const cases: [string, string][] = [
    ["SELECT 1", "SELECT 1"],
    ["INSERT INTO t (a, b) VALUES (?, ?)", "INSERT INTO t (a, b) VALUES ($1, $2)"],
    ["SELECT '?' AS q, k FROM t WHERE k = ?", "SELECT '?' AS q, k FROM t WHERE k = $1"],
    ["SELECT 'it''s ?' WHERE a = ?", "SELECT 'it''s ?' WHERE a = $1"],
    [`SELECT "odd?name" FROM t WHERE a = ?`, `SELECT "odd?name" FROM t WHERE a = $1`],
    ["SELECT a -- why?\nFROM t WHERE a = ?", "SELECT a -- why?\nFROM t WHERE a = $1"],
    ["SELECT /* ? */ a FROM t WHERE a = ? /* ?", "SELECT /* ? */ a FROM t WHERE a = $1 /* ?"],
    ["SELECT E'\\'?' , ?", "SELECT E'\\'?' , $1"],
    ["SELECT $$ ? $$, $tag$ ? $tag$, ?", "SELECT $$ ? $$, $tag$ ? $tag$, $1"],
    ["SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?", "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10"],
  ];
  for (const [sql, expected] of cases) assertEquals(numberPlaceholders(sql), expected, sql);
});

pgTest(
  "an integer beyond 2^53 fails the statement loudly instead of coming back rounded",
  async (fresh) => {
    const db = await openDatabase(fresh.url);
    try {
      await db.run("CREATE TABLE big (k TEXT PRIMARY KEY, v BIGINT)");
      await db.run("INSERT INTO big (k, v) VALUES ('max', 9007199254740991)");
      await db.run("INSERT INTO big (k, v) VALUES ('over', 9007199254740993)");
      assertEquals(await db.get("SELECT v FROM big WHERE k = 'max'"), {
        v: Number.MAX_SAFE_INTEGER,
      });
      await assertRejects(
        () => db.get("SELECT v FROM big WHERE k = 'over'"),
        RangeError,
        '9007199254740993 in column "v"',
      );
      await assertRejects(() => db.all("SELECT SUM(v) AS total FROM big"), RangeError, "total");
      await assertRejects(
        () => db.transaction((tx) => tx.all("SELECT k, v FROM big ORDER BY k")),
        RangeError,
      );
      // Binding one fails before anything is sent; so do NaN and Infinity.
      for (const bad of [2 ** 53 + 2, -(2 ** 60), NaN, Infinity]) {
        await assertRejects(
          () => db.run("INSERT INTO big (k, v) VALUES (?, ?)", [`bad ${bad}`, bad]),
          RangeError,
          "parameter 2",
        );
      }
      // Everything else still works, on every connection.
      assertEquals(await db.get("SELECT COUNT(*) AS n, SUM(1) AS s FROM big"), { n: 2, s: 2 });
      assertEquals(await db.get("SELECT AVG(2) AS a"), { a: 2 });
      assertEquals(await db.get("SELECT 1.5::numeric AS x"), { x: 1.5 });
    } finally {
      await db.close();
    }
  },
);

pgTest(
  "every connection starts with its deadlines: statement_timeout, idle_in_transaction",
  async (fresh) => {
    const db = await openDatabase(fresh.url);
    try {
      assertEquals(await db.get("SHOW statement_timeout"), { statement_timeout: "5s" });
      assertEquals(await db.get("SHOW idle_in_transaction_session_timeout"), {
        idle_in_transaction_session_timeout: "15s",
      });
      assertEquals(
        await db.transaction((tx) => tx.get("SHOW transaction_isolation")),
        { transaction_isolation: "read committed" },
      );
    } finally {
      await db.close();
    }
  },
);

pgTest(
  "a statement past statement_timeout fails; the URL's query sets the deadlines",
  async (fresh) => {
    const db = await openDatabase(`${fresh.url}&statement_timeout=200`);
    try {
      assertEquals(await db.get("SHOW statement_timeout"), { statement_timeout: "200ms" });
      const started = performance.now();
      await assertRejects(() => db.run("SELECT pg_sleep(5)"), Error, "statement timeout");
      assertTrue(performance.now() - started < 2_000, "cut short");
      assertEquals(await db.get("SELECT 1 AS one"), { one: 1 }, "the pool is still usable");
    } finally {
      await db.close();
    }
  },
);

pgTest(
  "a transaction left idle past idle_in_transaction_session_timeout is ended, and rolled back",
  async (fresh) => {
    const db = await openDatabase(`${fresh.url}&idle_in_transaction_session_timeout=200`);
    try {
      await db.run("CREATE TABLE t (k TEXT PRIMARY KEY)");
      const ended = await assertRejects(
        () =>
          db.transaction(async (tx) => {
            await tx.run("INSERT INTO t (k) VALUES ('stalled')");
            await new Promise((resolve) => setTimeout(resolve, 600)); // a paused process
            await tx.run("INSERT INTO t (k) VALUES ('late')");
          }),
        Error,
      );
      assertTrue(/idle-in-transaction|terminat|closed/i.test(ended.message), ended.message);
      assertEquals(await db.all("SELECT k FROM t"), [], "nothing of it was committed");
      assertEquals(
        await db.transaction((tx) => tx.run("INSERT INTO t (k) VALUES ('next')")),
        { changes: 1 },
        "the pool opens a new connection",
      );
    } finally {
      await db.close();
    }
  },
);

pgTest(
  "transactions run side by side on the pool: one waiting does not hold up another",
  async (fresh) => {
    const db = await openDatabase(fresh.url);
    try {
      await db.run("CREATE TABLE t (k TEXT PRIMARY KEY)");
      const gate = Promise.withResolvers<void>();
      const opened = Promise.withResolvers<void>();
      const slow = db.transaction(async (tx) => {
        await tx.run("INSERT INTO t (k) VALUES ('slow')");
        opened.resolve();
        await gate.promise;
      });
      await opened.promise;
      // On one connection this would wait for `slow`; on the pool it commits at once.
      await db.transaction((tx) => tx.run("INSERT INTO t (k) VALUES ('fast')"));
      assertEquals(await db.all("SELECT k FROM t"), [{ k: "fast" }]);
      gate.resolve();
      await slow;
      assertEquals(await db.all("SELECT k FROM t ORDER BY k"), [{ k: "fast" }, { k: "slow" }]);
    } finally {
      await db.close();
    }
  },
);

pgTest(
  "instances starting at once on an empty database apply each migration once",
  async (fresh) => {
    const started = await Promise.all(Array.from({ length: 4 }, () => openDatabase(fresh.url)));
    try {
      const [db] = started;
      assertEquals(
        await db.all("SELECT version FROM schema_migrations ORDER BY version"),
        migrations.map((m) => ({ version: m.version })),
      );
      assertEquals(await migrate(db, migrations), [], "nothing left to apply");
    } finally {
      for (const db of started) await db.close();
    }
  },
);

pgTest("a migration runs its engine's variant when it has one", async (fresh) => {
  const db = await PostgresDatabase.open(fresh.url);
  try {
    const applied = await migrate(db, [{
      version: 1,
      name: "counter",
      statements: ["CREATE TABLE counter (tenant_id TEXT, n INTEGER PRIMARY KEY AUTOINCREMENT)"],
      dialects: { postgres: ["CREATE TABLE counter (tenant_id TEXT, n BIGSERIAL PRIMARY KEY)"] },
    }]);
    assertEquals(applied, [1]);
    await db.run("INSERT INTO counter (tenant_id) VALUES ('shop'), ('shop')");
    assertEquals(await db.all("SELECT n FROM counter ORDER BY n"), [{ n: 1 }, { n: 2 }]);
  } finally {
    await db.close();
  }
});

Deno.test({
  name: "postgres: a server that cannot be reached is a StorageError naming it, not the password",
  // No server is needed: nothing listens on this port.
  fn: async () => {
    const port = freePort();
    const error = await assertRejects(
      () => openDatabase(`postgresql://bot:hunter2@127.0.0.1:${port}/shop`),
      StorageError,
      `cannot connect to PostgreSQL at 127.0.0.1:${port}/shop`,
    );
    assertTrue(!error.message.includes("hunter2"), error.message);
  },
});
