/**
 * Webhooks, end to end: `main.ts` as a subprocess with a webhook tenant and a polling tenant,
 * the sandbox delivering to `PUBLIC_URL/telegram/<id>` on 127.0.0.1. The tenant registers its
 * webhook without the token in the URL, is served /start and a Stars purchase by webhook, every
 * bad request is refused before it reaches the tenant, and editing its file back to polling
 * deletes the webhook.
 */
import type { Message } from "grammy/types";
import { Sandbox, type SandboxBot } from "../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes, assertTrue } from "../support/assert.ts";
import {
  assertNoSecrets,
  Deployment,
  type HttpAnswer,
  PROCESS_WAIT_MS,
} from "../support/deployment.ts";
import { sampleValue } from "../support/prometheus_text.ts";
import { SHOP_PRODUCTS } from "../support/shop_products.ts";
import { waitUntil } from "../support/wait.ts";

const ADMIN_TOKEN = "admin-token-for-the-webhook-test";

const wait = { timeoutMs: PROCESS_WAIT_MS };

/** The update kinds a Stars tenant cannot do without. */
const NEEDED_UPDATES = ["message", "pre_checkout_query"];

function tenantFile(sandbox: Sandbox, tokenVariable: string, updates?: "webhook") {
  return {
    token: `env:${tokenVariable}`,
    apiRoot: sandbox.apiRoot,
    locale: "en",
    products: SHOP_PRODUCTS,
    ...(updates && { updates }),
  };
}

/** The `allowed_updates` a recorded call sent, or `undefined` when it sent none. */
function allowedUpdatesOf(params: Readonly<Record<string, unknown>>): string[] | undefined {
  const list = params.allowed_updates;
  return Array.isArray(list) ? list.map(String) : undefined;
}

function assertAsksFor(list: string[] | undefined, what: string): void {
  assertTrue(list !== undefined, `${what} sent no allowed_updates`);
  for (const kind of NEEDED_UPDATES) {
    assertTrue(
      list.includes(kind),
      `${what} allowed_updates ${JSON.stringify(list)} lacks ${kind}`,
    );
  }
}

const isReceipt = (m: Message) => m.text?.startsWith("✅") ?? false;

async function inboxSize(deployment: Deployment, tenantId: string): Promise<number> {
  return await deployment.query(async (q) => {
    const row = await q.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM inbox WHERE tenant_id = ?",
      [tenantId],
    );
    return Number(row?.n);
  });
}

/** Waits until the sandbox has had a 2xx answer for every update it queued for `bot`. */
async function waitUntilDelivered(bot: SandboxBot): Promise<void> {
  await waitUntil("every queued update delivered", () => bot.pendingUpdateCount === 0, 5_000);
}

Deno.test("a webhook tenant registers, serves /start and a purchase, refuses bad requests, and returns to polling", async () => {
  await using sandbox = await Sandbox.start({ webhookRetryBaseMs: 50, webhookRetryMaxMs: 500 });
  const hook = sandbox.createBot({ username: "hook_bot" });
  const poll = sandbox.createBot({ username: "poll_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  await using deployment = await Deployment.create();
  await deployment.writeTenant("hook", tenantFile(sandbox, "HOOK_TOKEN", "webhook"));
  await deployment.writeTenant("poll", tenantFile(sandbox, "POLL_TOKEN"));
  const proc = await deployment.start({
    HOOK_TOKEN: hook.token,
    POLL_TOKEN: poll.token,
    ADMIN_TOKEN,
  });

  // Registered at PUBLIC_URL/telegram/<id>: the path names the tenant, never the token.
  await waitUntil("the webhook registered", () => hook.callsTo("setWebhook").length > 0, 5_000);
  const registrations = hook.callsTo("setWebhook");
  assertEquals(registrations.length, 1, JSON.stringify(registrations));
  const [registration] = registrations;
  assertTrue(registration.ok, JSON.stringify(registration.error));
  assertEquals(registration.params.url, `${deployment.baseUrl}/telegram/hook`);
  assertTrue(!String(registration.params.url).includes(hook.token.split(":")[1]));
  const secret = registration.params.secret_token;
  assertTrue(typeof secret === "string" && secret.length >= 32, `secret_token: ${secret}`);
  assertAsksFor(allowedUpdatesOf(registration.params), "setWebhook");
  assertEquals(hook.webhook.url, `${deployment.baseUrl}/telegram/hook`);
  const registered = await deployment.tenantStatus(ADMIN_TOKEN, "hook");
  assertEquals([registered?.state, registered?.updates], ["running", "webhook"]);

  // /start, delivered by the sandbox's webhook.
  await ann.send(hook, "/start");
  assertStringIncludes((await ann.waitForMessage(hook, undefined, wait)).text ?? "", "Hello, Ann!");
  assertEquals(hook.callsTo("getUpdates"), [], "a webhook tenant never polls");

  // A whole Stars purchase by webhook: invoice, pre-checkout answered, payment, receipt.
  await ann.send(hook, "/start buy_credits_100");
  const invoice = await ann.waitForMessage(hook, (m) => m.invoice !== undefined, wait);
  const outcome = await ann.pay(hook, invoice);
  assertEquals(outcome.status, "paid");
  const receipt = await ann.waitForMessage(hook, isReceipt, wait);
  assertStringIncludes(receipt.text ?? "", "100 credits added; your balance is 100.");
  assertEquals(
    hook.callsTo("answerPreCheckoutQuery").map((call) => [call.ok, call.params.ok]),
    [[true, true]],
  );
  assertEquals(ann.stars, 50);

  // Bad requests: none of them reaches the tenant's inbox.
  await waitUntilDelivered(hook);
  const recorded = await inboxSize(deployment, "hook");
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    deployment.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  const withSecret = { "x-telegram-bot-api-secret-token": secret };
  const wrongSecret = { "x-telegram-bot-api-secret-token": `${secret}x` };
  const update = (id: number) => JSON.stringify({ update_id: id });
  const oversized = JSON.stringify({ update_id: 990005, padding: "x".repeat(1024 * 1024) });
  const refusals: [string, () => Promise<HttpAnswer>, number][] = [
    ["wrong secret", () => post("/telegram/hook", update(990001), wrongSecret), 401],
    ["missing secret", () => post("/telegram/hook", update(990002)), 401],
    ["unknown tenant", () => post("/telegram/nobody", update(990003), withSecret), 404],
    ["polling tenant", () => post("/telegram/poll", update(990004), withSecret), 404],
    ["body over 1 MiB", () => post("/telegram/hook", oversized, withSecret), 413],
    ["malformed JSON", () => post("/telegram/hook", '{"update_id": 990006,', withSecret), 400],
  ];
  for (const [what, send, status] of refusals) {
    const { status: actual, body } = await send();
    assertEquals(actual, status, `${what}: ${body}`);
  }
  assertEquals(await inboxSize(deployment, "hook"), recorded, "no refused request was recorded");
  const metrics = (await deployment.fetch("/metrics")).body;
  const counted = [
    ["hook", "bad_secret", "401", 2],
    ["", "not_found", "404", 2],
    ["hook", "too_large", "413", 1],
    ["hook", "malformed", "400", 1],
  ] as const;
  for (const [tenant, outcome, status, count] of counted) {
    assertEquals(
      sampleValue(metrics, "constellation_webhook_requests_total", { tenant, outcome, status }),
      count,
      `webhook answers ${status}`,
    );
  }

  // The polling tenant asks for its update kinds explicitly on every long poll.
  await ann.send(poll, "/start");
  await ann.waitForMessage(poll, undefined, wait);
  const polls = poll.callsTo("getUpdates").filter((call) => Number(call.params.timeout) > 0);
  assertTrue(polls.length > 0, "the polling tenant's long polls were recorded");
  for (const call of polls) assertAsksFor(allowedUpdatesOf(call.params), "getUpdates");

  // Back to polling by editing the file: the webhook is deleted and the tenant polls again.
  await deployment.writeTenant("hook", tenantFile(sandbox, "HOOK_TOKEN"));
  await proc.waitForLog(/Tenant hook: restart after a config change/, PROCESS_WAIT_MS);
  await waitUntil(
    "the webhook deleted",
    () => hook.callsTo("deleteWebhook").some((call) => call.ok),
    PROCESS_WAIT_MS,
  );
  assertEquals(hook.webhook.url, "");
  await ann.send(hook, "/start");
  const again = await ann.waitForMessage(hook, (m) => m.text?.includes("Hello") ?? false, wait);
  assertStringIncludes(again.text ?? "", "Hello, Ann!");
  const hookPolls = hook.callsTo("getUpdates").filter((call) => Number(call.params.timeout) > 0);
  assertTrue(hookPolls.length > 0, "the tenant polls now");
  for (const call of hookPolls) assertAsksFor(allowedUpdatesOf(call.params), "getUpdates");
  const hookStatus = await deployment.tenantStatus(ADMIN_TOKEN, "hook");
  assertEquals([hookStatus?.state, hookStatus?.updates], ["running", "polling"]);

  const status = (await deployment.fetch("/status", {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  })).body;
  const finalMetrics = (await deployment.fetch("/metrics")).body;
  assertEquals((await proc.stop("SIGTERM")).code, 0, proc.log);
  assertNoSecrets({ log: proc.log, status, metrics: finalMetrics }, [
    hook.token,
    poll.token,
    secret,
    ADMIN_TOKEN,
  ]);
});
