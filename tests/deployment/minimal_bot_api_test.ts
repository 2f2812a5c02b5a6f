/**
 * A tenant pointed at a Bot API server that knows only the core methods (`getMe`, `getUpdates`,
 * `sendMessage`, `sendInvoice`) and answers anything else with a bare 500 and a plain-text body.
 * Before, such a tenant never started: `setMyCommands` failed its start, it restarted forever
 * and logged "failed to start: undefined undefined". Now only `getMe` and the update source can
 * keep it from starting; the menu and the clearing of an old webhook are retried in the
 * background, shown in `/status` with the server's real answer.
 */
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes, assertTrue } from "../support/assert.ts";
import { Deployment, PROCESS_WAIT_MS } from "../support/deployment.ts";
import { MinimalBotApi } from "../support/minimal_bot_api.ts";
import { waitUntil } from "../support/wait.ts";
import { CREDITS_100 } from "../support/shop_products.ts";

const ADMIN_TOKEN = "admin-token-for-the-minimal-api-test";
const ADMIN_ID = 4242;
const wait = { timeoutMs: PROCESS_WAIT_MS };

Deno.test("a tenant on a Bot API server with only the core methods serves /start and invoices", async () => {
  await using sandbox = await Sandbox.start();
  const shop = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  await using minimal = MinimalBotApi.start(sandbox.apiRoot);
  await using deployment = await Deployment.create();
  await deployment.writeTenant("shop", {
    token: "env:SHOP_TOKEN",
    apiRoot: minimal.apiRoot,
    admins: [ADMIN_ID],
    products: [CREDITS_100],
  });
  const proc = await deployment.start({ SHOP_TOKEN: shop.token, ADMIN_TOKEN });
  await proc.waitForLog(/shop.*updates by polling/, PROCESS_WAIT_MS);

  await ann.send(shop, "/start");
  assertStringIncludes((await ann.waitForMessage(shop, undefined, wait)).text ?? "", "Hello, Ann!");
  await ann.send(shop, "/start buy_credits_100");
  const invoice = await ann.waitForMessage(shop, (m) => m.invoice !== undefined, wait);
  assertEquals(invoice.invoice?.total_amount, CREDITS_100.price);

  // The menu's calls go one at a time per tenant (the process's optional-call budget): wait
  // until each has failed once.
  let status = await deployment.tenantStatus(ADMIN_TOKEN, "shop");
  await waitUntil("every optional call tried once", async () => {
    status = await deployment.tenantStatus(ADMIN_TOKEN, "shop");
    return (status?.failingOptionalCalls ?? []).length >= 7;
  }, PROCESS_WAIT_MS);
  assertEquals([status?.state, status?.restarts], ["running", 0]);
  const failing = status?.failingOptionalCalls ?? [];
  assertEquals(failing.map((f) => f.call), [
    "deleteWebhook",
    "setMyCommands (chat 4242)",
    "setMyCommands (chat 4242, en)",
    "setMyCommands (chat 4242, ru)",
    "setMyCommands (default scope)",
    "setMyCommands (default scope, en)",
    "setMyCommands (default scope, ru)",
  ]);
  for (const { error, attempts } of failing) {
    assertEquals(
      error,
      "500 not a Bot API answer: HTTP 500 Internal Server Error, body: Internal Server Error",
    );
    assertTrue(attempts >= 1);
  }
  assertTrue(minimal.refused.includes("setMyCommands"), minimal.refused.join(", "));
  assertTrue(!proc.log.includes("undefined"), proc.log);
  assertStringIncludes(proc.log, "the bot serves without it, and it is retried in the background");
  assertEquals((await proc.stop("SIGTERM")).code, 0, proc.log);
});
