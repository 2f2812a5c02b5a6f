import { assertEquals } from "../support/assert.ts";
import { importsOf, importViolations } from "./import_rules.ts";

const root = new URL("../../", import.meta.url);

async function runtimeSources(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, root))) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) await walk(`${path}/`);
      else if (entry.isFile && path.endsWith(".ts")) {
        files.set(path, await Deno.readTextFile(new URL(path, root)));
      }
    }
  };
  for (const dir of ["actors/", "money/", "adapters/", "config/"]) await walk(dir);
  files.set("main.ts", await Deno.readTextFile(new URL("main.ts", root)));
  return files;
}

Deno.test("the tree keeps the rule: kernel ← domain ← actors → adapters, without cycles", async () => {
  const files = await runtimeSources();
  assertEquals(files.size > 100, true, "the walk found the runtime's files");
  assertEquals(importViolations(files), []);
});

Deno.test("a wrong import is caught: the domain reaching an adapter, an adapter an actor", () => {
  const files = new Map([
    ["money/stores/ledger.ts", 'import type { Db } from "../../adapters/storage/sqlite.ts";\n'],
    [
      "adapters/telegram/handlers/x.ts",
      'import {\n  BalanceClient,\n} from "../../../actors/balance/balance_client.ts";\n',
    ],
    ["actors/kernel/actor.ts", 'const m = await import("../../money/ports.ts");\n'],
    ["adapters/storage/sqlite.ts", ""],
    ["actors/balance/balance_client.ts", ""],
    ["money/ports.ts", ""],
  ]);
  assertEquals(importViolations(files).map((v) => v.why), [
    "domain may not import adapters",
    "adapters may not import actors",
    "kernel may not import domain",
  ]);
});

Deno.test("a cycle is caught, and doc examples are not imports", () => {
  const files = new Map([
    [
      "money/a.ts",
      'import { b } from "./b.ts";\n/**\n * import { x } from "../adapters/x.ts";\n */\n',
    ],
    ["money/b.ts", 'export { a } from "./a.ts";\n'],
  ]);
  assertEquals(importViolations(files).map((v) => v.why), [
    "cycle: money/a.ts → money/b.ts → money/a.ts",
  ]);
  assertEquals(importsOf("money/a.ts", files.get("money/a.ts")!), ["money/b.ts"]);
});
