import { BotError, Composer, type Context } from "grammy";
import { assertEquals, assertRejects } from "../../../support/assert.ts";
import { startHarness } from "./harness.ts";

const UNKNOWN = { answered: true, text: "This button is no longer valid." };

Deno.test("malformed stars: data is answered as unknown and changes nothing", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  const garbage = [
    "stars:nope",
    "stars:history:0",
    "stars:history:-1",
    "stars:buy:",
    "stars:buy:a:b",
    "stars:sub:pause:monthly",
    "stars:balance:extra",
    "stars:",
  ];
  for (const data of garbage) {
    const message = await h.buttonMessage(ann, data);
    const sent = ann.messages(h.account).length;
    assertEquals(await h.click(ann, message, data), UNKNOWN, data);
    assertEquals(ann.messages(h.account).length, sent, `${data} sent nothing`);
  }
  assertEquals(h.account.callsTo("sendInvoice").length, 0);
  assertEquals(h.account.callsTo("answerCallbackQuery").length, garbage.length);
});

Deno.test("the unknown-button answer is in the user's language", async () => {
  await using h = await startHarness();
  const olga = h.user({ firstName: "Ольга", languageCode: "ru" });
  const message = await h.buttonMessage(olga, "stars:nope");
  assertEquals(await h.click(olga, message, "stars:nope"), {
    answered: true,
    text: "Эта кнопка больше не действует.",
  });
});

Deno.test("a buy button for a removed product is stale; for a disabled one it says why", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  const removed = await h.buttonMessage(ann, "stars:buy:gone_product");
  assertEquals(await h.click(ann, removed, "stars:buy:gone_product"), UNKNOWN);
  const disabled = await h.buttonMessage(ann, "stars:buy:retired");
  assertEquals(await h.click(ann, disabled, "stars:buy:retired"), {
    answered: true,
    text: "“Old pack” is not on sale right now.",
  });
  assertEquals(h.account.callsTo("sendInvoice").length, 0);
  assertEquals((await h.payments.checkout.pendingOrder(ann.id)).kind, "none");
});

Deno.test("other callback data goes to the plugin, and what it leaves is answered as unknown", async () => {
  const plugin = new Composer<Context>();
  plugin.callbackQuery("plugin:ping", (ctx) => ctx.answerCallbackQuery({ text: "pong" }));
  await using h = await startHarness({ plugin });
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  const ping = await h.buttonMessage(ann, "plugin:ping");
  assertEquals(await h.click(ann, ping, "plugin:ping"), { answered: true, text: "pong" });
  const other = await h.buttonMessage(ann, "plugin:other");
  assertEquals(await h.click(ann, other, "plugin:other"), UNKNOWN);
  assertEquals(h.account.callsTo("answerCallbackQuery").length, 2);
});

Deno.test("every menu button is answered exactly once", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  await ann.send(h.account, "/stars");
  await h.pump();
  const menu = ann.lastMessage(h.account)!;
  const buttons = menu.reply_markup!.inline_keyboard.flat().flatMap((button) =>
    "callback_data" in button ? [button.callback_data] : []
  );
  assertEquals(buttons, [
    "stars:balance",
    "stars:products",
    "stars:history:1",
    "stars:subs",
    "stars:check",
  ]);
  for (const data of buttons) assertEquals(await h.click(ann, menu, data), { answered: true });
  const answers = h.account.callsTo("answerCallbackQuery");
  assertEquals(answers.length, buttons.length);
  assertEquals(answers.every((call) => call.ok), true);
});

Deno.test("a button whose action fails is still answered, and the error propagates", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  await ann.send(h.account, "/stars");
  await h.pump();
  const menu = ann.lastMessage(h.account)!;
  h.sandbox.failNext(h.account.token, "sendMessage", {
    error_code: 500,
    description: "Internal Server Error",
  });
  const clicked = ann.click(h.account, menu, "stars:balance");
  const error = await assertRejects(() => h.pump(), BotError);
  assertEquals((error as BotError).ctx.callbackQuery?.data, "stars:balance");
  assertEquals((await clicked).answered, true);
  assertEquals(h.account.callsTo("answerCallbackQuery").length, 1);
});

Deno.test("an answer text longer than Telegram's 200 characters is clipped, not refused", async () => {
  const long = "Stale. ".repeat(50);
  await using h = await startHarness({ tenant: { texts: { en: { "callback.unknown": long } } } });
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  const message = await h.buttonMessage(ann, "stars:nope");
  assertEquals(await h.click(ann, message, "stars:nope"), {
    answered: true,
    text: `${long.slice(0, 199)}…`,
  });
});
