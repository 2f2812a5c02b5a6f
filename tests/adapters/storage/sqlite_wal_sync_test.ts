// The fsync after each commit, made off the event loop (adapters/storage/sqlite/wal_sync.ts):
// how syncs are shared, that nothing is answered before its sync, and what a failed sync does.
import { DatabaseSync } from "node:sqlite";
import { assertEquals, assertRejects } from "../../support/assert.ts";
import { SqliteDatabase } from "../../../adapters/storage/sqlite/sqlite.ts";
import { type WalFile, walFileOf, WalSync } from "../../../adapters/storage/sqlite/wal_sync.ts";
import { StorageError } from "../../../money/ports.ts";

/** A WAL file whose syncs finish (or fail) only when the test says so. */
class HeldWal implements WalFile {
  readonly started: PromiseWithResolvers<void>[] = [];
  closed = false;

  sync(): Promise<void> {
    const sync = Promise.withResolvers<void>();
    this.started.push(sync);
    return sync.promise;
  }

  close(): void {
    this.closed = true;
  }

  /** Finishes the oldest sync still running, once one has started. */
  async finish(error?: Error): Promise<void> {
    for (let tick = 0; this.started.length === 0; tick++) {
      if (tick === 100) throw new Error("no sync started");
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const sync = this.started.shift()!;
    if (error) sync.reject(error);
    else sync.resolve();
    // Lets the sync's continuations run.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** `promise`'s state after the microtasks and timers due now have run. */
async function state(promise: Promise<unknown>): Promise<"pending" | "resolved" | "rejected"> {
  let seen: "pending" | "resolved" | "rejected" = "pending";
  promise.then(() => seen = "resolved", () => seen = "rejected");
  await new Promise((resolve) => setTimeout(resolve, 0));
  return seen;
}

Deno.test("WalSync: one sync covers every commit before it; commits during it wait for the next", async () => {
  const file = new HeldWal();
  const wal = new WalSync(file);
  wal.committed();
  wal.committed();
  const first = wal.durable();
  const same = wal.durable();
  assertEquals(file.started.length, 1, "one sync for both commits");
  wal.committed();
  const later = wal.durable();
  assertEquals(file.started.length, 1, "no second sync while one runs");
  await file.finish();
  assertEquals([await state(first), await state(same), await state(later)], [
    "resolved",
    "resolved",
    "pending",
  ]);
  assertEquals(
    file.started.length,
    1,
    "the commit made during the first sync gets a sync of its own",
  );
  await file.finish();
  assertEquals(await state(later), "resolved");
  assertEquals(await state(wal.durable()), "resolved", "nothing new committed: no sync");
  assertEquals(file.started.length, 0);
  await wal.close();
  assertEquals(file.closed, true);
});

Deno.test("WalSync: a failed sync fails every commit waiting and every one after", async () => {
  const file = new HeldWal();
  const wal = new WalSync(file);
  wal.committed();
  const waiting = assertRejects(() => wal.durable(), StorageError, "disk did not confirm");
  await file.finish(new Error("EIO"));
  await waiting;
  assertEquals(wal.failure?.message.includes("EIO"), true, "the cause is named");
  await assertRejects(() => wal.durable(), StorageError, "the database stopped");
});

/** A database file with a table, its syncs held, and a second connection that reads commits. */
async function heldDatabase() {
  const dir = await Deno.makeTempDir();
  const file = new HeldWal();
  const db = SqliteDatabase.open(`${dir}/w.db`, file);
  const created = db.run("CREATE TABLE t (k TEXT PRIMARY KEY)");
  await file.finish();
  await created;
  const reader = new DatabaseSync(`${dir}/w.db`, { readOnly: true });
  const committed = () => reader.prepare("SELECT k FROM t ORDER BY k").all().map((r) => r.k);
  return {
    db,
    file,
    committed,
    async [Symbol.asyncDispose]() {
      reader.close();
      while (file.started.length > 0) await file.finish();
      await db.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("a commit is answered only after its sync, while the next transactions already run", async () => {
  await using world = await heldDatabase();
  const { db, file, committed } = world;
  const first = db.transaction((tx) => tx.run("INSERT INTO t VALUES ('a')"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(committed(), ["a"], "committed");
  assertEquals(await state(first), "pending", "but not answered before it is on disk");
  const second = db.transaction((tx) => tx.run("INSERT INTO t VALUES ('b')"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(committed(), ["a", "b"], "the next transaction did not wait for the sync");
  const read = db.all("SELECT k FROM t");
  await file.finish();
  assertEquals([await state(first), await state(second)], ["resolved", "pending"]);
  assertEquals(await state(read), "pending", "a read waits until what it sees is on disk");
  await file.finish();
  assertEquals(await first, { changes: 1 });
  assertEquals(await second, { changes: 1 });
  assertEquals(await read, [{ k: "a" }, { k: "b" }]);
});

Deno.test("a failed sync stops the database: the commits it covered and everything after fail", async () => {
  await using world = await heldDatabase();
  const { db, file } = world;
  const lost = assertRejects(
    () => db.transaction((tx) => tx.run("INSERT INTO t VALUES ('a')")),
    StorageError,
    "disk did not confirm",
  );
  const lone = assertRejects(() => db.run("INSERT INTO t VALUES ('b')"), StorageError, "stopped");
  await new Promise((resolve) => setTimeout(resolve, 0));
  await file.finish(new Error("EIO"));
  await Promise.all([lost, lone]);
  await assertRejects(() => db.get("SELECT 1"), StorageError, "the database stopped");
  await assertRejects(
    () => db.transaction((tx) => tx.run("INSERT INTO t VALUES ('c')")),
    StorageError,
    "the database stopped",
  );
});

Deno.test("the real WAL file is synced once commits are made", async () => {
  const dir = await Deno.makeTempDir();
  const real = walFileOf(`${dir}/r.db`);
  let syncs = 0;
  const db = SqliteDatabase.open(`${dir}/r.db`, {
    sync: () => (syncs++, real.sync()),
    close: () => real.close(),
  });
  await db.run("CREATE TABLE t (k TEXT)");
  await Promise.all(["a", "b", "c"].map((k) => db.run("INSERT INTO t VALUES (?)", [k])));
  assertEquals(syncs >= 2 && syncs <= 4, true, `one sync per burst of commits, made ${syncs}`);
  assertEquals(await db.all("SELECT k FROM t"), [{ k: "a" }, { k: "b" }, { k: "c" }]);
  await db.close();
  await Deno.remove(dir, { recursive: true });
});
