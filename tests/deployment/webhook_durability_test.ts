/**
 * A webhook's 200 is a promise: once `main.ts` has answered it, Telegram forgets the update, so
 * the update must survive the process dying right after. Here a payment arrives by webhook while
 * the user's lane is held by a slow command, is answered 200 (recorded, not yet applied), and the
 * process is killed with SIGKILL. The restarted process applies it exactly once.
 */
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals, assertTrue } from "../support/assert.ts";
import { Deployment } from "../support/deployment.ts";
import {
  assertPaidOnce,
  awaitReceiptSentThenStop,
  HOLD_PLUGIN,
  HOLD_PLUGIN_PATH,
  holdUpdates,
  isReceipt,
  payFor,
  pendingUpdates,
  receipts,
  requestInvoice,
} from "../support/interrupted_purchase.ts";
import { SHOP_PRODUCTS } from "../support/shop_products.ts";
import { ledgerRows, paymentRows } from "../support/tenant_world.ts";
import { waitUntil } from "../support/wait.ts";

Deno.test("a payment answered 200 by the webhook survives kill -9 and is applied once after the restart", async () => {
  await using sandbox = await Sandbox.start({ webhookRetryBaseMs: 50, webhookRetryMaxMs: 500 });
  const account = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  await using deployment = await Deployment.create();
  await Deno.mkdir(`${deployment.dir}/plugins`);
  await deployment.writeFile(HOLD_PLUGIN_PATH, HOLD_PLUGIN);
  await deployment.writeTenant("shop", {
    token: "env:SHOP_TOKEN",
    apiRoot: sandbox.apiRoot,
    locale: "en",
    updates: "webhook",
    products: SHOP_PRODUCTS,
    plugin: HOLD_PLUGIN_PATH,
  });

  await holdUpdates(deployment.dir, true);
  const first = await deployment.start({ SHOP_TOKEN: account.token });
  const invoice = await requestInvoice(ann, account);
  await ann.send(account, "/hold");
  // The pre-checkout query skips the lanes, so the payment goes through while /hold holds.
  const { chargeId } = await payFor(ann, account, invoice);
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
  assertEquals(receipts(ann, account), []);

  await holdUpdates(deployment.dir, false);
  const second = await deployment.start({ SHOP_TOKEN: account.token });
  await awaitReceiptSentThenStop(second, deployment, ann, account);
  await assertPaidOnce(deployment, ann, account, chargeId);
  const texts = ann.messages(account).map((m) => m.invoice ? "[invoice]" : m.text ?? "[other]");
  assertEquals(texts.length, 3, texts.join(" | "));
  assertEquals(texts.slice(0, 2), ["[invoice]", "Held task done."]);
  assertTrue(isReceipt(ann.messages(account)[2]), texts.join(" | "));
  // The restart registered the same secret, so requests Telegram was retrying still pass.
  const secrets = account.callsTo("setWebhook").map((call) => call.params.secret_token);
  assertEquals(secrets.length, 2);
  assertEquals(secrets[0], secrets[1]);
});
