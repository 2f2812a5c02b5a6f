/**
 * The promise of one deployment for many bots: twenty bots, half polling and half on webhooks,
 * run from one process and one port, each answering its own users, all visible in `/readyz`
 * and `/metrics`.
 */
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { Deployment, PROCESS_WAIT_MS } from "../support/deployment.ts";
import { sampleValue } from "../support/prometheus_text.ts";

Deno.test("twenty bots, ten polling and ten on webhooks, from one process and one port", async () => {
  await using sandbox = await Sandbox.start();
  await using deployment = await Deployment.create();
  const env: Record<string, string> = {};
  const bots = [];
  for (let i = 0; i < 20; i++) {
    const id = `bot${String(i).padStart(2, "0")}`;
    const account = sandbox.createBot({ username: `${id}_bot` });
    env[`TOKEN_${i}`] = account.token;
    await deployment.writeTenant(id, {
      token: `env:TOKEN_${i}`,
      apiRoot: sandbox.apiRoot,
      ...(i % 2 === 1 && { updates: "webhook" }),
    });
    bots.push({ id, account, webhook: i % 2 === 1 });
  }
  await deployment.start(env);

  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  await Promise.all(bots.map(async ({ account }) => {
    const reply = ann.waitForMessage(account, undefined, { timeoutMs: PROCESS_WAIT_MS });
    await ann.send(account, "/start");
    assertStringIncludes((await reply).text ?? "", "Hello, Ann!");
  }));
  for (const { account, webhook } of bots) {
    assertEquals(account.callsTo("setWebhook").length, webhook ? 1 : 0, account.username);
    assertEquals(account.callsTo("getUpdates").length > 0, !webhook, account.username);
  }

  assertEquals((await deployment.fetch("/readyz")).status, 200);
  const metrics = (await deployment.fetch("/metrics")).body;
  for (const { id } of bots) {
    assertEquals(
      sampleValue(metrics, "constellation_tenant_state", { tenant: id, state: "running" }),
      1,
      id,
    );
    assertEquals(
      sampleValue(metrics, "constellation_updates_handled_total", { tenant: id }),
      1,
      id,
    );
  }
});
