import { getLogger, reset } from "@logtape/logtape";
import { assertEquals } from "../../support/assert.ts";
import { createPaymentServices } from "../../../money/payments/services.ts";
import { issue, paymentFixture, paymentMessage, START, USER } from "./payment_fixture.ts";
import { captureLogs, renderedLogs } from "../../support/log_capture.ts";

Deno.test("onMoneyMoved follows every committed Stars movement, and nothing else", async () => {
  const f = await paymentFixture();
  const movements: string[] = [];
  const payments = createPaymentServices({
    ...f.options,
    onMoneyMoved: (movement) =>
      movements.push(
        movement.kind === "payment"
          ? `payment ${movement.outcome.kind}`
          : movement.kind === "refund"
          ? `refund ${movement.chargeId} ${movement.credits}`
          : `refund_sent ${movement.chargeId}`,
      ),
  });
  const expect = (count: number, what: string) => assertEquals(movements.length, count, what);

  const credits = paymentMessage({
    payload: await issue(f, "credits_100"),
    chargeId: "ch_1",
    amount: 50,
  });
  await payments.receiver.receive(credits);
  expect(1, "a payment");
  await payments.receiver.receive(credits);
  expect(1, "the same payment again changes nothing");
  await payments.credits.deduct(USER, 10, { reason: "use", idempotencyKey: "use:1" });
  expect(1, "spending credits moves no Stars");

  const monthly = await issue(f, "monthly");
  for (const [chargeId, first] of [["ch_s1", true], ["ch_s2", false]] as const) {
    await payments.receiver.receive(paymentMessage({
      payload: monthly,
      chargeId,
      amount: 150,
      recurring: { first, expiresAt: START + (first ? 30 : 60) * 86_400_000 },
    }));
  }
  expect(3, "a subscription and its renewal");

  await payments.receiver.receive(
    paymentMessage({ payload: "nobody", chargeId: "ch_o", amount: 5 }),
  );
  expect(4, "an unmatched payment: the Stars arrived all the same");
  const double = { ...credits.successful_payment, telegram_payment_charge_id: "ch_dup" };
  await payments.receiver.receive({ ...credits, successful_payment: double });
  expect(5, "a double payment, before its refund");

  await payments.refunds.apply("ch_1", "telegram");
  expect(6, "a refund Telegram reported");
  await payments.refunds.apply("ch_1", "telegram");
  expect(6, "the same refund again");
  await payments.refunds.refund("ch_s2", { by: "admin", adminId: 9001 });
  expect(7, "an admin's refund");
  await payments.refunds.refund("ch_s2", { by: "admin", adminId: 9001 });
  expect(7, "the same refund asked again");

  await payments.onOutboxSent({ id: "receipt:ch_1", method: "sendMessage", params: {} });
  expect(7, "a message the outbox sent");
  await payments.onOutboxSent({
    id: "refund:ch_dup",
    method: "refundStarPayment",
    params: { user_id: USER, telegram_payment_charge_id: "ch_dup" },
  });
  expect(8, "the double payment's refund the outbox sent");

  const recovered = {
    kind: "payment" as const,
    id: "ch_lost",
    user: { id: USER, is_bot: false, first_name: "Ann" },
    amount: 50,
    date: START / 1_000,
    payload: await issue(f, "credits_100"),
  };
  await payments.receiver.recover(recovered);
  expect(9, "a payment recovered by reconciliation");
  await payments.receiver.recover(recovered);
  expect(9, "recovered again: already applied");
  assertEquals(movements, [
    "payment credited",
    "payment subscribed",
    "payment renewed",
    "payment unknown_order_recorded",
    "payment double_payment_refunding",
    "refund ch_1 100",
    "refund ch_s2 300",
    "refund_sent ch_dup",
    "payment credited",
  ]);
  await f.db.close();
});

Deno.test("every Stars movement carries its amount, each refund counted once", async () => {
  const f = await paymentFixture();
  const stars = { received: 0, refunded: 0 };
  const payments = createPaymentServices({
    ...f.options,
    onMoneyMoved: (movement) => {
      if (movement.kind === "payment") stars.received += movement.stars;
      else stars.refunded += movement.stars ?? 0;
    },
  });
  const credits = paymentMessage({
    payload: await issue(f, "credits_100"),
    chargeId: "ch_1",
    amount: 50,
  });
  await payments.receiver.receive(credits);
  await payments.receiver.receive(credits);
  await payments.receiver.receive(
    paymentMessage({ payload: "nobody", chargeId: "ch_o", amount: 5 }),
  );
  const double = { ...credits.successful_payment, telegram_payment_charge_id: "ch_dup" };
  await payments.receiver.receive({ ...credits, successful_payment: double });
  assertEquals(stars, { received: 105, refunded: 0 });

  await payments.refunds.apply("ch_1", "telegram");
  await payments.refunds.apply("ch_1", "telegram");
  const dupRefund = {
    id: "refund:ch_dup",
    method: "refundStarPayment" as const,
    params: { user_id: USER, telegram_payment_charge_id: "ch_dup" },
  };
  await payments.onOutboxSent(dupRefund);
  await payments.onOutboxSent(dupRefund); // sent again after a crash: counted once
  assertEquals(stars, { received: 105, refunded: 100 });
  await f.db.close();
});

Deno.test("a failing onMoneyMoved is logged and the payment stands", async () => {
  const f = await paymentFixture();
  const records = await captureLogs(["test-money-moved"]);
  const payments = createPaymentServices({
    ...f.options,
    logger: getLogger(["test-money-moved"]),
    onMoneyMoved: () => {
      throw new Error("balance actor gone");
    },
  });
  const orderId = await issue(f, "credits_100");
  const outcome = await payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_1", amount: 50 }),
  );
  assertEquals(outcome.kind, "credited");
  assertEquals(await payments.credits.balance(USER), 100);
  assertEquals(renderedLogs(records), [
    "error: Reporting a Stars movement failed: Error: balance actor gone",
  ]);
  await reset();
  await f.db.close();
});
