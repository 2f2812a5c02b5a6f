import { BotError } from "grammy";
import type { PreCheckoutQuery } from "grammy/types";
import { assertEquals, assertRejects, assertTrue } from "../../../support/assert.ts";
import { Checkout, type PreCheckoutAnswer } from "../../../../money/payments/checkout.ts";
import { createPaymentParts } from "../../../../money/payments/parts.ts";
import {
  type PaymentMessage,
  type PaymentOutcome,
  PaymentReceiver,
} from "../../../../money/payments/receive.ts";
import { createPaymentServices } from "../../../../money/payments/services.ts";
import type { SandboxUser } from "../../../../sandbox/mod.ts";
import { type Harness, startHarness } from "./harness.ts";
import { eachEngine } from "../../../support/engines.ts";

/** Opens the chat, then the bot sends `user` an invoice for `payload` (the bot's own API). */
async function invoiceWithPayload(h: Harness, user: SandboxUser, payload: string) {
  await user.send(h.account, "/start");
  await h.pump();
  return await h.bot.api.sendInvoice(
    user.id,
    "100 credits",
    "A pack of 100 credits.",
    payload,
    "XTR",
    [
      { label: "100 credits", amount: 50 },
    ],
    { provider_token: "" },
  );
}

/** `user` asks for the credits pack; returns its invoice message. */
async function requestCredits(h: Harness, user: SandboxUser) {
  await user.send(h.account, "/start buy_credits_100");
  await h.pump();
  return user.lastMessage(h.account)!;
}

eachEngine.test("a full purchase: pre-checkout approved, payment credited, receipt in the outbox", async ({ engine }) => {
  await using h = await startHarness({ engine });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 120 });
  const invoice = await requestCredits(h, ann);
  const outcome = await h.pay(ann, invoice);
  if (outcome.status !== "paid") throw new Error(`expected paid, got ${outcome.status}`);
  const [answer] = h.account.callsTo("answerPreCheckoutQuery");
  assertEquals(answer.params.ok, true);
  assertEquals(ann.stars, 70);
  assertEquals(h.account.starBalance, 50);
  assertEquals(await h.payments.credits.balance(ann.id), 100);
  const receipt = (await h.outbox()).find((row) => row.id === `receipt:${outcome.chargeId}`);
  assertEquals(receipt, {
    id: `receipt:${outcome.chargeId}`,
    method: "sendMessage",
    params: {
      chat_id: ann.id,
      text: "✅ Payment received: 50 ⭐ for “100 credits”. 100 credits added; your balance is " +
        `100.\nReceipt: ${outcome.chargeId}`,
    },
  });
});

eachEngine.test("the same successful_payment delivered twice is credited once", async ({ engine }) => {
  await using h = await startHarness({ engine });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 120 });
  const outcome = await h.pay(ann, await requestCredits(h, ann));
  if (outcome.status !== "paid" || outcome.updateId === undefined) throw new Error("not paid");
  h.sandbox.redeliver(h.account.token, outcome.updateId);
  await h.pump();
  assertEquals(await h.payments.credits.balance(ann.id), 100);
  assertEquals((await h.payments.credits.history(ann.id)).total, 1);
  const receipts = (await h.outbox()).filter((row) => row.id.startsWith("receipt:"));
  assertEquals(receipts.length, 1);
});

Deno.test("an item purchase queues its receipt and its content", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 30 });
  await ann.send(h.account, "/start buy_wallpapers");
  await h.pump();
  const outcome = await h.pay(ann, ann.lastMessage(h.account)!);
  if (outcome.status !== "paid") throw new Error(`expected paid, got ${outcome.status}`);
  const content = (await h.outbox()).find((row) => row.id === `content:${outcome.chargeId}`);
  assertEquals(content?.params.text, "Your wallpapers: https://example.com/w/1");
});

Deno.test("a forged payload is refused at pre-checkout, in the payer's language", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const olga = h.user({ firstName: "Ольга", languageCode: "ru", stars: 100 });
  assertEquals(await h.pay(ann, await invoiceWithPayload(h, ann, "forged-order-id")), {
    status: "rejected",
    errorMessage: "This invoice is not valid. Please request a new one.",
  });
  assertEquals(await h.pay(olga, await invoiceWithPayload(h, olga, "forged-order-id")), {
    status: "rejected",
    errorMessage: "Этот счёт недействителен. Запросите новый.",
  });
  assertEquals([ann.stars, olga.stars], [100, 100]);
  assertEquals(await h.payments.credits.balance(ann.id), 0);
  assertEquals(h.account.starBalance, 0);
});

Deno.test("an expired invoice is refused at pre-checkout", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const invoice = await requestCredits(h, ann);
  await h.clock.advance(h.config.stars.orderTtlSeconds * 1000 + 1);
  assertEquals(await h.pay(ann, invoice), {
    status: "rejected",
    errorMessage: "This invoice has expired. Please request a new one.",
  });
  assertEquals(ann.stars, 100);
});

Deno.test("another user's invoice payload is refused at pre-checkout", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const bob = h.user({ firstName: "Bob", languageCode: "en", stars: 100 });
  await requestCredits(h, ann);
  const [annInvoice] = h.account.callsTo("sendInvoice");
  const copy = await invoiceWithPayload(h, bob, String(annInvoice.params.payload));
  assertEquals(await h.pay(bob, copy), {
    status: "rejected",
    errorMessage: "This invoice was issued to someone else.",
  });
  assertEquals(bob.stars, 100);
});

/** A checkout whose checks fail, as with a broken database. */
class FailingCheckout extends Checkout {
  override preCheckout(_query: PreCheckoutQuery): Promise<PreCheckoutAnswer> {
    return Promise.reject(new Error("storage is down"));
  }
}

Deno.test("a pre-checkout whose check throws is still answered, and the error propagates", async () => {
  await using h = await startHarness({
    payments: (options) => ({
      ...createPaymentServices(options),
      checkout: new FailingCheckout(createPaymentParts(options)),
    }),
  });
  const olga = h.user({ firstName: "Ольга", languageCode: "ru", stars: 100 });
  const invoice = await requestCredits(h, olga);
  const paying = olga.pay(h.account, invoice);
  const error = await assertRejects(() => h.pump(), BotError);
  assertEquals((error as BotError).error, new Error("storage is down"));
  assertEquals(await paying, {
    status: "rejected",
    errorMessage: "Не удалось проверить платёж. Попробуйте ещё раз через минуту.",
  });
  assertEquals(h.account.callsTo("answerPreCheckoutQuery").length, 1);
});

Deno.test("an answer to pre-checkout that meets a 5xx is sent again, and the payment goes through", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 120 });
  const invoice = await requestCredits(h, ann);
  h.sandbox.failNext(h.account.token, "answerPreCheckoutQuery", {
    error_code: 502,
    description: "Bad Gateway",
  });
  const outcome = await h.pay(ann, invoice);
  assertEquals(outcome.status, "paid");
  assertEquals(h.account.callsTo("answerPreCheckoutQuery").map((c) => c.ok), [false, true]);
  assertEquals(await h.payments.credits.balance(ann.id), 100);
});

Deno.test("an answer to pre-checkout whose connection dropped is sent again", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 120 });
  const invoice = await requestCredits(h, ann);
  h.sandbox.dropNext(h.account.token, "answerPreCheckoutQuery");
  const outcome = await h.pay(ann, invoice);
  assertEquals(outcome.status, "paid");
  assertEquals(
    h.account.callsTo("answerPreCheckoutQuery").map((c) => c.fault ?? "answered"),
    ["drop", "answered"],
  );
});

Deno.test("an answer to pre-checkout that arrived but whose reply was lost is not an error", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 120 });
  const invoice = await requestCredits(h, ann);
  h.sandbox.loseAnswerNext(h.account.token, "answerPreCheckoutQuery");
  const outcome = await h.pay(ann, invoice); // the pump would throw if the handler failed
  assertEquals(outcome.status, "paid");
  // Asked again, Telegram says the query is answered already: that is the first answer's success.
  assertEquals(h.account.callsTo("answerPreCheckoutQuery").map((c) => c.ok), [true, false]);
  assertEquals(await h.payments.credits.balance(ann.id), 100);
});

Deno.test("answering pre-checkout gives up within Telegram's 10 s when every try fails", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 120 });
  const invoice = await requestCredits(h, ann);
  const start = h.clock.now();
  h.sandbox.failNext(h.account.token, "answerPreCheckoutQuery", {
    error_code: 500,
    description: "Internal Server Error",
  }, 100);
  const paying = ann.pay(h.account, invoice);
  const pumped = h.pump().then(() => undefined, (error) => error);
  let failure: unknown;
  pumped.then((error) => (failure = error));
  while (failure === undefined) await h.clock.advance(50);
  assertTrue(failure instanceof BotError, String(failure));
  const attempts = h.account.callsTo("answerPreCheckoutQuery");
  assertTrue(attempts.length > 5, `${attempts.length} attempts`);
  assertTrue(attempts.at(-1)!.at - start < 10_000, "the last try is inside the 10 s");
  await h.clock.advance(10_000);
  assertEquals((await paying).status, "timeout");
  assertEquals(ann.stars, 120);
});

/** A payment receiver that cannot apply payments, as with a broken database. */
class UnappliablePayments extends PaymentReceiver {
  override receive(_message: PaymentMessage): Promise<PaymentOutcome> {
    return Promise.reject(new Error("disk full"));
  }
}

Deno.test("a successful_payment that cannot be applied fails the update instead of vanishing", async () => {
  await using h = await startHarness({
    payments: (options) => ({
      ...createPaymentServices(options),
      receiver: new UnappliablePayments({ ...createPaymentParts(options), onApplied: () => {} }),
    }),
  });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const invoice = await requestCredits(h, ann);
  const paying = ann.pay(h.account, invoice);
  // The payment's update may come in the pump that answers the pre-checkout query, or after.
  const error = await assertRejects(async () => {
    await h.pump();
    await paying;
    await h.pump();
  }, BotError);
  assertEquals((error as BotError).error, new Error("disk full"));
  assertEquals((await paying).status, "paid");
  assertEquals(await h.payments.credits.balance(ann.id), 0);
  assertTrue((error as BotError).ctx.message?.successful_payment !== undefined);
});

eachEngine.test("a refund made on Telegram's side reverses the credits once", async ({ engine }) => {
  await using h = await startHarness({ engine });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const outcome = await h.pay(ann, await requestCredits(h, ann));
  if (outcome.status !== "paid") throw new Error(`expected paid, got ${outcome.status}`);
  ann.refundByTelegram(h.account, outcome.chargeId);
  await h.pump();
  assertEquals(await h.payments.credits.balance(ann.id), 0);
  assertEquals(ann.stars, 100);
  const notice = (await h.outbox()).find((row) => row.id === `refunded:${outcome.chargeId}`);
  assertEquals(
    notice?.params.text,
    `↩️ Your payment of 50 ⭐ for “100 credits” was refunded.\nCharge: ${outcome.chargeId}`,
  );
});
