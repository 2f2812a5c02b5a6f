/**
 * The operator console of a running `main.ts`: served on the runtime's port once `ADMIN_TOKEN`
 * is set, with uPlot read from its npm package under the start task's permissions, the tenant's
 * payment and log lines on its page, and no secret anywhere; a live view left open does not hold
 * up a stop.
 */
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes, assertTrue } from "../support/assert.ts";
import { assertNoSecrets, Deployment, PROCESS_WAIT_MS } from "../support/deployment.ts";
import { CREDITS_100 } from "../support/shop_products.ts";

const ADMIN_TOKEN = "admin-token-for-the-console-test";

Deno.test("main.ts serves the console: login, fleet, tenant page, uPlot; a stop is not held by a live view", async () => {
  await using sandbox = await Sandbox.start();
  const shop = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  await using deployment = await Deployment.create();
  await deployment.writeTenant("shop", {
    token: "env:SHOP_TOKEN",
    apiRoot: sandbox.apiRoot,
    locale: "en",
    products: [CREDITS_100],
  });
  const proc = await deployment.start({ SHOP_TOKEN: shop.token, ADMIN_TOKEN });

  const sent = await ann.send(shop, "/start buy_credits_100");
  const invoice = await ann.waitForMessage(shop, (m) => m.invoice !== undefined, {
    timeoutMs: PROCESS_WAIT_MS,
  });
  assertTrue(invoice.message_id > sent.message_id);
  const paid = await ann.pay(shop, invoice);
  assertEquals(paid.status, "paid");

  const login = await fetch(`${deployment.baseUrl}/console/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: ADMIN_TOKEN }),
  });
  await login.body?.cancel();
  assertEquals(login.status, 303);
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
  const headers = { cookie };

  const fleet = await deployment.fetch("/console", { headers });
  assertEquals(fleet.status, 200);
  assertStringIncludes(fleet.body, 'data-tenant="shop"');
  const tenant = await deployment.fetch("/console/tenants/shop", { headers });
  assertEquals(tenant.status, 200);
  if (paid.status === "paid") assertStringIncludes(tenant.body, paid.chargeId);
  assertStringIncludes(tenant.body, "Bot @shop_bot is up", "the log tail");
  const uplot = await deployment.fetch("/console/assets/uPlot.iife.min.js", { headers });
  assertEquals(uplot.status, 200);
  assertStringIncludes(uplot.body, "uPlot");
  assertNoSecrets({ fleet: fleet.body, "tenant page": tenant.body }, [ADMIN_TOKEN, shop.token]);

  // A live view stays open; the stop ends it rather than waiting for the browser.
  const live = await fetch(`${deployment.baseUrl}/console/events`, { headers });
  assertEquals(live.status, 200);
  const started = Date.now();
  const status = await proc.stop("SIGTERM");
  await live.body?.cancel().catch(() => {});
  assertEquals(status.code, 0);
  assertTrue(Date.now() - started < 10_000, `the stop took ${Date.now() - started} ms`);
  assertNoSecrets({ "process log": proc.log }, [ADMIN_TOKEN, shop.token]);
});
