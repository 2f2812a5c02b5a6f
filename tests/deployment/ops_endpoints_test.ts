/**
 * The operations endpoints of a running `main.ts`: liveness, readiness that stays up with a
 * parked tenant, per-tenant Prometheus metrics after a real purchase, and `/status` behind the admin
 * token. Nothing they answer may quote a secret.
 */
import type { Message } from "grammy/types";
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes, assertTrue } from "../support/assert.ts";
import { assertNoSecrets, Deployment, PROCESS_WAIT_MS } from "../support/deployment.ts";
import { sampleValue } from "../support/prometheus_text.ts";
import { SHOP_PRODUCTS } from "../support/shop_products.ts";
import { waitUntil } from "../support/wait.ts";

const ADMIN_TOKEN = "admin-token-for-the-ops-test";

const wait = { timeoutMs: PROCESS_WAIT_MS };

const isReceipt = (m: Message) => m.text?.startsWith("✅") ?? false;

Deno.test("/healthz, /readyz, /metrics and /status describe the tenants of a running process", async () => {
  await using sandbox = await Sandbox.start();
  const shop = sandbox.createBot({ username: "shop_bot" });
  const revoked = sandbox.createBot({ username: "revoked_bot" });
  sandbox.revokeToken(revoked.token);
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  await using deployment = await Deployment.create();
  for (const [id, variable] of [["shop", "SHOP_TOKEN"], ["revoked", "REVOKED_TOKEN"]]) {
    await deployment.writeTenant(id, {
      token: `env:${variable}`,
      apiRoot: sandbox.apiRoot,
      locale: "en",
      products: SHOP_PRODUCTS,
    });
  }
  // A tenant file the runtime refuses (a price must be ≥ 1): `invalid`, never started.
  await deployment.writeTenant("broken", {
    token: "env:SHOP_TOKEN",
    apiRoot: sandbox.apiRoot,
    products: [{ ...SHOP_PRODUCTS[0], price: 0 }],
  });
  const proc = await deployment.start({
    SHOP_TOKEN: shop.token,
    REVOKED_TOKEN: revoked.token,
    ADMIN_TOKEN,
  });

  // The startup summary counts the tenants by state, rather than "running 3 tenant(s)".
  assertStringIncludes(
    proc.log,
    "Constellation is running: 3 tenants (1 running, 1 failed, 1 invalid).",
  );
  const health = await deployment.fetch("/healthz");
  assertEquals([health.status, health.body], [200, "ok"]);

  // A parked tenant (its token refused) does not make the process unready: under Kubernetes a
  // 503 would take the pod, and every healthy tenant's webhooks, out of the Service. Its health
  // is in /status and the tenant_state metric.
  const ready = await deployment.fetch("/readyz");
  assertEquals(ready.status, 200, ready.body);
  assertEquals(JSON.parse(ready.body), {
    ready: true,
    tenants: { invalid: 1, failed: 1, running: 1 },
  });

  // A purchase whose receipt Telegram refuses once, so it waits in the outbox for a while.
  await ann.send(shop, "/start buy_credits_100");
  const invoice = await ann.waitForMessage(shop, (m) => m.invoice !== undefined, wait);
  sandbox.failNext(shop.token, "sendMessage", {
    error_code: 500,
    description: "Internal Server Error",
  });
  assertEquals((await ann.pay(shop, invoice)).status, "paid");
  const metric = async (name: string, labels: Record<string, string>) =>
    sampleValue((await deployment.fetch("/metrics")).body, name, labels);
  await waitUntil(
    "the refused receipt counted in the outbox backlog",
    async () => (await metric("constellation_outbox_backlog", { tenant: "shop" })) === 1,
    PROCESS_WAIT_MS,
  );
  await ann.waitForMessage(shop, isReceipt, wait);
  await waitUntil(
    "the backlog empty once the receipt is sent",
    async () => (await metric("constellation_outbox_backlog", { tenant: "shop" })) === 0,
    PROCESS_WAIT_MS,
  );
  // /start, the pre-checkout query and the payment.
  await waitUntil(
    "three updates handled",
    async () => (await metric("constellation_updates_handled_total", { tenant: "shop" })) === 3,
    PROCESS_WAIT_MS,
  );
  const metrics = (await deployment.fetch("/metrics")).body;
  // The Stars of the purchase, the process's own metrics and the build.
  assertEquals(sampleValue(metrics, "constellation_stars_received_total", { tenant: "shop" }), 50);
  assertEquals(
    sampleValue(metrics, "constellation_stars_refunded_total", { tenant: "shop" }),
    undefined,
  );
  assertTrue((sampleValue(metrics, "process_resident_memory_bytes") ?? 0) > 0, "process metrics");
  assertTrue((sampleValue(metrics, "process_cpu_seconds_total") ?? 0) > 0, "process metrics");
  assertStringIncludes(metrics, "constellation_build_info{version=");
  // Nothing crashed and no config changed yet.
  assertEquals(
    sampleValue(metrics, "constellation_tenant_restarts_total", { tenant: "shop" }),
    undefined,
  );
  const state = (tenant: string, state: string) =>
    sampleValue(metrics, "constellation_tenant_state", { tenant, state });
  assertEquals([state("shop", "running"), state("shop", "failed")], [1, 0]);
  assertEquals([state("revoked", "failed"), state("revoked", "running")], [1, 0]);
  assertEquals(
    sampleValue(metrics, "constellation_pre_checkout_latency_seconds_count", { tenant: "shop" }),
    1,
  );
  assertEquals(
    sampleValue(metrics, "constellation_pre_checkout_latency_seconds_bucket", {
      tenant: "shop",
      le: "+Inf",
    }),
    1,
  );

  // /status needs the admin token.
  const anonymous = await deployment.fetch("/status");
  assertEquals(anonymous.status, 401, anonymous.body);
  assertStringIncludes(anonymous.headers.get("www-authenticate") ?? "", "Bearer");
  const wrong = await deployment.fetch("/status", {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}-not` },
  });
  assertEquals(wrong.status, 401, wrong.body);
  const statusAnswer = await deployment.fetch("/status", {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assertEquals(statusAnswer.status, 200, statusAnswer.body);
  const tenants = JSON.parse(statusAnswer.body).tenants;
  assertEquals(tenants.map((t: { id: string }) => t.id), ["broken", "revoked", "shop"]);
  const [brokenStatus, revokedStatus, shopStatus] = tenants;
  assertEquals(brokenStatus.state, "invalid");
  assertStringIncludes(brokenStatus.configError, "price");
  assertEquals(
    [revokedStatus.state, revokedStatus.updates, revokedStatus.lastUpdateAt],
    ["failed", "polling", null],
  );
  assertStringIncludes(revokedStatus.lastError, "401");
  assertEquals(
    [shopStatus.state, shopStatus.updates, shopStatus.restarts, shopStatus.lastError],
    ["running", "polling", 0, null],
  );
  const lastUpdate = Date.parse(shopStatus.lastUpdateAt);
  assertTrue(Math.abs(Date.now() - lastUpdate) < 60_000, `lastUpdateAt ${shopStatus.lastUpdateAt}`);

  // Removing the parked tenant leaves only the running one.
  await deployment.removeTenant("revoked");
  await deployment.removeTenant("broken");
  await waitUntil(
    "/readyz counting only the running tenant once the parked one is removed",
    async () => {
      const { tenants } = JSON.parse((await deployment.fetch("/readyz")).body);
      return tenants.failed === undefined && tenants.invalid === undefined;
    },
    PROCESS_WAIT_MS,
  );
  assertEquals(JSON.parse((await deployment.fetch("/readyz")).body), {
    ready: true,
    tenants: { running: 1 },
  });
  assertEquals((await deployment.status(ADMIN_TOKEN)).map((t) => t.id), ["shop"]);

  const finalMetrics = (await deployment.fetch("/metrics")).body;
  const finalStatus = (await deployment.fetch("/status", {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  })).body;
  assertEquals((await proc.stop("SIGTERM")).code, 0, proc.log);
  assertNoSecrets(
    {
      log: proc.log,
      "/status": statusAnswer.body + finalStatus,
      "/readyz": ready.body,
      "/metrics": metrics + finalMetrics,
    },
    [shop.token, revoked.token, ADMIN_TOKEN],
  );
});
