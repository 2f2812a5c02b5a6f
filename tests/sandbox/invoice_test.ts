import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/mod.ts";
import { call } from "./api_helpers.ts";

const VALID = {
  title: "Starter pack",
  description: "Ten stickers",
  payload: "pack:10",
  currency: "XTR",
  prices: [{ label: "Pack", amount: 50 }],
};

async function setup() {
  const sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const testBot = sandbox.createBot({ testEnvironment: true });
  const ann = sandbox.createUser({ firstName: "Ann" });
  await ann.send(bot, "/start");
  const send = (params: Record<string, unknown>) =>
    call(sandbox.apiRoot, bot.token, "sendInvoice", { chat_id: ann.id, ...VALID, ...params });
  const link = (params: Record<string, unknown>, method = "createInvoiceLink", token = bot.token) =>
    call(sandbox.apiRoot, token, method, { ...VALID, ...params });
  return { sandbox, bot, testBot, ann, send, link };
}

async function description(pending: Promise<{ status: number; body: { description?: string } }>) {
  const { status, body } = await pending;
  assert.equal(status, 400);
  return body.description;
}

Deno.test("sendInvoice in Stars sends an invoice message the user sees", async () => {
  const { sandbox, bot, ann, send } = await setup();
  await using _ = sandbox;
  const { status, body } = await send({ provider_token: "" });
  assert.equal(status, 200);
  const [message] = ann.messages(bot);
  assert.deepEqual(body.result, message);
  assert.deepEqual(message.invoice, {
    title: "Starter pack",
    description: "Ten stickers",
    start_parameter: "",
    currency: "XTR",
    total_amount: 50,
  });
});

Deno.test("sendInvoice refuses other currencies and a provider token for Stars", async () => {
  const { sandbox, send } = await setup();
  await using _ = sandbox;
  assert.match(
    (await description(send({ currency: "USD" })))!,
    /^Bad Request: PAYMENT_PROVIDER_INVALID/,
  );
  assert.match(
    (await description(send({ provider_token: "123:TEST" })))!,
    /provider_token must be empty or absent for payments in Telegram Stars/,
  );
});

Deno.test("sendInvoice checks title, description and payload lengths", async () => {
  const { sandbox, send } = await setup();
  await using _ = sandbox;
  assert.equal(
    await description(send({ title: "x".repeat(33) })),
    "Bad Request: title must be 1-32 characters long, got 33",
  );
  assert.equal(
    await description(send({ description: "" })),
    "Bad Request: description must be 1-255 characters long, got 0",
  );
  assert.equal(
    await description(send({ payload: "я".repeat(65) })),
    "Bad Request: INVOICE_PAYLOAD_INVALID (payload must be 1-128 bytes, got 130)",
  );
});

Deno.test("a Stars invoice needs exactly one positive price and no tips", async () => {
  const { sandbox, send } = await setup();
  await using _ = sandbox;
  const two = [{ label: "A", amount: 10 }, { label: "B", amount: 5 }];
  assert.equal(
    await description(send({ prices: two })),
    "Bad Request: STARS_INVOICE_INVALID (payments in Telegram Stars must have exactly one price, got 2)",
  );
  assert.match(
    (await description(send({ prices: [{ label: "A", amount: 0 }] })))!,
    /^Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID/,
  );
  assert.equal(
    await description(send({ max_tip_amount: 5 })),
    "Bad Request: tips are not supported for payments in Telegram Stars",
  );
});

Deno.test("prices may arrive JSON-serialized in a form body", async () => {
  const { sandbox, bot, ann } = await setup();
  await using _ = sandbox;
  const form = new URLSearchParams({
    chat_id: String(ann.id),
    title: "Pack",
    description: "Stuff",
    payload: "p",
    currency: "XTR",
    prices: JSON.stringify([{ label: "Pack", amount: 7 }]),
  });
  const response = await fetch(`${sandbox.apiRoot}/bot${bot.token}/sendInvoice`, {
    method: "POST",
    body: form,
  });
  assert.equal(response.status, 200);
  assert.equal((await response.json()).result.invoice.total_amount, 7);
});

Deno.test("an invoice keyboard must start with a Pay button", async () => {
  const { sandbox, send } = await setup();
  await using _ = sandbox;
  const payFirst = {
    inline_keyboard: [[{ text: "Pay ⭐50", pay: true }], [{ text: "Help", url: "https://t.me/x" }]],
  };
  assert.equal((await send({ reply_markup: payFirst })).status, 200);
  const urlFirst = { inline_keyboard: [[{ text: "Help", url: "https://t.me/x" }]] };
  assert.equal(
    await description(send({ reply_markup: urlFirst })),
    "Bad Request: the first button of an invoice's inline keyboard must be a Pay button",
  );
});

Deno.test("createInvoiceLink returns a t.me link; subscriptions need a 30-day period", async () => {
  const { sandbox, testBot, link } = await setup();
  await using _ = sandbox;
  const plain = await link({});
  assert.match(plain.body.result as string, /^https:\/\/t\.me\/\$[A-Za-z0-9_-]+$/);
  assert.equal((await link({ subscription_period: 2_592_000 })).status, 200);
  assert.match(
    (await description(link({ subscription_period: 60 })))!,
    /^Bad Request: SUBSCRIPTION_PERIOD_INVALID \(subscription_period must be 2592000 seconds, got 60\)/,
  );
  const onTestEnvironment = await link(
    { subscription_period: 60 },
    "test/createInvoiceLink",
    testBot.token,
  );
  assert.equal(onTestEnvironment.status, 200, "60 s periods exist for test-environment bots");
  assert.match(
    (await description(
      link({ subscription_period: 2_592_000, prices: [{ label: "VIP", amount: 10_001 }] }),
    ))!,
    /^Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID/,
  );
});
