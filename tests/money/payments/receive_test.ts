import { assertEquals, assertRejects, assertStringIncludes } from "../../support/assert.ts";
import {
  ADMINS,
  DAY,
  issue,
  OTHER_USER,
  outboxRows,
  outboxText,
  paymentFixture,
  paymentMessage,
  shopTenant,
  START,
  subscribe,
  USER,
} from "./payment_fixture.ts";
import { Orders } from "../../../money/stores/orders.ts";
import { SubscriptionRecords } from "../../../money/stores/subscription_records.ts";
import type { Database } from "../../../money/ports.ts";

function ledgerRows(db: Database) {
  return db.all<{ user_id: number; kind: string; amount: number; idempotency_key: string }>(
    "SELECT user_id, kind, amount, idempotency_key FROM ledger_entries ORDER BY user_id, seq",
  );
}

function paymentRows(db: Database) {
  return db.all<{ charge_id: string; order_id: string | null; kind: string; amount: number }>(
    "SELECT charge_id, order_id, kind, amount FROM payments ORDER BY paid_at, charge_id",
  );
}

Deno.test("a credits payment pays the order, deposits the credits and queues a receipt", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "credits_100");
  const outcome = await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_1", amount: 50, languageCode: "en" }),
  );
  assertEquals(outcome, {
    kind: "credited",
    chargeId: "ch_1",
    userId: USER,
    orderId,
    productId: "credits_100",
    credits: 100,
    balance: 100,
  });
  assertEquals(await f.payments.credits.balance(USER), 100);
  assertEquals(await ledgerRows(f.db), [
    { user_id: USER, kind: "deposit", amount: 100, idempotency_key: "payment:ch_1" },
  ]);
  const order = await new Orders("shop", f.clock).get(f.db, orderId);
  assertEquals([order?.state, order?.chargeId], ["paid", "ch_1"]);
  assertEquals(await paymentRows(f.db), [
    { charge_id: "ch_1", order_id: orderId, kind: "credits", amount: 50 },
  ]);
  assertEquals(await outboxRows(f.db), [{
    id: "receipt:ch_1",
    method: "sendMessage",
    params: {
      chat_id: USER,
      text: "✅ Payment received: 50 ⭐ for “100 credits”. 100 credits added; your balance is " +
        "100.\nReceipt: ch_1",
    },
  }]);
  assertEquals(f.kicks.count, 1);
  await f.db.close();
});

Deno.test("the same successful_payment applied twice credits once and sends one receipt", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "credits_100");
  const message = paymentMessage({ payload: orderId, chargeId: "ch_1", amount: 50 });
  await f.payments.receiver.receive(message);
  const again = await f.payments.receiver.receive(message);
  assertEquals(again, { kind: "already_applied", chargeId: "ch_1" });
  assertEquals((await ledgerRows(f.db)).length, 1);
  assertEquals(await f.payments.credits.balance(USER), 100);
  assertEquals((await outboxRows(f.db)).map((r) => r.id), ["receipt:ch_1"]);
  assertEquals((await paymentRows(f.db)).length, 1);
  assertEquals(f.kicks.count, 1, "nothing new to send, so no kick");
  await f.db.close();
});

Deno.test("the receipt speaks the payer's language", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "credits_100");
  await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_1", amount: 50, languageCode: "ru-RU" }),
  );
  assertEquals(
    await outboxText(f.db, "receipt:ch_1"),
    "✅ Оплата получена: 50 ⭐ за «100 credits». Начислено: 100 кредитов; ваш баланс: 100.\n" +
      "Чек: ch_1",
  );
  await f.db.close();
});

Deno.test("an item payment queues the receipt and the item's content", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "wallpapers");
  const outcome = await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_7", amount: 25 }),
  );
  assertEquals(outcome, {
    kind: "delivered",
    chargeId: "ch_7",
    userId: USER,
    orderId,
    productId: "wallpapers",
  });
  assertEquals(await outboxRows(f.db), [
    {
      id: "content:ch_7",
      method: "sendMessage",
      params: { chat_id: USER, text: "Your wallpapers: https://example.com/w/1" },
    },
    {
      id: "receipt:ch_7",
      method: "sendMessage",
      params: {
        chat_id: USER,
        text: "✅ Payment received: 25 ⭐ for “Wallpaper pack”.\nReceipt: ch_7",
      },
    },
  ]);
  assertEquals(await ledgerRows(f.db), []);
  assertEquals((await new Orders("shop", f.clock).get(f.db, orderId))?.state, "paid");
  await f.db.close();
});

Deno.test("a payment for an order never approved, or already expired, is honoured", async () => {
  const f = await paymentFixture();
  const issuedOnly = await issue(f, "credits_100");
  const late = await issue(f, "credits_100");
  await f.clock.advance(600_000);
  assertEquals((await f.payments.expireDue()).orders, 2);
  const first = await f.payments.receiver.receive(
    paymentMessage({ payload: issuedOnly, chargeId: "ch_1", amount: 50 }),
  );
  const second = await f.payments.receiver.receive(
    paymentMessage({ payload: late, chargeId: "ch_2", amount: 50 }),
  );
  assertEquals([first.kind, second.kind], ["credited", "credited"]);
  assertEquals(await f.payments.credits.balance(USER), 200);
  await f.db.close();
});

Deno.test("a second payment for a paid order is refunded, not credited", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "credits_100");
  await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_1", amount: 50 }),
  );
  const outcome = await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_2", amount: 50, languageCode: "en" }),
  );
  assertEquals(outcome, {
    kind: "double_payment_refunding",
    chargeId: "ch_2",
    userId: USER,
    orderId,
  });
  assertEquals(await f.payments.credits.balance(USER), 100);
  assertEquals((await ledgerRows(f.db)).length, 1);
  assertEquals(await paymentRows(f.db), [
    { charge_id: "ch_1", order_id: orderId, kind: "credits", amount: 50 },
    { charge_id: "ch_2", order_id: orderId, kind: "duplicate", amount: 50 },
  ]);
  const rows = await outboxRows(f.db);
  assertEquals(rows.map((r) => r.id), ["double:ch_2", "receipt:ch_1", "refund:ch_2"]);
  assertEquals(rows[2], {
    id: "refund:ch_2",
    method: "refundStarPayment",
    params: { user_id: USER, telegram_payment_charge_id: "ch_2" },
  });
  assertEquals(
    rows[0].params.text,
    "This order was already paid, so your second payment of 50 ⭐ is being refunded.\n" +
      "Charge: ch_2",
  );
  assertEquals(f.kicks.count, 2);
  // The duplicate applied again changes nothing.
  const again = await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_2", amount: 50 }),
  );
  assertEquals(again.kind, "already_applied");
  assertEquals((await outboxRows(f.db)).length, 3);
  await f.db.close();
});

Deno.test("a forged payload is recorded as an orphan, credits nothing and tells the admins", async () => {
  const f = await paymentFixture();
  const outcome = await f.payments.receiver.receive(
    paymentMessage({ payload: "forged", chargeId: "ch_9", amount: 50 }),
  );
  assertEquals(outcome, {
    kind: "unknown_order_recorded",
    chargeId: "ch_9",
    userId: USER,
    reason: "unknown_order",
  });
  assertEquals(await ledgerRows(f.db), []);
  assertEquals(await paymentRows(f.db), [
    { charge_id: "ch_9", order_id: null, kind: "orphan", amount: 50 },
  ]);
  const rows = await outboxRows(f.db);
  assertEquals(rows.map((r) => [r.id, r.params.chat_id]), [
    [`orphan:ch_9:${ADMINS[0]}`, ADMINS[0]],
    [`orphan:ch_9:${ADMINS[1]}`, ADMINS[1]],
  ]);
  const text = String(rows[0].params.text);
  for (const part of ["50 ⭐", `user ${USER}`, "charge ch_9", '"forged"', "/refund ch_9"]) {
    assertStringIncludes(text, part);
  }
  // The notice has a Refund button, so the admin need not type the charge id.
  assertEquals(rows[0].params.reply_markup, {
    inline_keyboard: [[{ text: "↩️ Refund 50 ⭐", callback_data: "stars:rf:ask:ch_9" }]],
  });
  await f.db.close();
});

Deno.test("a payment by someone other than the order's user is an orphan", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "credits_100");
  const outcome = await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_3", amount: 50, userId: OTHER_USER }),
  );
  assertEquals(outcome, {
    kind: "unknown_order_recorded",
    chargeId: "ch_3",
    userId: OTHER_USER,
    reason: "foreign_payer",
  });
  assertEquals(await f.payments.credits.balance(OTHER_USER), 0);
  assertEquals(await f.payments.credits.balance(USER), 0);
  assertEquals((await new Orders("shop", f.clock).get(f.db, orderId))?.state, "issued");
  assertStringIncludes(
    (await outboxText(f.db, `orphan:ch_3:${ADMINS[0]}`))!,
    `belongs to user ${USER}`,
  );
  await f.db.close();
});

Deno.test("a payment for a product removed from the config is an orphan", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "credits_100");
  f.tenant.products.splice(f.tenant.products.findIndex((p) => p.id === "credits_100"), 1);
  const outcome = await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_4", amount: 50 }),
  );
  assertEquals(outcome.kind === "unknown_order_recorded" && outcome.reason, "unknown_product");
  assertEquals(await ledgerRows(f.db), []);
  assertEquals(await paymentRows(f.db), [
    { charge_id: "ch_4", order_id: orderId, kind: "orphan", amount: 50 },
  ]);
  await f.db.close();
});

Deno.test("a subscription's first payment and two renewals extend it and credit each period", async () => {
  const f = await paymentFixture();
  const ends = [START + 30 * DAY, START + 60 * DAY, START + 90 * DAY];
  const { orderId, outcome: first } = await subscribe(f, "monthly", "ch_s1", ends[0]);
  assertEquals(first, {
    kind: "subscribed",
    chargeId: "ch_s1",
    userId: USER,
    orderId,
    productId: "monthly",
    expiresAt: ends[0],
    credits: 300,
  });
  assertEquals(
    await outboxText(f.db, "receipt:ch_s1"),
    "✅ Subscription “Monthly membership” is active until 2025-01-31 00:00 UTC.\nReceipt: ch_s1",
  );
  for (const [i, chargeId] of ["ch_s2", "ch_s3"].entries()) {
    await f.clock.advance(30 * DAY);
    const renewal = await f.payments.receiver.receive(paymentMessage({
      payload: orderId,
      chargeId,
      amount: 150,
      languageCode: "ru",
      recurring: { first: false, expiresAt: ends[i + 1] },
    }));
    assertEquals(renewal, {
      kind: "renewed",
      chargeId,
      userId: USER,
      orderId,
      productId: "monthly",
      expiresAt: ends[i + 1],
      credits: 300,
    });
  }
  assertEquals(
    await outboxText(f.db, "receipt:ch_s3"),
    "🔁 Подписка «Monthly membership» продлена до 2025-04-01 00:00 UTC.\nЧек: ch_s3",
  );
  assertEquals(await f.payments.credits.balance(USER), 900);
  const subscription = await new SubscriptionRecords("shop", f.clock).get(f.db, USER, "monthly");
  assertEquals(
    [subscription?.state, subscription?.firstChargeId, subscription?.lastChargeId],
    ["active", "ch_s1", "ch_s3"],
  );
  assertEquals(subscription?.expiresAt, ends[2]);
  assertEquals((await paymentRows(f.db)).map((r) => r.kind), [
    "subscription",
    "renewal",
    "renewal",
  ]);
  await f.db.close();
});

Deno.test("a subscription without credits grants access only", async () => {
  const f = await paymentFixture();
  const { outcome } = await subscribe(f, "club", "ch_c1");
  assertEquals(outcome.kind === "subscribed" && outcome.credits, 0);
  assertEquals(await ledgerRows(f.db), []);
  await f.db.close();
});

Deno.test("without an expiration date a subscription runs one configured period", async () => {
  const f = await paymentFixture(
    shopTenant({ testEnvironment: true, stars: { subscriptionPeriod: 300 } }),
  );
  const orderId = await issue(f, "club");
  await f.clock.advance(1_000);
  const outcome = await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_c1", amount: 30 }),
  );
  assertEquals(outcome.kind === "subscribed" && outcome.expiresAt, START + 1_000 + 300_000);
  await f.db.close();
});

Deno.test("a first recurring payment on a paid link starts a new subscription", async () => {
  const f = await paymentFixture();
  const { orderId } = await subscribe(f, "club", "ch_old");
  await f.clock.advance(40 * DAY);
  await f.payments.expireDue();
  const outcome = await f.payments.receiver.receive(paymentMessage({
    payload: orderId,
    chargeId: "ch_new",
    amount: 30,
    recurring: { first: true, expiresAt: START + 70 * DAY },
  }));
  assertEquals(outcome.kind, "subscribed");
  const subscription = await new SubscriptionRecords("shop", f.clock).get(f.db, USER, "club");
  assertEquals([subscription?.state, subscription?.firstChargeId], ["active", "ch_new"]);
  await f.db.close();
});

Deno.test("a non-recurring second payment for a subscription order is a double payment", async () => {
  const f = await paymentFixture();
  const { orderId } = await subscribe(f, "club", "ch_1");
  const outcome = await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_2", amount: 30 }),
  );
  assertEquals(outcome.kind, "double_payment_refunding");
  await f.db.close();
});

Deno.test("a payment message without a sender is refused and changes nothing", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "credits_100");
  const message = paymentMessage({ payload: orderId, chargeId: "ch_1", amount: 50 });
  delete message.from;
  await assertRejects(() => f.payments.receiver.receive(message), TypeError, "ch_1");
  assertEquals(await paymentRows(f.db), []);
  await f.db.close();
});
