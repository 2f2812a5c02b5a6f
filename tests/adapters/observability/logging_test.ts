import { reset } from "@logtape/logtape";
import { assertEquals } from "../../support/assert.ts";
import {
  configureLogging,
  flushLogs,
  runtimeLogger,
  tenantLogger,
} from "../../../adapters/observability/logging.ts";

Deno.test("JSON lines carry the tenant in a field and string values bare in the message", async () => {
  const lines: string[] = [];
  try {
    await configureLogging({ level: "info", format: "json", write: (line) => lines.push(line) });
    tenantLogger("shop").getChild("plugin").info("Paid {stars} Stars for {product} in {ms} ms.", {
      stars: 50,
      product: "100 credits",
      ms: 12.5,
    });
    runtimeLogger("http").info("Listening on {address}.", { address: "127.0.0.1:8080" });
    await flushLogs();
  } finally {
    await reset();
  }
  const [paid, listening] = lines.map((line) => JSON.parse(line));
  assertEquals(paid.tenant, "shop");
  assertEquals(paid.logger, "constellation.tenant.shop.plugin");
  assertEquals(paid.message, "Paid 50 Stars for 100 credits in 12.5 ms.");
  assertEquals(paid.properties, { stars: 50, product: "100 credits", ms: 12.5 });
  assertEquals(listening.tenant, undefined);
  assertEquals(listening.message, "Listening on 127.0.0.1:8080.");
  assertEquals(Object.keys(listening), ["@timestamp", "level", "message", "logger", "properties"]);
});
