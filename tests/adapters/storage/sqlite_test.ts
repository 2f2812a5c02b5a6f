// What is particular to the SQLite adapter and to the migration runner; what every Database
// must do is the contract (tests/money/database.contract.ts), run against SQLite in
// sqlite_contract_test.ts.
import { assertEquals, assertRejects } from "../../support/assert.ts";
import { SqliteDatabase } from "../../../adapters/storage/sqlite/sqlite.ts";
import { migrate } from "../../../adapters/storage/migrate.ts";
import { migrations } from "../../../adapters/storage/migrations.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { StorageError } from "../../../money/ports.ts";

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

Deno.test("openDatabase creates the folder and uses WAL, the fsync after each commit ours", async () => {
  const dir = await Deno.makeTempDir();
  const url = `sqlite:${dir}/nested/deeper/c.db`;
  const db = await openDatabase(url);
  assertEquals((await Deno.stat(`${dir}/nested/deeper/c.db`)).isFile, true);
  assertEquals(await db.get("PRAGMA journal_mode"), { journal_mode: "wal" });
  // NORMAL: in WAL mode FULL's syncs but the one after each commit, which wal_sync.ts makes.
  assertEquals(await db.get("PRAGMA synchronous"), { synchronous: 1 }, "NORMAL");
  assertEquals(await db.get("PRAGMA busy_timeout"), { timeout: 5_000 });
  await db.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("openDatabase names what is wrong with a bad DATABASE_URL", async () => {
  await assertRejects(() => openDatabase("mysql://x"), StorageError, "use sqlite:<path>");
  await assertRejects(() => openDatabase("sqlite:"), StorageError, "needs a path");
});

Deno.test("a file open in this process cannot be opened again until it is closed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/shop.db`;
    const first = await openDatabase(`sqlite:${path}`);
    await assertRejects(
      () => openDatabase(`sqlite:${path}`),
      StorageError,
      `the SQLite database ${path} is in use by another process (pid ${Deno.pid} on `,
    );
    assertEquals(JSON.parse(await Deno.readTextFile(`${path}.lock`)).pid, Deno.pid);
    assertEquals(await first.get("SELECT COUNT(*) AS n FROM kv"), { n: 0 }, "still usable");
    await first.close();
    const again = await openDatabase(`sqlite:${path}`);
    await again.close();
    // In memory, nothing is shared, so nothing is locked.
    const memory = [await openDatabase("sqlite::memory:"), await openDatabase("sqlite::memory:")];
    for (const db of memory) await db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// SQLite runs one transaction (or lone statement) at a time on its one connection. The domain
// does not rely on it (the contract checks only what holds on PostgreSQL too), but the group
// commit and the adapter's lock do: these pin it down.

Deno.test("SQLite: concurrent transactions never interleave their statements", async () => {
  const db = SqliteDatabase.open(":memory:");
  await db.run("CREATE TABLE t (k TEXT PRIMARY KEY, note TEXT)");
  const trace: string[] = [];
  await Promise.all(Array.from({ length: 6 }, (_, i) =>
    db.transaction(async (tx) => {
      trace.push(`${i} begins`);
      await tx.run("INSERT INTO t (k) VALUES (?)", [`t${i}`]);
      await new Promise((resolve) => setTimeout(resolve, 2));
      await tx.run("UPDATE t SET note = 'done' WHERE k = ?", [`t${i}`]);
      trace.push(`${i} ends`);
    })));
  for (let at = 0; at < trace.length; at += 2) {
    const id = trace[at].split(" ")[0];
    assertEquals(trace[at + 1], `${id} ends`, `nothing runs inside ${id}: ${trace.join(", ")}`);
  }
  assertEquals(await db.get("SELECT COUNT(*) AS n FROM t WHERE note = 'done'"), { n: 6 });
  await db.close();
});

Deno.test("SQLite: a read-modify-write in JavaScript loses no update, as transactions take turns", async () => {
  const db = SqliteDatabase.open(":memory:");
  await db.run("CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT NOT NULL)");
  await db.run("INSERT INTO t (k, v) VALUES ('n', 0)");
  await Promise.all(Array.from({ length: 20 }, () =>
    db.transaction(async (tx) => {
      const row = await tx.get<{ v: number }>("SELECT v FROM t WHERE k = 'n'");
      await new Promise((resolve) => setTimeout(resolve, 1));
      await tx.run("UPDATE t SET v = ? WHERE k = 'n'", [row!.v + 1]);
    })));
  assertEquals(await db.get("SELECT v FROM t WHERE k = 'n'"), { v: 20 });
  await db.close();
});
