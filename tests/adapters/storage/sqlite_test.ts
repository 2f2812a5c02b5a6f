import { assertEquals, assertRejects } from "../../support/assert.ts";
import { SqliteDatabase } from "../../../adapters/storage/sqlite.ts";
import { migrate } from "../../../adapters/storage/migrate.ts";
import { migrations } from "../../../adapters/storage/migrations.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { StorageError } from "../../../money/ports.ts";

async function table() {
  const db = SqliteDatabase.open(":memory:");
  await db.run("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
  return db;
}

Deno.test("a transaction commits when its function resolves", async () => {
  const db = await table();
  await db.transaction(async (tx) => {
    await tx.run("INSERT INTO t VALUES (?, ?)", ["a", 1]);
    await tx.run("INSERT INTO t VALUES (?, ?)", ["b", 2]);
  });
  assertEquals(await db.all("SELECT k, v FROM t ORDER BY k"), [{ k: "a", v: 1 }, { k: "b", v: 2 }]);
  await db.close();
});

Deno.test("a transaction rolls back every statement when its function throws", async () => {
  const db = await table();
  await assertRejects(
    () =>
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO t VALUES (?, ?)", ["a", 1]);
        throw new Error("boom");
      }),
    Error,
    "boom",
  );
  assertEquals(await db.all("SELECT * FROM t"), []);
  await db.close();
});

Deno.test("concurrent transactions never interleave their statements", async () => {
  const db = await table();
  await db.run("INSERT INTO t VALUES ('n', 0)");
  // Each transaction reads, yields to the event loop, then writes read+1: without isolation
  // the increments would overwrite each other.
  await Promise.all(Array.from({ length: 20 }, () =>
    db.transaction(async (tx) => {
      const row = await tx.get<{ v: number }>("SELECT v FROM t WHERE k = 'n'");
      await new Promise((r) => setTimeout(r, 1));
      await tx.run("UPDATE t SET v = ? WHERE k = 'n'", [row!.v + 1]);
    })));
  assertEquals(await db.get("SELECT v FROM t WHERE k = 'n'"), { v: 20 });
  await db.close();
});

Deno.test("ON CONFLICT DO NOTHING reports zero changes for a repeated key", async () => {
  const db = await table();
  const first = await db.run("INSERT INTO t VALUES ('a', 1) ON CONFLICT DO NOTHING");
  const again = await db.run("INSERT INTO t VALUES ('a', 2) ON CONFLICT DO NOTHING");
  assertEquals([first.changes, again.changes], [1, 0]);
  await db.close();
});

Deno.test("migrate applies each migration once and records it", async () => {
  const db = SqliteDatabase.open(":memory:");
  assertEquals(await migrate(db, migrations, () => 42), migrations.map((m) => m.version));
  assertEquals(await migrate(db, migrations), []);
  const rows = await db.all<{ version: number; applied_at: number }>(
    "SELECT version, applied_at FROM schema_migrations",
  );
  assertEquals(rows.map((r) => [r.version, r.applied_at]), migrations.map((m) => [m.version, 42]));
  await db.close();
});

Deno.test("migrate refuses a database written by a newer release", async () => {
  const db = SqliteDatabase.open(":memory:");
  await migrate(db, migrations);
  await db.run("INSERT INTO schema_migrations VALUES (999, 'future', 0)");
  await assertRejects(() => migrate(db, migrations), StorageError, "999");
  await db.close();
});

Deno.test("openDatabase creates the folder, uses WAL and survives reopening", async () => {
  const dir = await Deno.makeTempDir();
  const url = `sqlite:${dir}/nested/deeper/c.db`;
  const db = await openDatabase(url);
  assertEquals(await db.get("PRAGMA journal_mode"), { journal_mode: "wal" });
  await db.run("INSERT INTO kv VALUES ('t', 'k', 'v')");
  await db.close();
  const again = await openDatabase(url);
  assertEquals(await again.get("SELECT value FROM kv"), { value: "v" });
  await again.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("openDatabase names what is wrong with a bad DATABASE_URL", async () => {
  await assertRejects(() => openDatabase("mysql://x"), StorageError, "must start with sqlite:");
  await assertRejects(() => openDatabase("sqlite:"), StorageError, "needs a path");
  await assertRejects(() => openDatabase("postgres://db/x"), StorageError, "PostgreSQL");
});

Deno.test("a closed database refuses statements with a clear error", async () => {
  const db = await table();
  await db.close();
  await assertRejects(() => db.get("SELECT 1"), StorageError, "closed");
});
