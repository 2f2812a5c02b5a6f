import process from "node:process";
import { assertEquals } from "../../support/assert.ts";
import "../../../adapters/observability/node_warnings.ts";

Deno.test("the punycode deprecation is dropped and other warnings still reach listeners", async () => {
  const seen: string[] = [];
  const listener = (warning: Error & { code?: string }) =>
    seen.push(warning.code ?? warning.message);
  process.on("warning", listener);
  process.emitWarning("punycode is deprecated", { type: "DeprecationWarning", code: "DEP0040" });
  process.emitWarning("punycode is deprecated", "DeprecationWarning", "DEP0040");
  process.emitWarning("something else", { type: "DeprecationWarning", code: "DEP0999" });
  await new Promise((resolve) => setTimeout(resolve, 10));
  process.off("warning", listener);
  assertEquals(seen, ["DEP0999"]);
});
