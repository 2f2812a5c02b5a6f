/**
 * Poison updates by webhook, end to end: `main.ts` as a subprocess with a webhook tenant the
 * sandbox delivers to with the right secret. Malformed updates are answered 200, counted and
 * never run; a payment without `from` is set aside as a dead letter that `/status` shows and the
 * admin token retries or discards, while the tenant keeps taking payments and reconciliation
 * credits the poisoned one from Telegram's transactions. A restart replays none of it.
 */
import type { Message } from "grammy/types";
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { Deployment, PROCESS_WAIT_MS } from "../support/deployment.ts";
import { sampleValue } from "../support/prometheus_text.ts";
import { SHOP_PRODUCTS } from "../support/shop_products.ts";
import { ledgerRows } from "../support/tenant_world.ts";
import { waitUntil } from "../support/wait.ts";

const ADMIN_TOKEN = "admin-token-for-the-poison-test";
const wait = { timeoutMs: PROCESS_WAIT_MS };

const isReceipt = (m: Message) => m.text?.startsWith("✅") ?? false;
const isDeadLetterNotice = (m: Message) => m.text?.startsWith("⚠️ Update") ?? false;

interface DeadLetterShown {
  updateId: number;
  kind: string;
  payment: boolean;
  attempts: number;
  error: string;
}

Deno.test("poison updates by webhook: rejected or set aside, the shop keeps selling, reconciliation credits the payment", async () => {
  await using sandbox = await Sandbox.start({ webhookRetryBaseMs: 50, webhookRetryMaxMs: 500 });
  const account = sandbox.createBot({ username: "shop_bot" });
  const boss = sandbox.createUser({ firstName: "Boss", languageCode: "en" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  const bob = sandbox.createUser({ firstName: "Bob", languageCode: "en", stars: 100 });
  await using deployment = await Deployment.create();
  await deployment.writeTenant("shop", {
    token: "env:SHOP_TOKEN",
    apiRoot: sandbox.apiRoot,
    locale: "en",
    updates: "webhook",
    admins: [boss.id],
    products: SHOP_PRODUCTS,
  });
  const env = { SHOP_TOKEN: account.token, ADMIN_TOKEN };
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const metric = async (name: string) =>
    sampleValue((await deployment.fetch("/metrics")).body, name, { tenant: "shop" }) ?? 0;
  const deadLetters = async (): Promise<DeadLetterShown[]> => {
    const { body } = await deployment.fetch("/status", { headers: admin });
    const tenants: { id: string; deadLetters: DeadLetterShown[] }[] = JSON.parse(body).tenants;
    return tenants.find((tenant) => tenant.id === "shop")!.deadLetters;
  };
  const post = (path: string, headers: Record<string, string> = admin) =>
    deployment.fetch(path, { method: "POST", headers });

  const first = await deployment.start(env);
  await boss.send(account, "/start"); // so that the bot may write to its admin
  await boss.waitForMessage(account, undefined, wait);

  // Malformed updates: answered 200 (so Telegram stops sending them), counted, never run.
  sandbox.deliverRaw(account.token, { message: "hi" });
  sandbox.deliverRaw(account.token, { message: { message_id: 1, date: 0, text: "/start" } });
  await waitUntil("both delivered", () => account.pendingUpdateCount === 0, PROCESS_WAIT_MS);
  assertEquals(account.webhook.last_error_message, undefined, "every delivery was answered 2xx");
  assertEquals(await metric("constellation_updates_rejected_total"), 2);

  // A body not declared as JSON is no update: 415, before it reaches the tenant.
  const [registration] = account.callsTo("setWebhook");
  const secret = String(registration.params.secret_token);
  const plain = await deployment.fetch("/telegram/shop", {
    method: "POST",
    headers: { "x-telegram-bot-api-secret-token": secret, "content-type": "text/plain" },
    body: JSON.stringify({ update_id: 1, message: { text: "hi" } }),
  });
  assertEquals(plain.status, 415, plain.body);

  // Ann pays; what arrives is her payment without its payer.
  sandbox.dropNextSuccessfulPayment(account.token);
  await ann.send(account, "/start buy_credits_100");
  const invoice = await ann.waitForMessage(account, (m) => m.invoice !== undefined, wait);
  const paid = await ann.pay(account, invoice);
  if (paid.status !== "paid") throw new Error(`Ann's payment ended ${paid.status}`);
  const { from: _payer, ...withoutPayer } = paid.message;
  const poison = sandbox.deliverRaw(account.token, { message: withoutPayer });

  const notice = await boss.waitForMessage(account, isDeadLetterNotice, wait);
  assertStringIncludes(notice.text ?? "", `Update ${poison.update_id} (successful_payment)`);
  const expected: DeadLetterShown = {
    updateId: poison.update_id,
    kind: "successful_payment",
    payment: true,
    attempts: 0,
    error: "malformed: message.from is missing (a payment names its payer)",
  };
  const [shown] = await deadLetters();
  assertEquals({ ...shown, deadAt: undefined }, { ...expected, deadAt: undefined });

  // The shop keeps selling: Bob's payment, right after, is credited.
  await bob.send(account, "/start buy_credits_100");
  const bobsInvoice = await bob.waitForMessage(account, (m) => m.invoice !== undefined, wait);
  assertEquals((await bob.pay(account, bobsInvoice)).status, "paid");
  assertStringIncludes((await bob.waitForMessage(account, isReceipt, wait)).text ?? "", "100");

  // Retry and discard, behind the admin token.
  const retry = `/dead-letters/shop/${poison.update_id}/retry`;
  assertEquals((await post(retry, {})).status, 401);
  assertEquals((await post(retry, { authorization: "Bearer guess" })).status, 401);
  assertEquals((await post(`/dead-letters/nobody/${poison.update_id}/retry`)).status, 404);
  assertEquals((await post("/dead-letters/shop/999999/retry")).status, 404);
  assertEquals((await post("/dead-letters/shop/999999/discard")).status, 404);
  // Retried, the poison is still malformed: set aside again, the admin not told twice.
  assertEquals((await post(retry)).status, 202);
  await waitUntil("set aside again", async () => (await deadLetters()).length === 1, 5_000);

  // Telegram lists Ann's payment: reconciliation credits it.
  await boss.send(account, "/reconcile");
  const report = await boss.waitForMessage(
    account,
    (m) => m.text?.startsWith("Reconciliation") ?? false,
    wait,
  );
  assertStringIncludes(report.text ?? "", "1 lost payments applied");
  assertStringIncludes(
    (await ann.waitForMessage(account, isReceipt, wait)).text ?? "",
    paid.chargeId,
  );
  const balances = await deployment.query(async (q) => ({
    ann: (await ledgerRows(q, "shop", ann.id)).map((row) => row.balanceAfter),
    bob: (await ledgerRows(q, "shop", bob.id)).map((row) => row.balanceAfter),
  }));
  assertEquals(balances, { ann: [100], bob: [100] });

  const discard = `/dead-letters/shop/${poison.update_id}/discard`;
  assertEquals((await post(discard)).status, 200);
  assertEquals(await deadLetters(), []);
  assertEquals((await post(discard)).status, 404);
  assertEquals(boss.messages(account).filter(isDeadLetterNotice).length, 1);
  assertEquals((await deployment.tenantStatus(ADMIN_TOKEN, "shop"))?.restarts, 0);
  assertEquals((await first.stop("SIGTERM")).code, 0, first.log);

  // After a restart nothing comes back: no update pending, none rejected or set aside again.
  const second = await deployment.start(env);
  await ann.send(account, "/balance");
  const balance = await ann.waitForMessage(
    account,
    (m) => m.text?.includes("balance") ?? false,
    wait,
  );
  assertEquals(balance.text, "Your balance: 100 credits.");
  assertEquals(await metric("constellation_updates_rejected_total"), 0);
  assertEquals(await metric("constellation_updates_dead_lettered_total"), 0);
  assertEquals(await deadLetters(), []);
  assertEquals((await second.stop("SIGTERM")).code, 0, second.log);
});
