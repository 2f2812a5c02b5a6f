// What is particular to the SQLite adapter and to the migration runner; what every Database
// must do is the contract (tests/money/database.contract.ts), run against SQLite in
// sqlite_contract_test.ts.
import { assertEquals, assertRejects } from "../../support/assert.ts";
import { SqliteDatabase } from "../../../adapters/storage/sqlite.ts";
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

Deno.test("openDatabase creates the folder and uses WAL with full fsync", async () => {
  const dir = await Deno.makeTempDir();
  const url = `sqlite:${dir}/nested/deeper/c.db`;
  const db = await openDatabase(url);
  assertEquals((await Deno.stat(`${dir}/nested/deeper/c.db`)).isFile, true);
  assertEquals(await db.get("PRAGMA journal_mode"), { journal_mode: "wal" });
  assertEquals(await db.get("PRAGMA synchronous"), { synchronous: 2 }, "FULL");
  assertEquals(await db.get("PRAGMA busy_timeout"), { timeout: 5_000 });
  await db.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("openDatabase names what is wrong with a bad DATABASE_URL", async () => {
  await assertRejects(() => openDatabase("mysql://x"), StorageError, "must start with sqlite:");
  await assertRejects(() => openDatabase("sqlite:"), StorageError, "needs a path");
  await assertRejects(() => openDatabase("postgres://db/x"), StorageError, "PostgreSQL");
});
