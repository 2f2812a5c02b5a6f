// Group commit, particular to the SQLite adapter. That a transaction which throws is rolled back
// alone while those queued with it commit is every Database's duty: the contract checks it
// (tests/money/database.contract.ts, "a transaction that throws leaves the ones running
// alongside it untouched"), and on SQLite those transactions share one group.
import { DatabaseSync } from "node:sqlite";
import { assertEquals, assertRejects } from "../../support/assert.ts";
import { SqliteDatabase } from "../../../adapters/storage/sqlite/sqlite.ts";
import { StorageError } from "../../../money/ports.ts";

/** A database file with a table `t`, and a second connection that sees only what is committed. */
async function fileTable() {
  const dir = await Deno.makeTempDir();
  const db = SqliteDatabase.open(`${dir}/g.db`);
  await db.run("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
  const reader = new DatabaseSync(`${dir}/g.db`, { readOnly: true });
  const committed = () =>
    reader.prepare("SELECT k FROM t ORDER BY k").all().map((row) => String(row.k));
  return {
    db,
    committed,
    async [Symbol.asyncDispose]() {
      reader.close();
      await db.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("transactions queued together are committed together, each after the last", async () => {
  await using world = await fileTable();
  const { db, committed } = world;
  const gate = Promise.withResolvers<void>();
  const resolved: string[] = [];
  const first = db.transaction((tx) => tx.run("INSERT INTO t VALUES ('a', 1)"))
    .then(() => resolved.push("a"));
  const second = db.transaction(async (tx) => {
    await tx.run("INSERT INTO t VALUES ('b', 2)");
    await gate.promise;
  }).then(() => resolved.push("b"));
  await new Promise((resolve) => setTimeout(resolve, 5));
  assertEquals(committed(), [], "the first waits for the group's commit");
  assertEquals(resolved, [], "and does not resolve before it");
  gate.resolve();
  await Promise.all([first, second]);
  assertEquals(committed(), ["a", "b"]);
  assertEquals(resolved, ["a", "b"]);
});

Deno.test("a statement queued between transactions keeps them in order", async () => {
  await using world = await fileTable();
  const { db } = world;
  const first = db.transaction((tx) => tx.run("INSERT INTO t VALUES ('n', 1)"));
  const update = db.run("UPDATE t SET v = 2 WHERE k = 'n'");
  const copy = db.transaction(async (tx) => {
    const row = await tx.get<{ v: number }>("SELECT v FROM t WHERE k = 'n'");
    await tx.run("INSERT INTO t VALUES ('copy', ?)", [row!.v]);
  });
  await Promise.all([first, update, copy]);
  assertEquals(await db.get("SELECT v FROM t WHERE k = 'copy'"), { v: 2 });
});

Deno.test("when SQLite rolls the whole transaction back, every member of the group fails", async () => {
  await using world = await fileTable();
  const { db, committed } = world;
  const results = await Promise.allSettled([
    db.transaction((tx) => tx.run("INSERT INTO t VALUES ('a', 1)")),
    db.transaction(async (tx) => {
      // What SQLite does by itself on a full disk or an I/O error.
      await tx.run("ROLLBACK");
      throw new Error("disk I/O error");
    }),
    db.transaction((tx) => tx.run("INSERT INTO t VALUES ('c', 3)")),
  ]);
  const reasons = results.map((r) => r.status === "rejected" ? r.reason : undefined);
  assertEquals(reasons[1]?.message, "disk I/O error");
  for (const lost of [reasons[0], reasons[2]]) {
    assertEquals(lost instanceof StorageError, true);
    assertEquals(/not committed.*disk I\/O error/.test(lost.message), true);
  }
  assertEquals(committed(), []);
  await db.transaction((tx) => tx.run("INSERT INTO t VALUES ('later', 4)"));
  assertEquals(committed(), ["later"], "the next transaction works");
});

Deno.test("a failed BEGIN fails the whole group with its error", async () => {
  await using world = await fileTable();
  const { db } = world;
  const gate = Promise.withResolvers<void>();
  const holder = db.transaction(() => gate.promise);
  // An open transaction left behind makes BEGIN fail: "cannot start a transaction within a
  // transaction", standing in for a lock another process holds past busy_timeout.
  const breaking = db.run("BEGIN");
  const group = [
    db.transaction((tx) => tx.run("INSERT INTO t VALUES ('a', 1)")),
    db.transaction((tx) => tx.run("INSERT INTO t VALUES ('b', 2)")),
  ].map((member) => assertRejects(() => member, Error, "within a transaction"));
  gate.resolve();
  await holder;
  await breaking;
  await Promise.all(group);
  await db.run("ROLLBACK");
});
