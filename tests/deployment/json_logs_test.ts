/**
 * `LOG_FORMAT=json`: everything `main.ts` writes is one JSON object per line, a tenant's lines
 * carry its id in their category and in a `tenant` field, and the redaction applies to these lines too (a tenant whose
 * API connection breaks logs network errors that quote request URLs, which hold the token).
 */
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals, assertTrue } from "../support/assert.ts";
import { assertNoSecrets, Deployment, PROCESS_WAIT_MS } from "../support/deployment.ts";
import { ApiRelay } from "../support/api_relay.ts";

interface JsonLine {
  "@timestamp": string;
  level: string;
  message: string;
  logger: string;
  tenant?: string;
  properties?: Record<string, unknown>;
}

Deno.test("LOG_FORMAT=json writes one JSON object per line, with the tenant id in the category", async () => {
  await using sandbox = await Sandbox.start();
  const shop = sandbox.createBot({ username: "shop_bot" });
  const cut = sandbox.createBot({ username: "cut_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  await using deployment = await Deployment.create();
  await deployment.writeTenant("shop", { token: "env:SHOP_TOKEN", apiRoot: sandbox.apiRoot });
  await using relay = ApiRelay.start(sandbox.apiRoot);
  await deployment.writeTenant("cut", { token: "env:CUT_TOKEN", apiRoot: relay.apiRoot });
  const proc = await deployment.start({
    SHOP_TOKEN: shop.token,
    CUT_TOKEN: cut.token,
    LOG_FORMAT: "json",
  });
  await ann.send(shop, "/start");
  await ann.waitForMessage(shop, undefined, { timeoutMs: PROCESS_WAIT_MS });
  // The cut tenant's long poll fails, and its retry finds the port closed.
  await relay.cut();
  await proc.waitForLog(
    /getUpdates failed[^\n]*(ECONNREFUSED|Connection refused)/,
    PROCESS_WAIT_MS,
  );
  assertEquals((await proc.stop("SIGTERM")).code, 0, proc.log);

  const lines = proc.log.split("\n").filter((line) => line.trim() !== "");
  const records = lines.map((line) => {
    try {
      return JSON.parse(line) as JsonLine;
    } catch {
      throw new Error(`not a JSON line: ${line}`);
    }
  });
  for (const record of records) {
    assertTrue(
      typeof record["@timestamp"] === "string" && typeof record.level === "string" &&
        typeof record.message === "string" && record.logger.startsWith("constellation"),
      JSON.stringify(record),
    );
  }
  const shopUp = records.filter((record) =>
    record.logger === "constellation.tenant.shop" && record.message.startsWith("Bot @")
  );
  assertEquals(shopUp.map((record) => record.properties), [
    { username: "shop_bot", mode: "polling" },
  ]);
  // The tenant in a field of its own, and string values bare in the message.
  assertEquals(shopUp.map((record) => record.tenant), ["shop"]);
  assertTrue(!shopUp[0].message.includes('"'), shopUp[0].message);
  for (const record of records) {
    const ofTenant = record.logger.startsWith("constellation.tenant.");
    assertEquals(
      record.tenant,
      ofTenant ? record.logger.split(".")[2] : undefined,
      JSON.stringify(record),
    );
  }
  assertTrue(records.some((record) => record.message === "Stopped cleanly."), proc.log);
  const failures = records.filter((record) =>
    /ECONNREFUSED|Connection refused/.test(record.message)
  );
  assertTrue(failures.length > 0, proc.log);
  assertEquals(
    failures.map((record) => record.logger),
    failures.map(() => "constellation.tenant.cut"),
  );
  // The URL is quoted with the token taken out (the poller's error, and the menu's calls').
  assertTrue(
    failures.some((record) => record.message.includes("/bot<redacted>/getUpdates")),
    proc.log,
  );
  assertNoSecrets({ log: proc.log }, [shop.token, cut.token]);
});
