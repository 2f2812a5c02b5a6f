import { assertEquals, assertRejects, assertTrue } from "../../support/assert.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import {
  type Order,
  Orders,
  OrderTransitionError,
  UnknownOrderError,
} from "../../../money/stores/orders.ts";
import type { SqlRunner } from "../../../money/ports.ts";
import { eachEngine } from "../../support/engines.ts";

async function setup() {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(1_000);
  const orders = new Orders("shop", clock);
  const issue = (userId = 7, ttlMs = 60_000) =>
    orders.issue(db, { userId, chatId: userId + 1, productId: "credits_100", amount: 50, ttlMs });
  return { db, clock, orders, issue };
}

Deno.test("issue records an issued order with an opaque 22-character id", async () => {
  const { db, orders, issue } = await setup();
  const order = await issue();
  assertTrue(/^[A-Za-z0-9_-]{22}$/.test(order.orderId), `bad id ${order.orderId}`);
  assertTrue(new TextEncoder().encode(order.orderId).length <= 128);
  const expected: Order = {
    orderId: order.orderId,
    userId: 7,
    chatId: 8,
    productId: "credits_100",
    amount: 50,
    state: "issued",
    createdAt: 1_000,
    expiresAt: 61_000,
    updatedAt: 1_000,
  };
  assertEquals(order, expected);
  assertEquals(await orders.get(db, order.orderId), expected);
  await db.close();
});

Deno.test("order ids do not repeat", async () => {
  const { db, issue } = await setup();
  const ids = new Set<string>();
  for (let i = 0; i < 200; i++) ids.add((await issue()).orderId);
  assertEquals(ids.size, 200);
  await db.close();
});

Deno.test("issue refuses a non-positive amount or ttl, naming the field", async () => {
  const { db, orders } = await setup();
  const base = { userId: 7, chatId: 7, productId: "p", amount: 5, ttlMs: 1_000 };
  await assertRejects(() => orders.issue(db, { ...base, amount: 0 }), RangeError, "amount");
  await assertRejects(() => orders.issue(db, { ...base, amount: 1.5 }), RangeError, "amount");
  await assertRejects(() => orders.issue(db, { ...base, ttlMs: -1 }), RangeError, "ttlMs");
  assertEquals(await db.all("SELECT * FROM orders"), []);
  await db.close();
});

Deno.test("orders of one tenant are invisible to another", async () => {
  const { db, clock, issue } = await setup();
  const order = await issue();
  assertEquals(await new Orders("other", clock).get(db, order.orderId), undefined);
  await db.close();
});

Deno.test("apply persists each step of a paid-then-refunded order", async () => {
  const { db, clock, orders, issue } = await setup();
  const { orderId } = await issue();
  await clock.advance(10);
  const approved = await db.transaction((tx) => orders.apply(tx, orderId, "approve"));
  assertEquals([approved.state, approved.updatedAt], ["approved", 1_010]);
  const again = await db.transaction((tx) => orders.apply(tx, orderId, "approve"));
  assertEquals(again.state, "approved");
  const paid = await db.transaction((tx) => orders.apply(tx, orderId, "pay", { chargeId: "ch_1" }));
  assertEquals([paid.state, paid.chargeId], ["paid", "ch_1"]);
  const refunded = await db.transaction((tx) => orders.apply(tx, orderId, "refund"));
  assertEquals([refunded.state, refunded.chargeId], ["refunded", "ch_1"]);
  assertEquals(await orders.get(db, orderId), refunded);
  await db.close();
});

Deno.test("apply refuses what the table refuses and leaves the order as it was", async () => {
  const { db, orders, issue } = await setup();
  const { orderId } = await issue();
  await db.transaction((tx) => orders.apply(tx, orderId, "pay", { chargeId: "ch_1" }));
  const before = await orders.get(db, orderId);
  const error = await assertRejects(
    () => db.transaction((tx) => orders.apply(tx, orderId, "approve")),
    OrderTransitionError,
    'an order in state "paid" cannot take event "approve"',
  ) as OrderTransitionError;
  assertEquals([error.orderId, error.state, error.event], [orderId, "paid", "approve"]);
  await assertRejects(
    () => db.transaction((tx) => orders.apply(tx, orderId, "pay", { chargeId: "ch_2" })),
    OrderTransitionError,
  );
  assertEquals(await orders.get(db, orderId), before);
  await db.close();
});

Deno.test("apply names an unknown order, and pay without a charge id", async () => {
  const { db, orders, issue } = await setup();
  await assertRejects(
    () => db.transaction((tx) => orders.apply(tx, "nope", "approve")),
    UnknownOrderError,
    '"nope"',
  );
  const { orderId } = await issue();
  await assertRejects(
    () => db.transaction((tx) => orders.apply(tx, orderId, "pay")),
    TypeError,
    "charge id",
  );
  assertEquals((await orders.get(db, orderId))?.state, "issued");
  await db.close();
});

Deno.test("expireDue expires issued and approved orders at their expiry, nothing else", async () => {
  const { db, clock, orders, issue } = await setup();
  const issued = await issue(7, 100);
  const approved = await issue(7, 100);
  const paid = await issue(7, 100);
  const later = await issue(7, 200);
  await db.transaction(async (tx) => {
    await orders.apply(tx, approved.orderId, "approve");
    await orders.apply(tx, paid.orderId, "pay", { chargeId: "ch_1" });
  });
  assertEquals(await orders.expireDue(db, 1_099), 0);
  await clock.advance(100);
  assertEquals(await orders.expireDue(db), 2);
  const states = async () =>
    await Promise.all(
      [issued, approved, paid, later].map(async (o) => (await orders.get(db, o.orderId))?.state),
    );
  assertEquals(await states(), ["expired", "expired", "paid", "issued"]);
  assertEquals((await orders.get(db, issued.orderId))?.updatedAt, 1_100);
  assertEquals(await orders.expireDue(db), 0);
  await clock.advance(100);
  assertEquals(await orders.expireDue(db), 1);
  assertEquals(await states(), ["expired", "expired", "paid", "expired"]);
  await db.close();
});

Deno.test("latestForUser is the newest order, optionally of some states", async () => {
  const { db, clock, orders, issue } = await setup();
  const paid = await issue();
  await db.transaction((tx) => orders.apply(tx, paid.orderId, "pay", { chargeId: "ch_1" }));
  await clock.advance(10);
  const open = await issue();
  assertEquals((await orders.latestForUser(db, 7))?.orderId, open.orderId);
  assertEquals((await orders.latestForUser(db, 7, ["paid"]))?.orderId, paid.orderId);
  assertEquals(await orders.latestForUser(db, 7, ["refunded"]), undefined);
  assertEquals(await orders.latestForUser(db, 7, []), undefined);
  assertEquals(await orders.latestForUser(db, 8), undefined);
  await db.close();
});

eachEngine.test("concurrent events on one order: both approvals land, a second payment is refused", async ({ engine }) => {
  const db = await engine.open();
  const orders = new Orders("shop", new ManualClock(1_000));
  const order = await orders.issue(db, {
    userId: 7,
    chatId: 7,
    productId: "credits_100",
    amount: 50,
    ttlMs: 60_000,
  });
  const pause = () => new Promise((resolve) => setTimeout(resolve, 1));
  // Both read the order, then write: on PostgreSQL they overlap, and the second write finds the
  // state it read gone and applies the event again to the new state.
  const inTransaction = (work: (tx: SqlRunner) => Promise<Order>) =>
    db.transaction(async (tx) => {
      await orders.get(tx, order.orderId);
      await pause();
      return await work(tx);
    });
  const approvals = await Promise.all(
    [1, 2].map(() => inTransaction((tx) => orders.apply(tx, order.orderId, "approve"))),
  );
  assertEquals(approvals.map((o) => o.state), ["approved", "approved"]);
  const payments = await Promise.allSettled(
    ["charge-a", "charge-b"].map((chargeId) =>
      inTransaction((tx) => orders.apply(tx, order.orderId, "pay", { chargeId }))
    ),
  );
  assertEquals(
    payments.map((p) => p.status).sort(),
    ["fulfilled", "rejected"],
  );
  const refused = payments.find((p) => p.status === "rejected") as PromiseRejectedResult;
  assertTrue(refused.reason instanceof OrderTransitionError, String(refused.reason));
  const paid = payments.find((p) => p.status === "fulfilled") as PromiseFulfilledResult<Order>;
  assertEquals(await orders.get(db, order.orderId), { ...paid.value });
  await db.close();
});
