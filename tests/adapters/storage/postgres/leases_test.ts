import { assertEquals, assertRejects } from "../../../support/assert.ts";
import { openDatabase } from "../../../../adapters/storage/open_database.ts";
import {
  instanceConnectionName,
  PostgresLeases,
} from "../../../../adapters/storage/postgres/leases.ts";
import { FencedDatabase, FencedOffError } from "../../../../adapters/storage/fenced_database.ts";
import type { Database, SqlRunner } from "../../../../money/ports.ts";
import { freshPostgresDatabase, postgresIgnored } from "../../../support/postgres_cluster.ts";

/** Two instances' connections to one fresh schema (named as `main.ts` names them), leases of `ttlMs`. */
async function twoInstances(ttlMs = 60_000) {
  const store = await freshPostgresDatabase("leases");
  const dbA = await openDatabase(store.url, { applicationName: instanceConnectionName("a") });
  const dbB = await openDatabase(store.url, { applicationName: instanceConnectionName("b") });
  return {
    dbA,
    a: new PostgresLeases(dbA, "a", ttlMs),
    b: new PostgresLeases(dbB, "b", ttlMs),
    async [Symbol.asyncDispose]() {
      await dbA.close();
      await dbB.close();
      await store.drop();
    },
  };
}

/** `db` fenced by `leases`' hold of `lease`, counting refusals. */
function fenced(db: Database, leases: PostgresLeases, lease: { tenantId: string; epoch: number }) {
  const refusals: string[] = [];
  const view = new FencedDatabase(db, {
    tenantId: lease.tenantId,
    heldLocally: () => true,
    check: (tx) => leases.holds(tx, lease),
    fencedOff: (reason) => refusals.push(reason),
  });
  return { view, refusals };
}

const write = (db: SqlRunner, key: string) =>
  db.run("INSERT INTO kv (tenant_id, key, value) VALUES ('shop', ?, 'x')", [key]);

Deno.test({
  name: "a lease is taken once, renewed by its holder only, released for the next at once",
  ignore: postgresIgnored,
  async fn() {
    await using cluster = await twoInstances();
    const { a, b } = cluster;
    const first = await a.acquire("shop");
    assertEquals(first, { tenantId: "shop", epoch: 1, previousOwner: null });
    assertEquals(await b.acquire("shop"), undefined, "held and unexpired");
    assertEquals(await b.renew([first!]), new Set(), "b does not hold it");
    assertEquals(await a.renew([first!]), new Set(["shop"]));
    assertEquals(await a.release(first!), true);
    assertEquals(await b.acquire("shop"), { tenantId: "shop", epoch: 2, previousOwner: null });
    assertEquals(await a.renew([first!]), new Set(), "a's old epoch is gone");
    assertEquals((await a.all()).map((l) => [l.tenantId, l.owner, l.epoch, l.live]), [
      ["shop", "b", 2, true],
    ]);
  },
});

Deno.test({
  name: "an expired lease is taken over with the next epoch, and names the previous owner",
  ignore: postgresIgnored,
  async fn() {
    await using cluster = await twoInstances(2_000);
    const { a, b } = cluster;
    await a.acquire("shop");
    assertEquals(await b.acquire("shop"), undefined);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    assertEquals(await b.acquire("shop"), { tenantId: "shop", epoch: 2, previousOwner: "a" });
  },
});

Deno.test({
  name: "heartbeats: live instances are those seen within the TTL; leaving removes one",
  ignore: postgresIgnored,
  async fn() {
    await using cluster = await twoInstances();
    const { a, b } = cluster;
    await a.heartbeat();
    await b.heartbeat();
    assertEquals(await a.liveInstances(), ["a", "b"]);
    await b.leave();
    assertEquals(await a.liveInstances(), ["a"]);
  },
});

Deno.test({
  name:
    "fencing: no new owner while the old epoch's transaction is open; its later writes are refused",
  ignore: postgresIgnored,
  async fn() {
    await using cluster = await twoInstances(2_000);
    const { a, b, dbA } = cluster;
    const lease = (await a.acquire("shop"))!;
    const old = fenced(dbA, a, lease);
    await write(old.view, "before");

    // A's transaction is fenced (it holds the lease row's key-share lock) and still open when
    // the lease expires; B cannot take the lease until it ends, and does not wait for it.
    let release!: () => void;
    const held = new Promise<void>((resolve) => release = resolve);
    const inFlight = old.view.transaction(async (tx) => {
      await write(tx, "in flight");
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const started = performance.now();
    assertEquals(await b.acquire("shop"), undefined, "not while the fenced transaction is open");
    assertEquals(await b.acquire("shop"), undefined, "nor on a second try");
    const waited = performance.now() - started;
    assertEquals(waited < 1_000, true, `the acquisitions answered at once (${waited} ms)`);
    release();
    await inFlight;
    const taken = await b.acquire("shop");
    assertEquals(taken, { tenantId: "shop", epoch: 2, previousOwner: "a" });

    // From now on, every write of epoch 1 is refused, and the fence hears of it.
    await assertRejects(() => write(old.view, "late"), FencedOffError);
    assertEquals(old.refusals, ["another instance holds its lease now"]);
    const keys = await dbA.all<{ key: string }>("SELECT key FROM kv ORDER BY key");
    assertEquals(keys.map((k) => k.key), ["before", "in flight"]);
  },
});

Deno.test({
  name: "stragglers: a dead former owner's open transaction is ended so its expired lease can move",
  ignore: postgresIgnored,
  async fn() {
    await using cluster = await twoInstances(2_000);
    const { a, b, dbA } = cluster;
    await a.heartbeat();
    const lease = (await a.acquire("shop"))!;
    const old = fenced(dbA, a, lease);
    // A transaction A does not finish (as if A were paused in the middle of it).
    let wake!: () => void;
    const paused = new Promise<void>((resolve) => wake = resolve);
    const inFlight = old.view.transaction(async (tx) => {
      await write(tx, "stuck");
      await paused;
    });
    await new Promise((resolve) => setTimeout(resolve, 2_100));

    // Expired, but A still heartbeats: A is live, its transaction is left alone.
    await a.heartbeat();
    assertEquals(await b.acquire("shop"), undefined);
    assertEquals(await b.endStragglers("shop"), undefined, "a live owner's work is not ended");

    // A's heartbeat goes stale too: B ends A's transaction, and takes the lease.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    assertEquals(await b.endStragglers("shop"), { owner: "a", ended: 1 });
    wake();
    await assertRejects(() => inFlight, Error);
    assertEquals(await b.acquire("shop"), { tenantId: "shop", epoch: 2, previousOwner: "a" });
    assertEquals(await b.endStragglers("shop"), undefined, "nothing left once B holds it");
    const keys = await b.all();
    assertEquals(keys.map((l) => [l.owner, l.epoch]), [["b", 2]]);
    assertEquals(await dbA.all("SELECT key FROM kv"), [], "the stuck write never committed");
  },
});

Deno.test({
  name: "fencing: renewals do not wait for the holder's own transactions",
  ignore: postgresIgnored,
  async fn() {
    await using cluster = await twoInstances();
    const { a, dbA } = cluster;
    const lease = (await a.acquire("shop"))!;
    const { view } = fenced(dbA, a, lease);
    let release!: () => void;
    const held = new Promise<void>((resolve) => release = resolve);
    const inFlight = view.transaction(async (tx) => {
      await write(tx, "k");
      await held;
    });
    try {
      // Would time out (statement_timeout) if the renewal waited for the open transaction.
      assertEquals(await a.renew([lease]), new Set(["shop"]));
    } finally {
      release();
      await inFlight;
    }
  },
});

Deno.test({
  name: "fencing: past the local deadline nothing is sent at all",
  ignore: postgresIgnored,
  async fn() {
    await using cluster = await twoInstances();
    const { a, dbA } = cluster;
    const lease = (await a.acquire("shop"))!;
    let checks = 0;
    const view = new FencedDatabase(dbA, {
      tenantId: "shop",
      heldLocally: () => false,
      check: (tx) => (checks++, a.holds(tx, lease)),
      fencedOff: () => {},
    });
    await assertRejects(() => write(view, "k"), FencedOffError);
    assertEquals(checks, 0);
  },
});

Deno.test({
  name: "checks asked together on one transaction go as one statement, each answered for itself",
  ignore: postgresIgnored,
  async fn() {
    await using cluster = await twoInstances();
    const { a, b, dbA } = cluster;
    const shop = (await a.acquire("shop"))!;
    const cafe = (await a.acquire("cafe"))!;
    const taken = (await b.acquire("taken"))!;
    let statements = 0;
    const answers = await dbA.transaction((tx) => {
      const counting: SqlRunner = {
        all: (sql, params) => (statements++, tx.all(sql, params)),
        get: (sql, params) => (statements++, tx.get(sql, params)),
        run: (sql, params) => (statements++, tx.run(sql, params)),
      };
      return Promise.all([
        a.holdsTogether(counting, shop),
        a.holdsTogether(counting, { tenantId: "cafe", epoch: cafe.epoch + 1 }),
        a.holdsTogether(counting, cafe),
        a.holdsTogether(counting, taken),
      ]);
    });
    assertEquals(answers, [true, false, true, false], "a stale epoch or another's lease: not held");
    assertEquals(statements, 1);
    // The rows are locked as holds locks them: while A's batch is open, B cannot take the lease
    // even once A let it go; once the batch ends, it can.
    const gate = Promise.withResolvers<void>();
    const checked = Promise.withResolvers<void>();
    const open = dbA.transaction(async (tx) => {
      await a.holdsTogether(tx, cafe);
      checked.resolve();
      await gate.promise;
    });
    await checked.promise;
    assertEquals(await a.release(cafe), true);
    assertEquals(await b.acquire("cafe"), undefined, "locked by A's open batch");
    gate.resolve();
    await open;
    assertEquals((await b.acquire("cafe"))?.epoch, cafe.epoch + 1);
  },
});
