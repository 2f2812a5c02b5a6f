import { assertEquals, assertRejects, assertTrue } from "../../support/assert.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { Ledger, type LedgerEntry } from "../../../money/stores/ledger.ts";
import type { Database, SqlRunner } from "../../../money/ports.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";

const USER = 42;

async function setup(tenantId = "shop") {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(1_000);
  return { db, clock, ledger: new Ledger(tenantId, clock) };
}

function key(k: string) {
  return { idempotencyKey: k, reason: `test ${k}` };
}

async function rowCount(db: Database): Promise<number> {
  return (await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM ledger_entries"))!.n;
}

/**
 * Wraps a transaction so that `competitor` runs right before each of the first `times` ledger
 * inserts: another writer that appends between our read of the balance and our insert.
 */
function withCompetitor(
  tx: SqlRunner,
  competitor: (tx: SqlRunner) => Promise<unknown>,
  times = 1,
): SqlRunner {
  let left = times;
  return {
    all: (sql, params) => tx.all(sql, params),
    get: (sql, params) => tx.get(sql, params),
    async run(sql, params) {
      if (left > 0 && sql.includes("INSERT INTO ledger_entries")) {
        left--;
        await competitor(tx);
      }
      return tx.run(sql, params);
    },
  };
}

Deno.test("a user without entries has a balance of 0 and an empty history", async () => {
  const { db, ledger } = await setup();
  assertEquals(await ledger.balance(db, USER), 0);
  assertEquals(await ledger.history(db, USER, { limit: 10, offset: 0 }), { entries: [], total: 0 });
  await db.close();
});

Deno.test("deposit and deduct move the balance and record each entry", async () => {
  const { db, clock, ledger } = await setup();
  const deposit = await db.transaction((tx) => ledger.deposit(tx, USER, 100, key("d1")));
  await clock.advance(5);
  const spent = await db.transaction((tx) => ledger.deduct(tx, USER, 30, key("c1")));
  assertEquals(deposit, {
    repeated: false,
    entry: {
      userId: USER,
      seq: 1,
      kind: "deposit",
      amount: 100,
      balanceAfter: 100,
      idempotencyKey: "d1",
      reason: "test d1",
      createdAt: 1_000,
    },
  });
  assertEquals(spent, {
    ok: true,
    repeated: false,
    balance: 70,
    entry: {
      userId: USER,
      seq: 2,
      kind: "charge",
      amount: -30,
      balanceAfter: 70,
      idempotencyKey: "c1",
      reason: "test c1",
      createdAt: 1_005,
    },
  });
  assertEquals(await ledger.balance(db, USER), 70);
  await db.close();
});

Deno.test("a deduct larger than the balance is refused with the shortfall and writes nothing", async () => {
  const { db, ledger } = await setup();
  await db.transaction((tx) => ledger.deposit(tx, USER, 10, key("d1")));
  const refused = await db.transaction((tx) => ledger.deduct(tx, USER, 25, key("c1")));
  assertEquals(refused, { ok: false, balance: 10, shortfall: 15 });
  assertEquals(await rowCount(db), 1);
  assertEquals(await ledger.balance(db, USER), 10);
  // Spending exactly the balance is allowed.
  const exact = await db.transaction((tx) => ledger.deduct(tx, USER, 10, key("c2")));
  assertEquals(exact.ok && exact.balance, 0);
  await db.close();
});

Deno.test("a refused key stays unused, so repeating it after a top-up succeeds", async () => {
  const { db, ledger } = await setup();
  const first = await db.transaction((tx) => ledger.deduct(tx, USER, 5, key("c1")));
  assertEquals(first, { ok: false, balance: 0, shortfall: 5 });
  await db.transaction((tx) => ledger.deposit(tx, USER, 5, key("d1")));
  const again = await db.transaction((tx) => ledger.deduct(tx, USER, 5, key("c1")));
  assertEquals(again.ok && again.balance, 0);
  await db.close();
});

Deno.test("a repeated deposit key returns the first entry and does not deposit again", async () => {
  const { db, clock, ledger } = await setup();
  const first = await db.transaction((tx) => ledger.deposit(tx, USER, 50, key("payment:ch_1")));
  await clock.advance(60_000);
  const again = await db.transaction((tx) => ledger.deposit(tx, USER, 50, key("payment:ch_1")));
  assertEquals(again, { entry: first.entry, repeated: true });
  assertEquals(await ledger.balance(db, USER), 50);
  assertEquals(await rowCount(db), 1);
  await db.close();
});

Deno.test("entryUnder finds the entry a key wrote, in this tenant only", async () => {
  const { db, clock, ledger } = await setup();
  const posted = await db.transaction((tx) => ledger.reverse(tx, USER, 30, key("refund:ch_1")));
  assertEquals(await ledger.entryUnder(db, "refund:ch_1"), posted.entry);
  assertEquals(posted.entry.amount, -30);
  assertEquals(await ledger.entryUnder(db, "refund:ch_2"), undefined);
  assertEquals(await new Ledger("other", clock).entryUnder(db, "refund:ch_1"), undefined);
  await db.close();
});

Deno.test("a repeated deduct key returns the first result and charges once", async () => {
  const { db, ledger } = await setup();
  await db.transaction((tx) => ledger.deposit(tx, USER, 10, key("d1")));
  const first = await db.transaction((tx) => ledger.deduct(tx, USER, 4, key("use:1")));
  await db.transaction((tx) => ledger.deduct(tx, USER, 1, key("use:2")));
  const again = await db.transaction((tx) => ledger.deduct(tx, USER, 4, key("use:1")));
  assertTrue(first.ok && again.ok);
  // The first result, including the balance right after that charge (6), not today's (5).
  assertEquals(again, { ...first, repeated: true });
  assertEquals(again.balance, 6);
  assertEquals(await ledger.balance(db, USER), 5);
  await db.close();
});

Deno.test("reusing a key for a different user, amount or kind throws", async () => {
  const { db, ledger } = await setup();
  await db.transaction((tx) => ledger.deposit(tx, USER, 10, key("k")));
  await assertRejects(
    () => db.transaction((tx) => ledger.deposit(tx, USER, 11, key("k"))),
    Error,
    'idempotency key "k" was already used for deposit 10 of user 42',
  );
  await assertRejects(
    () => db.transaction((tx) => ledger.deposit(tx, 7, 10, key("k"))),
    Error,
    "cannot be reused for deposit 10 of user 7",
  );
  await assertRejects(
    () => db.transaction((tx) => ledger.deduct(tx, USER, 10, key("k"))),
    Error,
    "cannot be reused for charge -10 of user 42",
  );
  assertEquals(await rowCount(db), 1);
  await db.close();
});

Deno.test("a reversal may take the balance below zero, and deducts are then refused", async () => {
  const { db, ledger } = await setup();
  await db.transaction((tx) => ledger.deposit(tx, USER, 100, key("payment:ch_1")));
  await db.transaction((tx) => ledger.deduct(tx, USER, 80, key("use:1")));
  const reversed = await db.transaction((tx) => ledger.reverse(tx, USER, 100, key("refund:ch_1")));
  assertEquals(
    [reversed.entry.kind, reversed.entry.amount, reversed.entry.balanceAfter],
    ["refund", -100, -80],
  );
  assertEquals(await ledger.balance(db, USER), -80);
  const refused = await db.transaction((tx) => ledger.deduct(tx, USER, 1, key("use:2")));
  assertEquals(refused, { ok: false, balance: -80, shortfall: 81 });
  await db.transaction((tx) => ledger.deposit(tx, USER, 90, key("payment:ch_2")));
  const allowed = await db.transaction((tx) => ledger.deduct(tx, USER, 10, key("use:3")));
  assertEquals(allowed.ok && allowed.balance, 0);
  await db.close();
});

Deno.test("adjust adds and takes credits, crossing zero if the admin says so", async () => {
  const { db, ledger } = await setup();
  const up = await db.transaction((tx) => ledger.adjust(tx, USER, 15, key("admin:1")));
  const down = await db.transaction((tx) => ledger.adjust(tx, USER, -20, key("admin:2")));
  assertEquals([up.entry.kind, up.entry.amount, up.entry.balanceAfter], ["adjustment", 15, 15]);
  assertEquals([down.entry.kind, down.entry.amount, down.entry.balanceAfter], [
    "adjustment",
    -20,
    -5,
  ]);
  await db.close();
});

Deno.test("amounts must be whole and positive (non-zero for adjust)", async () => {
  const { db, ledger } = await setup();
  for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
    await assertRejects(
      () => db.transaction((tx) => ledger.deposit(tx, USER, bad, key("d"))),
      RangeError,
      `amount must be a positive whole number of credits, got ${bad}`,
    );
    await assertRejects(
      () => db.transaction((tx) => ledger.deduct(tx, USER, bad, key("c"))),
      RangeError,
      "amount must be a positive whole number",
    );
    await assertRejects(
      () => db.transaction((tx) => ledger.reverse(tx, USER, bad, key("r"))),
      RangeError,
      "amount must be a positive whole number",
    );
  }
  for (const bad of [0, 0.5, -2.5]) {
    await assertRejects(
      () => db.transaction((tx) => ledger.adjust(tx, USER, bad, key("a"))),
      RangeError,
      `an adjustment must be a non-zero whole number of credits, got ${bad}`,
    );
  }
  assertEquals(await rowCount(db), 0);
  await db.close();
});

Deno.test("users, keys and reasons are checked", async () => {
  const { db, ledger } = await setup();
  await assertRejects(
    () => db.transaction((tx) => ledger.deposit(tx, 0, 1, key("d"))),
    RangeError,
    "userId must be a positive integer, got 0",
  );
  await assertRejects(
    () => db.transaction((tx) => ledger.deposit(tx, USER, 1, { idempotencyKey: " ", reason: "x" })),
    TypeError,
    'idempotencyKey must be a non-empty string, got " "',
  );
  await assertRejects(
    () => db.transaction((tx) => ledger.deposit(tx, USER, 1, { idempotencyKey: "k", reason: "" })),
    TypeError,
    'reason must be a non-empty string, got ""',
  );
  await assertRejects(
    () => ledger.history(db, USER, { limit: 0, offset: 0 }),
    RangeError,
    "page.limit must be an integer >= 1, got 0",
  );
  await assertRejects(
    () => ledger.history(db, USER, { limit: 1, offset: -1 }),
    RangeError,
    "page.offset must be an integer >= 0, got -1",
  );
  await db.close();
});

Deno.test("history lists entries newest first, a page at a time, with the total", async () => {
  const { db, clock, ledger } = await setup();
  for (let i = 1; i <= 5; i++) {
    await db.transaction((tx) => ledger.deposit(tx, USER, i, key(`d${i}`)));
    await clock.advance(1);
  }
  await db.transaction((tx) => ledger.deposit(tx, 7, 99, key("other-user")));
  const first = await ledger.history(db, USER, { limit: 2, offset: 0 });
  const second = await ledger.history(db, USER, { limit: 2, offset: 2 });
  const last = await ledger.history(db, USER, { limit: 2, offset: 4 });
  const keys = (entries: LedgerEntry[]) => entries.map((e) => e.idempotencyKey);
  assertEquals([keys(first.entries), first.total], [["d5", "d4"], 5]);
  assertEquals([keys(second.entries), second.total], [["d3", "d2"], 5]);
  assertEquals([keys(last.entries), last.total], [["d1"], 5]);
  assertEquals(first.entries.map((e) => e.balanceAfter), [15, 10]);
  await db.close();
});

Deno.test("tenants are isolated: the same user id and key in two tenants are separate", async () => {
  const { db, clock } = await setup();
  const shop = new Ledger("shop", clock);
  const cafe = new Ledger("cafe", clock);
  await db.transaction((tx) => shop.deposit(tx, USER, 10, key("payment:1")));
  const inCafe = await db.transaction((tx) => cafe.deposit(tx, USER, 3, key("payment:1")));
  assertEquals([inCafe.repeated, inCafe.entry.seq], [false, 1]);
  assertEquals([await shop.balance(db, USER), await cafe.balance(db, USER)], [10, 3]);
  assertEquals((await cafe.history(db, USER, { limit: 10, offset: 0 })).total, 1);
  await db.close();
});

Deno.test("a deposit in a transaction that later throws leaves no entry", async () => {
  const { db, ledger } = await setup();
  await assertRejects(
    () =>
      db.transaction(async (tx) => {
        await ledger.deposit(tx, USER, 100, key("payment:ch_1"));
        throw new Error("order update failed");
      }),
    Error,
    "order update failed",
  );
  assertEquals(await rowCount(db), 0);
  assertEquals(await ledger.balance(db, USER), 0);
  // The key was rolled back with it, so the retried handler deposits for real.
  const retried = await db.transaction((tx) => ledger.deposit(tx, USER, 100, key("payment:ch_1")));
  assertEquals(retried.repeated, false);
  await db.close();
});

Deno.test("many concurrent deducts never overdraw", async () => {
  const { db, ledger } = await setup();
  await db.transaction((tx) => ledger.deposit(tx, USER, 20, key("d1")));
  const results = await Promise.all(
    Array.from(
      { length: 50 },
      (_, i) => db.transaction((tx) => ledger.deduct(tx, USER, 1, key(`use:${i}`))),
    ),
  );
  assertEquals(results.filter((r) => r.ok).length, 20);
  assertEquals(results.filter((r) => !r.ok).every((r) => r.balance === 0), true);
  assertEquals(await ledger.balance(db, USER), 0);
  assertEquals(await rowCount(db), 21);
  await db.close();
});

Deno.test("losing the race for the next seq re-reads the balance and appends on top", async () => {
  const { db, ledger } = await setup();
  await db.transaction((tx) => ledger.deposit(tx, USER, 10, key("d1")));
  const result = await db.transaction((tx) =>
    ledger.deduct(
      withCompetitor(tx, (raw) => ledger.deduct(raw, USER, 4, key("other-engine"))),
      USER,
      5,
      key("mine"),
    )
  );
  assertEquals(result.ok && [result.entry.seq, result.balance], [3, 1]);
  const { entries } = await ledger.history(db, USER, { limit: 10, offset: 0 });
  assertEquals(
    entries.map((e) => [e.seq, e.idempotencyKey, e.balanceAfter]),
    [[3, "mine", 1], [2, "other-engine", 6], [1, "d1", 10]],
  );
  await db.close();
});

Deno.test("after losing a race, a deduct the balance no longer covers is refused", async () => {
  const { db, ledger } = await setup();
  await db.transaction((tx) => ledger.deposit(tx, USER, 10, key("d1")));
  const result = await db.transaction((tx) =>
    ledger.deduct(
      withCompetitor(tx, (raw) => ledger.deduct(raw, USER, 8, key("other-engine"))),
      USER,
      5,
      key("mine"),
    )
  );
  assertEquals(result, { ok: false, balance: 2, shortfall: 3 });
  assertEquals(await ledger.balance(db, USER), 2);
  await db.close();
});

Deno.test("losing the race for the same key returns the other writer's entry", async () => {
  const { db, ledger } = await setup();
  const result = await db.transaction((tx) =>
    ledger.deposit(
      withCompetitor(tx, (raw) => ledger.deposit(raw, USER, 50, key("payment:ch_1"))),
      USER,
      50,
      key("payment:ch_1"),
    )
  );
  assertEquals([result.repeated, result.entry.seq], [true, 1]);
  assertEquals(await ledger.balance(db, USER), 50);
  assertEquals(await rowCount(db), 1);
  await db.close();
});

Deno.test("an append that keeps losing the race fails loudly instead of spinning", async () => {
  const { db, ledger } = await setup();
  let n = 0;
  await assertRejects(
    () =>
      db.transaction((tx) =>
        ledger.deposit(
          withCompetitor(tx, (raw) => ledger.deposit(raw, USER, 1, key(`other:${n++}`)), 100),
          USER,
          1,
          key("mine"),
        )
      ),
    Error,
    "could not append deposit for user 42 after 5 tries",
  );
  assertEquals(n, 5);
  await db.close();
});
