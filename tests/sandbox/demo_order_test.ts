/**
 * Item 9 of issue 11: the demo's transcript is in the order things happened — a reply is
 * printed before the user's next step, an invoice before it is paid, a receipt before what
 * follows.
 */
import assert from "node:assert/strict";
import { Api } from "grammy";
import type { Message } from "grammy/types";
import { Sandbox } from "../../sandbox/mod.ts";
import { ConversationPrinter } from "../../sandbox/demo/conversation.ts";
import { DemoScript } from "../../sandbox/demo/script.ts";

Deno.test("the demo script prints replies, invoices and receipts before the next step", async () => {
  const lines: string[] = [];
  const print = new ConversationPrinter((line) => lines.push(line));
  await using sandbox = await Sandbox.start({
    // A call is reported only once it has returned, after its message reached the user; a
    // report that lags (as under load) must still be printed before the user's next step.
    onCall: (bot, call) => setTimeout(() => print.botCall(bot, call), 30),
    onCallStart: (bot, method) => print.callStarted(bot, method),
  });
  const bot = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", stars: 100 });
  print.meet(ann);
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  let running = true;
  const serving = (async () => {
    let offset = 0;
    while (running) {
      const updates = await api.getUpdates({ offset, timeout: 1 });
      for (const update of updates) {
        offset = update.update_id + 1;
        const text = update.message?.text;
        if (text === "/start") await api.sendMessage(ann.id, "Hello, Ann");
        if (text === "/buy") {
          await api.sendInvoice(ann.id, "Pack", "10 items", "pack", "XTR", [
            { label: "Pack", amount: 40 },
          ]);
        }
        if (update.pre_checkout_query) {
          await api.answerPreCheckoutQuery(update.pre_checkout_query.id, true);
        }
        if (update.message?.successful_payment) await api.sendMessage(ann.id, "Thank you!");
      }
    }
  })();

  const script = new DemoScript(print, 5_000);
  const hasText = (part: string) => (m: Message) => m.text?.includes(part) ?? false;
  await script.say(ann, bot, "/start", hasText("Hello"));
  const invoice = await script.say(ann, bot, "/buy", (m) => m.invoice !== undefined);
  const receipt = script.next(ann, bot, hasText("Thank you"));
  await script.pay(ann, bot, invoice);
  await receipt;
  await script.say(ann, bot, "/start", hasText("Hello"));
  running = false;
  await serving;

  const shown = lines.filter((line) => !line.includes("wallet:"));
  assert.deepEqual(shown, [
    "👤 Ann → @shop_bot: /start",
    "🤖 @shop_bot → Ann: Hello, Ann",
    "👤 Ann → @shop_bot: /buy",
    "🤖 @shop_bot → Ann: 🧾 invoice “Pack”, 40 ⭐",
    "👤 Ann → @shop_bot: pays with Telegram Stars",
    "🤖 @shop_bot: ✔ pre-checkout approved",
    "🤖 @shop_bot → Ann: Thank you!",
    "👤 Ann → @shop_bot: /start",
    "🤖 @shop_bot → Ann: Hello, Ann",
  ]);
});
