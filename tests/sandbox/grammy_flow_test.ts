import assert from "node:assert/strict";
import { Bot, webhookCallback } from "grammy";
import { Sandbox } from "../../sandbox/mod.ts";

/** A small shop bot written the way the project's bots are: grammY handlers only. */
function shopBot(token: string, apiRoot: string): Bot {
  const bot = new Bot(token, { client: { apiRoot } });
  bot.command("start", (ctx) =>
    ctx.reply("Welcome! Pick a pack:", {
      reply_markup: {
        inline_keyboard: [[{ text: "10 stickers — 5 ⭐", callback_data: "buy:10" }]],
      },
    }));
  bot.callbackQuery(/^buy:(\d+)$/, async (ctx) => {
    await ctx.answerCallbackQuery({ text: "Invoice sent" });
    await ctx.replyWithInvoice(
      "Sticker pack",
      `${ctx.match[1]} stickers`,
      `pack:${ctx.match[1]}`,
      "XTR",
      [
        { label: "Pack", amount: 5 },
      ],
    );
  });
  bot.on("pre_checkout_query", (ctx) => ctx.answerPreCheckoutQuery(true));
  bot.on(
    "message:successful_payment",
    (ctx) => ctx.reply(`Thanks! Paid ${ctx.message.successful_payment.total_amount} ⭐`),
  );
  return bot;
}

Deno.test("a grammY bot on long polling: start, click, invoice, pay, thank-you", async () => {
  await using sandbox = await Sandbox.start();
  const shop = sandbox.createBot({ username: "sticker_shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", stars: 20 });
  const bot = shopBot(shop.token, sandbox.apiRoot);
  const started = Promise.withResolvers<void>();
  const running = bot.start({ onStart: () => started.resolve() });
  try {
    await started.promise;
    await ann.send(shop, "/start");
    const menu = await ann.waitForMessage(shop);
    assert.deepEqual(await ann.click(shop, menu, "buy:10"), {
      answered: true,
      text: "Invoice sent",
      showAlert: undefined,
      url: undefined,
    });
    const invoice = await ann.waitForMessage(shop, (m) => m.invoice !== undefined);
    const outcome = await ann.pay(shop, invoice);
    assert.equal(outcome.status, "paid");
    assert.equal((await ann.waitForMessage(shop)).text, "Thanks! Paid 5 ⭐");
    assert.equal(ann.stars, 15);
    assert.equal(shop.starBalance, 5);
  } finally {
    await bot.stop();
    await running;
  }
});

Deno.test("the same grammY bot on a webhook with a secret token", async () => {
  await using sandbox = await Sandbox.start();
  const shop = sandbox.createBot({ username: "sticker_shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", stars: 20 });
  const bot = shopBot(shop.token, sandbox.apiRoot);
  const handle = webhookCallback(bot, "std/http", { secretToken: "hook_secret" });
  // The wrapper matters: Deno.serve calls a handler declared without parameters (grammY's
  // `(...args) =>`) without the request.
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => handle(request),
  );
  try {
    await bot.api.setWebhook(`http://127.0.0.1:${server.addr.port}/`, {
      secret_token: "hook_secret",
    });
    await ann.send(shop, "/start");
    const menu = await ann.waitForMessage(shop);
    await ann.click(shop, menu, "buy:10");
    const invoice = await ann.waitForMessage(shop, (m) => m.invoice !== undefined);
    assert.equal((await ann.pay(shop, invoice)).status, "paid");
    assert.equal((await ann.waitForMessage(shop)).text, "Thanks! Paid 5 ⭐");
    assert.equal((await bot.api.getWebhookInfo()).last_error_message, undefined);
  } finally {
    await server.shutdown();
  }
});
