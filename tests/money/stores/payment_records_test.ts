import { assertEquals, assertRejects } from "../../support/assert.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { type PaymentRecord, PaymentRecords } from "../../../money/stores/payment_records.ts";

async function setup() {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(500);
  return { db, clock, paymentRecords: new PaymentRecords("shop", clock) };
}

Deno.test("record stores a payment once, keyed by its charge id", async () => {
  const { db, paymentRecords } = await setup();
  const payment = {
    chargeId: "ch_1",
    orderId: "order-1",
    userId: 7,
    productId: "credits_100",
    amount: 50,
    kind: "credits" as const,
  };
  assertEquals(await paymentRecords.record(db, payment), true);
  assertEquals(
    await paymentRecords.record(db, { ...payment, kind: "duplicate", amount: 1 }),
    false,
  );
  const expected: PaymentRecord = { ...payment, paidAt: 500 };
  assertEquals(await paymentRecords.get(db, "ch_1"), expected);
  await db.close();
});

Deno.test("an orphan payment has no order or product", async () => {
  const { db, paymentRecords } = await setup();
  await paymentRecords.record(db, { chargeId: "ch_o", userId: 7, amount: 5, kind: "orphan" });
  assertEquals(await paymentRecords.get(db, "ch_o"), {
    chargeId: "ch_o",
    userId: 7,
    amount: 5,
    kind: "orphan",
    paidAt: 500,
  });
  assertEquals(await paymentRecords.get(db, "missing"), undefined);
  await db.close();
});

Deno.test("markRefunded sets the refund time once", async () => {
  const { db, clock, paymentRecords } = await setup();
  await paymentRecords.record(db, { chargeId: "ch_1", userId: 7, amount: 50, kind: "item" });
  await clock.advance(100);
  assertEquals(await paymentRecords.markRefunded(db, "ch_1"), true);
  await clock.advance(100);
  assertEquals(await paymentRecords.markRefunded(db, "ch_1"), false);
  assertEquals((await paymentRecords.get(db, "ch_1"))?.refundedAt, 600);
  assertEquals(await paymentRecords.markRefunded(db, "missing"), false);
  await db.close();
});

Deno.test("payments of one tenant are invisible to another", async () => {
  const { db, clock, paymentRecords } = await setup();
  await paymentRecords.record(db, { chargeId: "ch_1", userId: 7, amount: 50, kind: "item" });
  const other = new PaymentRecords("other", clock);
  assertEquals(await other.get(db, "ch_1"), undefined);
  assertEquals(
    await other.record(db, { chargeId: "ch_1", userId: 8, amount: 1, kind: "item" }),
    true,
  );
  await db.close();
});

Deno.test("record refuses an empty charge id; get names a kind it does not know", async () => {
  const { db, paymentRecords } = await setup();
  await assertRejects(
    () => paymentRecords.record(db, { chargeId: "", userId: 7, amount: 1, kind: "item" }),
    TypeError,
    "charge id",
  );
  await db.run(
    "INSERT INTO payments VALUES ('shop', 'ch_x', NULL, 7, NULL, 1, 'gift', 0, NULL)",
  );
  await assertRejects(() => paymentRecords.get(db, "ch_x"), Error, '"gift"');
  await db.close();
});
