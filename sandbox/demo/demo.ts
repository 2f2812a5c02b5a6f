/**
 * `deno task demo`: Constellation hosting two bots against the local Telegram sandbox, with
 * scripted customers, printing the conversation as it happens.
 *
 * - `@constellation_shop_bot` (English) sells a credits pack, an item and a subscription;
 * - `@oracle_bot` (Russian) is a plugin bot that charges 3 credits per answer.
 *
 * Ann buys credits, an item (and taps pay twice, so the second payment is refunded), and a
 * subscription; Boris asks the oracle, runs low, tops up; the admin refunds one of Ann's payments.
 * Nothing leaves this machine: the sandbox listens on 127.0.0.1 only.
 *
 * @example
 * ```sh
 * deno task demo
 * ```
 * @module
 */
import "../../adapters/observability/node_warnings.ts";
import type { Message } from "grammy/types";
import { Sandbox } from "../mod.ts";
import { ConversationPrinter } from "./conversation.ts";
import { DemoScript } from "./script.ts";
import { Runtime } from "../../actors/runtime/runtime.ts";
import { openDatabase } from "../../adapters/storage/open_database.ts";
import { configureLogging, flushLogs } from "../../adapters/observability/logging.ts";
import { secrets } from "../../adapters/observability/redact.ts";
import { encodeCallback } from "../../adapters/telegram/callback_data.ts";
import { formatProblem, loadTenants } from "../../config/load_tenants.ts";

const configDir = new URL("./config/", import.meta.url).pathname;
const print = new ConversationPrinter((line) => console.log(line));

// Warnings and errors only: the conversation is the show. LOG_LEVEL=info shows the runtime too.
const level = Deno.env.get("LOG_LEVEL") === "info" ? "info" : "warning";
await configureLogging({ level, format: "text" });

const sandbox = await Sandbox.start({
  onCall: (bot, call) => print.botCall(bot, call),
  onCallStart: (bot, method) => print.callStarted(bot, method),
});
const shopBot = sandbox.createBot({ username: "constellation_shop_bot", testEnvironment: true });
const oracleBot = sandbox.createBot({ username: "oracle_bot", testEnvironment: true });
const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 200 });
const boris = sandbox.createUser({ firstName: "Борис", languageCode: "ru", stars: 100 });
const olga = sandbox.createUser({ id: 1001, firstName: "Olga (admin)", languageCode: "en" });
for (const user of [ann, boris, olga]) print.meet(user);

const tokens: Record<string, string> = {
  DEMO_SHOP_TOKEN: shopBot.token,
  DEMO_ORACLE_TOKEN: oracleBot.token,
};
const loaded = await loadTenants(configDir, (name) => tokens[name]);
if (loaded.problems.length > 0) {
  throw new Error(loaded.problems.map(formatProblem).join("\n"));
}
// The demo's tenant files name no API root; here every bot talks to the sandbox.
const tenants = loaded.tenants.map((tenant) => ({ ...tenant, apiRoot: sandbox.apiRoot }));
const db = await openDatabase("sqlite::memory:");
const runtime = await Runtime.start({ tenants, db, pollTimeoutSeconds: 1, redactor: secrets });

const script = new DemoScript(print);
const next = script.next.bind(script);
const say = script.say.bind(script);
const click = script.click.bind(script);
const pay = script.pay.bind(script);
const hasText = (part: string) => (m: Message) => m.text?.includes(part) ?? false;
const isInvoice = (m: Message) => m.invoice !== undefined;

try {
  await play();
} catch (error) {
  // Waits still pending would fail as the sandbox closes; the first error is the story.
  console.error(`\ndemo failed: ${error instanceof Error ? error.stack : error}`);
  await flushLogs();
  Deno.exit(1);
} finally {
  await runtime.stop();
  await db.close();
  await sandbox.close();
  await flushLogs();
}

async function play(): Promise<void> {
  print.scene("Ann meets the shop");
  await say(ann, shopBot, "/start", hasText("Hello, Ann"));
  const menu = await say(ann, shopBot, "/stars", hasText("Stars menu"));

  print.scene("Ann buys 100 credits from the menu");
  const products = next(ann, shopBot, hasText("What would you like to buy"));
  await click(ann, shopBot, menu, encodeCallback({ kind: "products" }));
  const list = await products;
  const creditsInvoice = next(ann, shopBot, isInvoice);
  await click(ann, shopBot, list, encodeCallback({ kind: "buy", productId: "credits_100" }));
  const creditsReceipt = next(ann, shopBot, hasText("100 credits added"));
  const creditsCharge = await pay(ann, shopBot, await creditsInvoice);
  await creditsReceipt;

  print.scene("Ann buys wallpapers through a deep link — and double-taps pay");
  const wallpapers = await say(ann, shopBot, "/start buy_wallpapers", isInvoice);
  const content = next(ann, shopBot, hasText("Your wallpapers"));
  const refundNotice = next(ann, shopBot, hasText("already paid"));
  // Two payments of one invoice in flight at once: both pass pre-checkout, Telegram takes both.
  await Promise.all([pay(ann, shopBot, wallpapers), pay(ann, shopBot, wallpapers)]);
  await content;
  await refundNotice;
  await waitUntil(() => ann.stars === 200 - 50 - 25, "the double payment's refund");
  print.note(`the second payment came back: Ann's wallet is ${ann.stars} ⭐`);

  print.scene("Ann writes to payment support; the admin answers her");
  await say(olga, shopBot, "/start", hasText("Hello, Olga"));
  await say(ann, shopBot, "/paysupport", hasText("Payment support"));
  const copy = next(olga, shopBot, hasText("Support request from Ann"));
  await say(ann, shopBot, "I paid twice for the wallpapers. Is that right?", hasText("Sent to"));
  const question = await copy;
  const answer = next(ann, shopBot, hasText("Support answers"));
  const reply = "Yes: the second payment was refunded at once.";
  print.user(olga, shopBot, `(replying to Ann's message) ${reply}`);
  const sent = next(olga, shopBot, hasText("Sent to the buyer"));
  await olga.send(shopBot, reply, { replyTo: question });
  await sent;
  await answer;
  await say(ann, shopBot, "/purchases", hasText("Your purchases"));

  print.scene("Ann joins the Stars club (a subscription)");
  const link = await say(ann, shopBot, "/start buy_club", hasText("Subscribe"));
  const url = link.reply_markup?.inline_keyboard.flat().find((b) => "url" in b);
  const active = next(ann, shopBot, hasText("is active until"));
  await pay(ann, shopBot, url && "url" in url ? url.url : "");
  await active;
  await say(ann, shopBot, "/subscriptions", hasText("Your subscriptions"));

  print.scene("Борис asks the oracle (a plugin bot), runs low and tops up");
  const offer = next(boris, oracleBot, isInvoice);
  await say(boris, oracleBot, "/ask Будет ли завтра дождь?", hasText("Нужно ещё"));
  const topUp = next(boris, oracleBot, hasText("Начислено: 10"));
  await pay(boris, oracleBot, await offer);
  await topUp;
  await say(boris, oracleBot, "/ask Будет ли завтра дождь?", hasText("🔮"));
  const low = next(boris, oracleBot, hasText("осталось"));
  await say(boris, oracleBot, "/ask Стоит ли учить Deno?", hasText("🔮"));
  await low;
  await say(boris, oracleBot, "/ask Кто победит?", hasText("🔮"));
  const again = next(boris, oracleBot, isInvoice);
  await say(boris, oracleBot, "/ask А если звёзды кончатся?", hasText("Нужно ещё"));
  const toppedUp = next(boris, oracleBot, hasText("Начислено: 10"));
  await pay(boris, oracleBot, await again);
  await toppedUp;
  await say(boris, oracleBot, "/ask А если звёзды кончатся?", hasText("🔮"));

  print.scene("The admin refunds Ann's credits by button; Ann checks her balance");
  await say(ann, shopBot, `/refund ${creditsCharge}`, hasText("Only this bot's administrators"));
  const transactions = await say(olga, shopBot, "/transactions", hasText("⭐"));
  const confirm = next(olga, shopBot, hasText("What it granted is taken back"));
  const ask = encodeCallback({ kind: "refund", step: "ask", chargeId: creditsCharge });
  await click(olga, shopBot, transactions, ask);
  const refunded = next(ann, shopBot, hasText("was refunded"));
  const yes = encodeCallback({ kind: "refund", step: "yes", chargeId: creditsCharge });
  await click(olga, shopBot, await confirm, yes);
  await refunded;
  await say(olga, shopBot, `/refund ${creditsCharge}`, hasText("already refunded"));
  await say(ann, shopBot, "/balance", hasText("Your balance"));
  await say(olga, shopBot, "/revenue", hasText("The bot's balance"));
  await say(olga, shopBot, "/subscribers", hasText("Subscribers"));

  print.scene("Where everything ended up");
  print.note(`wallets: Ann ${ann.stars} ⭐, Борис ${boris.stars} ⭐`);
  print.note(
    `bots' Stars: @${shopBot.username} ${shopBot.starBalance} ⭐, @${oracleBot.username} ${oracleBot.starBalance} ⭐`,
  );
  for (const status of runtime.tenants()) {
    print.note(`tenant ${status.id}: ${status.state}, ${status.restarts} restart(s)`);
  }
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
