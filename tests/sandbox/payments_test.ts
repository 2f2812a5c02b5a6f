import assert from "node:assert/strict";
import { Api, GrammyError } from "grammy";
import type { Message } from "grammy/types";
import { ManualClock } from "../../actors/kernel/clock.ts";
import { Sandbox, type SandboxOptions } from "../../sandbox/mod.ts";
import { UpdateReader } from "./api_helpers.ts";

const START = 1_700_000_000_000;

async function setup(options: SandboxOptions = {}) {
  const sandbox = await Sandbox.start(options);
  const bot = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", stars: 100 });
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  const reader = new UpdateReader(api);
  await ann.send(bot, "/start");
  await reader.next();
  const sendInvoice = (amount: number, payload = "pack:1"): Promise<Message> =>
    api.sendInvoice(ann.id, "Pack", "A pack", payload, "XTR", [{ label: "Pack", amount }]);
  return { sandbox, bot, ann, api, reader, sendInvoice };
}

Deno.test("paying: pre_checkout_query, ok answer, then successful_payment and money moves", async () => {
  const { sandbox, bot, ann, api, reader, sendInvoice } = await setup();
  await using _ = sandbox;
  const invoice = await sendInvoice(40, "pack:40");
  const paying = ann.pay(bot, invoice);

  const query = (await reader.next()).pre_checkout_query!;
  assert.deepEqual(
    { ...query, id: undefined },
    {
      id: undefined,
      from: ann.toUser(),
      currency: "XTR",
      total_amount: 40,
      invoice_payload: "pack:40",
    },
  );
  assert.equal(ann.stars, 100, "nothing is debited before the bot approves");
  await api.answerPreCheckoutQuery(query.id, true);

  const outcome = await paying;
  assert.equal(outcome.status, "paid");
  assert.ok(outcome.status === "paid");
  const payment = (await reader.next()).message?.successful_payment;
  assert.deepEqual(payment, {
    currency: "XTR",
    total_amount: 40,
    invoice_payload: "pack:40",
    telegram_payment_charge_id: outcome.chargeId,
    provider_payment_charge_id: "",
  });
  assert.equal(ann.stars, 60);
  assert.equal(bot.starBalance, 40);
  assert.deepEqual(await api.getMyStarBalance(), { amount: 40 });
  await assert.rejects(ann.pay(bot, invoice), /already paid/);
});

Deno.test("a rejected pre-checkout moves no money and leaves the invoice payable", async () => {
  const { sandbox, bot, ann, api, reader, sendInvoice } = await setup();
  await using _ = sandbox;
  const invoice = await sendInvoice(30);
  const paying = ann.pay(bot, invoice);
  const query = (await reader.next()).pre_checkout_query!;
  await api.answerPreCheckoutQuery(query.id, false, { error_message: "Sold out" });
  assert.deepEqual(await paying, { status: "rejected", errorMessage: "Sold out" });
  assert.equal(ann.stars, 100);
  assert.equal(bot.starBalance, 0);
  assert.deepEqual(await reader.pending(), [], "no successful_payment");

  const again = ann.pay(bot, invoice);
  await api.answerPreCheckoutQuery((await reader.next()).pre_checkout_query!.id, true);
  assert.equal((await again).status, "paid");
});

Deno.test("an answer after the pre-checkout deadline is too late: no payment, 400 for the bot", async () => {
  const clock = new ManualClock(START);
  const { sandbox, bot, ann, api, reader, sendInvoice } = await setup({ clock });
  await using _ = sandbox;
  const invoice = await sendInvoice(30);
  const paying = ann.pay(bot, invoice);
  const query = (await reader.next()).pre_checkout_query!;

  await sandbox.advance(9_999);
  await sandbox.advance(1);
  assert.deepEqual(await paying, { status: "timeout" });
  const late = await api.answerPreCheckoutQuery(query.id, true).catch((e) => e);
  assert.ok(late instanceof GrammyError);
  assert.equal(
    late.description,
    "Bad Request: query is too old and response timeout expired or query ID is invalid",
  );
  assert.equal(ann.stars, 100);
  assert.equal(bot.starBalance, 0);
});

Deno.test("the pre-checkout deadline is configurable", async () => {
  const { sandbox, bot, ann, reader, sendInvoice } = await setup({ preCheckoutTimeoutMs: 20 });
  await using _ = sandbox;
  const paying = ann.pay(bot, await sendInvoice(30));
  await reader.next();
  assert.deepEqual(await paying, { status: "timeout" });
});

Deno.test("a wallet that cannot cover the price stops the payment before the bot hears of it", async () => {
  const { sandbox, bot, ann, reader, sendInvoice } = await setup();
  await using _ = sandbox;
  const outcome = await ann.pay(bot, await sendInvoice(101));
  assert.deepEqual(outcome, { status: "insufficient_stars" });
  assert.deepEqual(await reader.pending(), []);
  ann.topUp(1);
  assert.equal(ann.stars, 101);
});

Deno.test("refunds credit the wallet, notify the bot, and cannot happen twice", async () => {
  const { sandbox, bot, ann, api, reader, sendInvoice } = await setup();
  await using _ = sandbox;
  const paying = ann.pay(bot, await sendInvoice(25, "pack:25"));
  await api.answerPreCheckoutQuery((await reader.next()).pre_checkout_query!.id, true);
  const outcome = await paying;
  assert.ok(outcome.status === "paid");
  await reader.next(); // successful_payment

  assert.equal(await api.refundStarPayment(ann.id, outcome.chargeId), true);
  assert.equal(ann.stars, 100);
  assert.equal(bot.starBalance, 0);
  assert.deepEqual((await reader.next()).message?.refunded_payment, {
    currency: "XTR",
    total_amount: 25,
    invoice_payload: "pack:25",
    telegram_payment_charge_id: outcome.chargeId,
  });
  const twice = await api.refundStarPayment(ann.id, outcome.chargeId).catch((e) => e);
  assert.equal(twice.description, "Bad Request: CHARGE_ALREADY_REFUNDED");
  const unknown = await api.refundStarPayment(ann.id, "stx-nope").catch((e) => e);
  assert.equal(unknown.description, "Bad Request: CHARGE_NOT_FOUND");
});

Deno.test("a refund by Telegram has the same effects as the bot's", async () => {
  const { sandbox, bot, ann, api, reader, sendInvoice } = await setup();
  await using _ = sandbox;
  const paying = ann.pay(bot, await sendInvoice(10));
  await api.answerPreCheckoutQuery((await reader.next()).pre_checkout_query!.id, true);
  const outcome = await paying;
  assert.ok(outcome.status === "paid");
  await reader.next();
  ann.refundByTelegram(bot, outcome.chargeId);
  assert.equal(ann.stars, 100);
  assert.equal((await reader.next()).message?.refunded_payment?.total_amount, 10);
  const botRefund = await api.refundStarPayment(ann.id, outcome.chargeId).catch((e) => e);
  assert.equal(botRefund.description, "Bad Request: CHARGE_ALREADY_REFUNDED");
});

Deno.test("getStarTransactions lists payments and refunds in order; the balance agrees", async () => {
  const clock = new ManualClock(START);
  const { sandbox, bot, ann, api, reader, sendInvoice } = await setup({ clock });
  await using _ = sandbox;
  const charges: string[] = [];
  for (const [amount, payload] of [[20, "a"], [30, "b"]] as const) {
    const paying = ann.pay(bot, await sendInvoice(amount, payload));
    await api.answerPreCheckoutQuery((await reader.next()).pre_checkout_query!.id, true);
    const outcome = await paying;
    assert.ok(outcome.status === "paid");
    charges.push(outcome.chargeId);
    await reader.next();
    await sandbox.advance(1_000);
  }
  await api.refundStarPayment(ann.id, charges[0]);

  const { transactions } = await api.getStarTransactions();
  const user = ann.toUser();
  const partner = (payload: string) => ({
    type: "user",
    transaction_type: "invoice_payment",
    user,
    invoice_payload: payload,
  });
  const second = START / 1000;
  assert.deepEqual(transactions, [
    { id: charges[0], amount: 20, date: second, source: partner("a") },
    { id: charges[1], amount: 30, date: second + 1, source: partner("b") },
    { id: charges[0], amount: 20, date: second + 2, receiver: partner("a") },
  ]);
  const incoming = transactions.filter((t) => t.source).reduce((sum, t) => sum + t.amount, 0);
  const outgoing = transactions.filter((t) => t.receiver).reduce((sum, t) => sum + t.amount, 0);
  assert.deepEqual(await api.getMyStarBalance(), { amount: incoming - outgoing });
  assert.equal(bot.starBalance, 30);

  const page = await api.getStarTransactions({ offset: 1, limit: 1 });
  assert.deepEqual(page.transactions.map((t) => t.amount), [30]);
});

Deno.test("dropNextSuccessfulPayment: the payment happens but its update never arrives", async () => {
  const { sandbox, bot, ann, api, reader, sendInvoice } = await setup();
  await using _ = sandbox;
  sandbox.dropNextSuccessfulPayment(bot.token);
  const paying = ann.pay(bot, await sendInvoice(15));
  await api.answerPreCheckoutQuery((await reader.next()).pre_checkout_query!.id, true);
  const outcome = await paying;
  assert.ok(outcome.status === "paid");
  assert.equal(outcome.updateId, undefined);
  assert.deepEqual(await reader.pending(), []);
  assert.equal(ann.stars, 85);
  const { transactions } = await api.getStarTransactions();
  assert.deepEqual(transactions.map((t) => t.id), [outcome.chargeId], "reconcilable");

  const next = ann.pay(bot, await sendInvoice(5));
  await api.answerPreCheckoutQuery((await reader.next()).pre_checkout_query!.id, true);
  await next;
  assert.ok((await reader.next()).message?.successful_payment, "only the next one is dropped");
});

Deno.test("redeliver sends the same payment again under a new update_id", async () => {
  const { sandbox, bot, ann, api, reader, sendInvoice } = await setup();
  await using _ = sandbox;
  const paying = ann.pay(bot, await sendInvoice(15));
  await api.answerPreCheckoutQuery((await reader.next()).pre_checkout_query!.id, true);
  const outcome = await paying;
  assert.ok(outcome.status === "paid" && outcome.updateId !== undefined);
  const original = await reader.next();
  const copy = sandbox.redeliver(bot.token, outcome.updateId);
  const duplicate = await reader.next();
  assert.equal(duplicate.update_id, copy.update_id);
  assert.notEqual(duplicate.update_id, original.update_id);
  assert.deepEqual(duplicate.message, original.message);
  assert.equal(ann.stars, 85, "a duplicate delivery is not a second payment");
});

Deno.test("an invoice link can be paid by any user", async () => {
  const { sandbox, bot, api, reader } = await setup();
  await using _ = sandbox;
  const bob = sandbox.createUser({ firstName: "Bob", stars: 10 });
  const link = await api.createInvoiceLink("Tip", "Say thanks", "tip", "", "XTR", [
    { label: "Tip", amount: 3 },
  ]);
  const paying = bob.pay(bot, link);
  await api.answerPreCheckoutQuery((await reader.next()).pre_checkout_query!.id, true);
  assert.equal((await paying).status, "paid");
  const update = await reader.next();
  assert.equal(update.message?.chat.id, bob.id);
  assert.equal(bob.stars, 7);
  await assert.rejects(bob.pay(bot, "https://t.me/$unknown"), /not an invoice link/);
});
