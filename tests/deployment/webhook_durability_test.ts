/**
 * A webhook's 200 is a promise: once `main.ts` has answered it, Telegram forgets the update, so
 * the update must survive the process dying right after. Here a payment arrives by webhook while
 * the user's lane is held by a slow command, is answered 200 (recorded, not yet applied), and the
 * process is killed with SIGKILL. The restarted process applies it exactly once.
 */
import type { Message } from "grammy/types";
import type { SqlRunner } from "../../adapters/storage/database.ts";
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals, assertTrue } from "../support/assert.ts";
import { Deployment, PROCESS_WAIT_MS } from "../support/deployment.ts";
import { SHOP_PRODUCTS } from "../support/shop_products.ts";
import { ledgerRows, outboxRows, paymentRows } from "../support/tenant_world.ts";
import { waitUntil } from "../support/wait.ts";

const wait = { timeoutMs: PROCESS_WAIT_MS };

/**
 * `/hold` never finishes while HOLD_UPDATES is "1" and replies at once otherwise; the same
 * user's later updates queue behind it on the user's lane.
 */
const HOLD_PLUGIN = `
type Ctx = { reply(text: string): Promise<unknown> };
type Composer = { command(name: string, handler: (ctx: Ctx) => Promise<void>): void };

export default (bot: Composer) => {
  bot.command("hold", async (ctx) => {
    if (Deno.env.get("HOLD_UPDATES") === "1") await new Promise(() => {});
    await ctx.reply("Held task done.");
  });
};
`;

/** What each unfinished inbox update is: a message's text or `successful_payment`. */
async function pendingUpdates(q: SqlRunner): Promise<string[]> {
  const rows = await q.all<{ payload: string }>(
    "SELECT payload FROM inbox WHERE tenant_id = 'shop' AND done_at IS NULL ORDER BY update_id",
  );
  return rows.map((row) => {
    const message = JSON.parse(row.payload).message;
    return message?.successful_payment ? "successful_payment" : message?.text ?? "other";
  });
}

const isReceipt = (m: Message) => m.text?.startsWith("✅") ?? false;

Deno.test("a payment answered 200 by the webhook survives kill -9 and is applied once after the restart", async () => {
  await using sandbox = await Sandbox.start({ webhookRetryBaseMs: 50, webhookRetryMaxMs: 500 });
  const account = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  await using deployment = await Deployment.create();
  await deployment.writeFile("hold.ts", HOLD_PLUGIN);
  await deployment.writeTenant("shop", {
    token: "env:SHOP_TOKEN",
    apiRoot: sandbox.apiRoot,
    locale: "en",
    updates: "webhook",
    products: SHOP_PRODUCTS,
    plugin: "hold.ts",
  });

  const first = await deployment.start({ SHOP_TOKEN: account.token, HOLD_UPDATES: "1" });
  await ann.send(account, "/start buy_credits_100");
  const invoice = await ann.waitForMessage(account, (m) => m.invoice !== undefined, wait);
  await ann.send(account, "/hold");
  // The pre-checkout query skips the lanes, so the payment goes through while /hold holds.
  const outcome = await ann.pay(account, invoice);
  if (outcome.status !== "paid") throw new Error(`expected a payment, got ${outcome.status}`);
  // The sandbox drops an update from its queue only on a 2xx answer.
  await waitUntil("every update answered 200", () => account.pendingUpdateCount === 0, 5_000);
  await waitUntil(
    "the payment recorded behind /hold",
    async () =>
      JSON.stringify(await deployment.query(pendingUpdates)) ===
        JSON.stringify(["/hold", "successful_payment"]),
    5_000,
  );
  await first.stop("SIGKILL");
  await deployment.query(async (q) => {
    assertEquals(await paymentRows(q, "shop"), [], "recorded, not applied, when killed");
    assertEquals(await ledgerRows(q, "shop"), []);
  });
  assertEquals(ann.messages(account).filter(isReceipt), []);

  const second = await deployment.start({ SHOP_TOKEN: account.token });
  await ann.waitForMessage(account, isReceipt, wait);
  await waitUntil(
    "the receipt marked sent",
    () => deployment.query(async (q) => (await outboxRows(q, "shop"))[0]?.sent),
    PROCESS_WAIT_MS,
  );
  assertEquals((await second.stop("SIGTERM")).code, 0, second.log);

  await deployment.query(async (q) => {
    assertEquals(await ledgerRows(q, "shop"), [{
      userId: ann.id,
      kind: "deposit",
      amount: 100,
      balanceAfter: 100,
      idempotencyKey: `payment:${outcome.chargeId}`,
    }]);
    assertEquals((await paymentRows(q, "shop")).map((row) => row.chargeId), [outcome.chargeId]);
    assertEquals((await outboxRows(q, "shop")).map((row) => [row.id, row.sent]), [
      [`receipt:${outcome.chargeId}`, true],
    ]);
    assertEquals(await pendingUpdates(q), [], "every recorded update was handled");
  });
  const texts = ann.messages(account).map((m) => m.invoice ? "[invoice]" : m.text ?? "[other]");
  assertEquals(texts.length, 3, texts.join(" | "));
  assertEquals(texts.slice(0, 2), ["[invoice]", "Held task done."]);
  assertTrue(isReceipt(ann.messages(account)[2]), texts.join(" | "));
  const receiptsSent = account.callsTo("sendMessage").filter((call) =>
    call.ok && String(call.params.text).startsWith("✅")
  );
  assertEquals(receiptsSent.length, 1, "Telegram accepted the receipt once");
  // The restart registered the same secret, so requests Telegram was retrying still pass.
  const secrets = account.callsTo("setWebhook").map((call) => call.params.secret_token);
  assertEquals(secrets.length, 2);
  assertEquals(secrets[0], secrets[1]);
});
