import { assertEquals, assertRejects } from "../../support/assert.ts";
import {
  apiError,
  buy,
  DAY,
  issue,
  orderState,
  outboxRows,
  outboxText,
  type PaymentFixture,
  paymentFixture,
  paymentMessage,
  START,
  USER,
} from "./payment_fixture.ts";
import { Orders } from "../../../money/stores/orders.ts";
import { SubscriptionRecords } from "../../../money/stores/subscription_records.ts";

async function refundedAt(f: PaymentFixture, chargeId: string) {
  const row = await f.db.get<{ refunded_at: number | null }>(
    "SELECT refunded_at FROM payments WHERE charge_id = ?",
    [chargeId],
  );
  return row?.refunded_at;
}

function refundEntries(f: PaymentFixture) {
  return f.db.all<{ amount: number; idempotency_key: string; balance_after: number }>(
    "SELECT amount, idempotency_key, balance_after FROM ledger_entries WHERE kind = 'refund'",
  );
}

Deno.test("/refund returns the Stars, takes the credits back, refunds the order and tells the user", async () => {
  const f = await paymentFixture();
  const orderId = await buy(f, "credits_100", "ch_1", "ru");
  await f.clock.advance(1_000);
  const outcome = await f.payments.refunds.refund("ch_1", { by: "admin", adminId: 9001 });
  assertEquals(outcome, {
    kind: "refunded",
    chargeId: "ch_1",
    userId: USER,
    price: 50,
    credits: 100,
  });
  assertEquals(f.api.of("refundStarPayment"), [[USER, "ch_1"]]);
  assertEquals(await f.payments.credits.balance(USER), 0);
  assertEquals(await refundEntries(f), [
    { amount: -100, idempotency_key: "refund:ch_1", balance_after: 0 },
  ]);
  assertEquals(await orderState(f, orderId), "refunded");
  assertEquals(await refundedAt(f, "ch_1"), START + 1_000);
  // The payer last wrote in Russian, so the notice is Russian though an admin triggered it.
  assertEquals(
    await outboxText(f.db, "refunded:ch_1"),
    "↩️ Ваш платёж 50 ⭐ за «100 credits» возвращён.\nПлатёж: ch_1",
  );
  assertEquals(f.kicks.count, 2, "one for the receipt, one for the refund notice");
  await f.db.close();
});

Deno.test("refunding twice reverses once and reports the second as already refunded", async () => {
  const f = await paymentFixture();
  await buy(f, "credits_100", "ch_1");
  await f.payments.refunds.refund("ch_1", { by: "admin" });
  const second = await f.payments.refunds.refund("ch_1", { by: "admin" });
  assertEquals(second, {
    kind: "already_refunded",
    chargeId: "ch_1",
    userId: USER,
    price: 50,
    credits: 100,
  });
  assertEquals(f.api.of("refundStarPayment").length, 1, "Telegram is not asked again");
  assertEquals((await refundEntries(f)).length, 1);
  assertEquals(await f.payments.credits.balance(USER), 0);
  assertEquals((await outboxRows(f.db)).filter((r) => r.id.startsWith("refunded:")).length, 1);
  await f.db.close();
});

Deno.test("CHARGE_ALREADY_REFUNDED from Telegram counts as a refund", async () => {
  const f = await paymentFixture();
  await buy(f, "credits_100", "ch_1");
  f.api.refundError = apiError("refundStarPayment", 400, "Bad Request: CHARGE_ALREADY_REFUNDED");
  const outcome = await f.payments.refunds.refund("ch_1", { by: "admin" });
  assertEquals(outcome.kind, "refunded");
  assertEquals(await f.payments.credits.balance(USER), 0);
  await f.db.close();
});

Deno.test("a refund this request made is reported as made, though the refund update applied it first", async () => {
  const f = await paymentFixture();
  await buy(f, "credits_100", "ch_1");
  // Telegram's refunded_payment update reaches the tenant, and is applied, before the refund
  // call's own answer does.
  const ask = f.api.refundStarPayment;
  f.api.refundStarPayment = async (userId, chargeId) => {
    const done = await ask(userId, chargeId);
    assertEquals((await f.payments.refunds.apply(chargeId, "telegram")).kind, "refunded");
    return done;
  };
  const outcome = await f.payments.refunds.refund("ch_1", { by: "admin" });
  assertEquals(outcome.kind, "refunded");
  assertEquals(f.api.of("refundStarPayment").length, 1);
  // Once done, asking again says so.
  assertEquals((await f.payments.refunds.refund("ch_1", { by: "admin" })).kind, "already_refunded");
  await f.db.close();
});

Deno.test("another API error fails the refund and changes nothing", async () => {
  const f = await paymentFixture();
  const orderId = await buy(f, "credits_100", "ch_1");
  f.api.refundError = apiError("refundStarPayment", 400, "Bad Request: CHARGE_NOT_FOUND");
  const outcome = await f.payments.refunds.refund("ch_1", { by: "admin" });
  assertEquals(outcome, {
    kind: "failed",
    chargeId: "ch_1",
    error: "Bad Request: CHARGE_NOT_FOUND",
  });
  assertEquals(await f.payments.credits.balance(USER), 100);
  assertEquals(await refundedAt(f, "ch_1"), null);
  assertEquals(await orderState(f, orderId), "paid");
  await f.db.close();
});

Deno.test("an unknown charge is reported, without asking Telegram", async () => {
  const f = await paymentFixture();
  assertEquals(await f.payments.refunds.refund("nope", { by: "admin" }), {
    kind: "unknown_charge",
    chargeId: "nope",
  });
  assertEquals(await f.payments.refunds.apply("nope", "telegram"), {
    kind: "unknown_charge",
    chargeId: "nope",
  });
  assertEquals(f.api.calls.filter((c) => c.method === "refundStarPayment"), []);
  await f.db.close();
});

Deno.test("a refunded_payment update applies the refund; a later /refund finds it done", async () => {
  const f = await paymentFixture();
  await buy(f, "credits_100", "ch_1");
  const applied = await f.payments.refunds.apply("ch_1", "telegram");
  assertEquals(applied.kind, "refunded");
  const again = await f.payments.refunds.apply("ch_1", "telegram");
  assertEquals(again.kind, "already_refunded");
  const byAdmin = await f.payments.refunds.refund("ch_1", { by: "admin" });
  assertEquals(byAdmin.kind, "already_refunded");
  assertEquals(f.api.of("refundStarPayment"), []);
  assertEquals((await refundEntries(f)).length, 1);
  await f.db.close();
});

Deno.test("credits already spent leave a negative balance after the refund", async () => {
  const f = await paymentFixture();
  await buy(f, "credits_100", "ch_1");
  await f.payments.credits.deduct(USER, 80, { reason: "images", idempotencyKey: "use:1" });
  await f.payments.refunds.refund("ch_1", { by: "admin" });
  assertEquals(await f.payments.credits.balance(USER), -80);
  await f.db.close();
});

Deno.test("an item refund refunds the order and tells the user, with no credits", async () => {
  const f = await paymentFixture();
  const orderId = await buy(f, "wallpapers", "ch_w");
  const outcome = await f.payments.refunds.refund("ch_w", { by: "admin" });
  assertEquals(outcome.kind === "refunded" && outcome.credits, 0);
  assertEquals(await refundEntries(f), []);
  assertEquals(await orderState(f, orderId), "refunded");
  assertEquals(
    await outboxText(f.db, "refunded:ch_w"),
    "↩️ Your payment of 25 ⭐ for “Wallpaper pack” was refunded.\nCharge: ch_w",
  );
  await f.db.close();
});

Deno.test("a double payment's refund, once the outbox sent it, only marks the payment", async () => {
  const f = await paymentFixture();
  const orderId = await buy(f, "credits_100", "ch_1");
  await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_2", amount: 50 }),
  );
  const item = await f.outbox.get(f.db, "refund:ch_2");
  await f.payments.onOutboxSent(item!);
  assertEquals(await refundedAt(f, "ch_2"), START);
  assertEquals(await refundedAt(f, "ch_1"), null);
  assertEquals(await f.payments.credits.balance(USER), 100, "the first payment's credits stay");
  assertEquals(await orderState(f, orderId), "paid");
  assertEquals((await outboxRows(f.db)).filter((r) => r.id.startsWith("refunded:")), []);
  // The sender may run the hook again after a crash: nothing more happens.
  await f.payments.onOutboxSent(item!);
  assertEquals(await refundEntries(f), []);
  await f.db.close();
});

Deno.test("the outbox hook ignores other calls and names a refund without a charge id", async () => {
  const f = await paymentFixture();
  await buy(f, "credits_100", "ch_1");
  const receipt = await f.outbox.get(f.db, "receipt:ch_1");
  await f.payments.onOutboxSent(receipt!);
  assertEquals(await refundedAt(f, "ch_1"), null);
  await assertRejects(
    () => f.payments.onOutboxSent({ id: "refund:x", method: "refundStarPayment", params: {} }),
    TypeError,
    "refund:x",
  );
  await f.db.close();
});

Deno.test("refunding subscription charges takes their credits back; the current one ends it", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "monthly");
  const charges = ["ch_s1", "ch_s2", "ch_s3"];
  for (const [i, chargeId] of charges.entries()) {
    await f.payments.receiver.receive(paymentMessage({
      payload: orderId,
      chargeId,
      amount: 150,
      recurring: { first: i === 0, expiresAt: START + (i + 1) * 30 * DAY },
    }));
  }
  assertEquals(await f.payments.credits.balance(USER), 900);
  const subscriptionRecords = new SubscriptionRecords("shop", f.clock);
  // An older period's refund takes its credits back and leaves the paid-up present alone.
  const middle = await f.payments.refunds.refund("ch_s2", { by: "admin" });
  assertEquals(middle.kind === "refunded" && middle.credits, 300);
  assertEquals(await f.payments.credits.balance(USER), 600);
  assertEquals((await subscriptionRecords.get(f.db, USER, "monthly"))?.state, "active");
  const outcome = await f.payments.refunds.refund("ch_s3", { by: "admin" });
  assertEquals(outcome, {
    kind: "refunded",
    chargeId: "ch_s3",
    userId: USER,
    price: 150,
    credits: 300,
  });
  assertEquals(await f.payments.credits.balance(USER), 300);
  assertEquals((await subscriptionRecords.get(f.db, USER, "monthly"))?.state, "refunded");
  const orders = new Orders("shop", f.clock);
  assertEquals((await orders.get(f.db, orderId))?.state, "paid", "the first charge paid it");
  const first = await f.payments.refunds.refund("ch_s1", { by: "admin" });
  assertEquals(first.kind === "refunded" && first.credits, 300);
  assertEquals((await orders.get(f.db, orderId))?.state, "refunded");
  assertEquals(await f.payments.credits.balance(USER), 0);
  await f.db.close();
});
