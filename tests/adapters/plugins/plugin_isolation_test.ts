/**
 * End to end, `main.ts` with two tenants: `shop`, and `rogue`, whose plugin tries everything a
 * plugin in the runtime's process could do — read another tenant's token (environment, config
 * folder, an operator's `.env`, the database, a wrapped `fetch`), write the database, busy-loop,
 * throw in a timer, leave a rejection unhandled — and a third tenant whose plugin is a symbolic
 * link out of the config folder. Each is denied or contained: the shop answers at once while the
 * rogue's plugin loops, the rogue's own commands keep working, its worker is restarted, and the
 * process stays up to stop cleanly.
 */
import { Sandbox } from "../../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes, assertTrue } from "../../support/assert.ts";
import { assertNoSecrets, Deployment, PROCESS_WAIT_MS } from "../../support/deployment.ts";
import type { RuntimeProcess } from "../../support/runtime_process.ts";

const wait = { timeoutMs: PROCESS_WAIT_MS };

/** The plugin of the `rogue` tenant, in `plugins/rogue.ts`. */
const ROGUE_PLUGIN = `
import { DatabaseSync } from "node:sqlite";

const seenUrls: string[] = [];
const configFile = (path: string) => new URL("../" + path, import.meta.url);

async function attempt(what: () => unknown): Promise<string> {
  try {
    return "allowed: " + String(await what()).slice(0, 80);
  } catch (error) {
    return "denied: " + (error as Error).name;
  }
}

type Ctx = { reply(text: string): Promise<unknown> };
type Composer = { command(name: string, handler: (ctx: Ctx) => unknown): void };

export default (bot: Composer) => {
  bot.command("steal", async (ctx) => {
    const wrapped = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      seenUrls.push(String(input instanceof Request ? input.url : input));
      return wrapped(input, init);
    };
    const outcomes = {
      env: await attempt(() => Deno.env.get("SHOP_TOKEN")),
      dotEnv: await attempt(() => Deno.readTextFile(configFile(".env"))),
      tenantFile: await attempt(() => Deno.readTextFile(configFile("tenants/shop.json"))),
      database: await attempt(() => Deno.readFile(configFile("data/constellation.db"))),
      writeDatabase: await attempt(() => Deno.writeTextFile(configFile("data/constellation.db"), "")),
      ledger: await attempt(() =>
        new DatabaseSync(configFile("data/constellation.db").pathname).exec(
          "UPDATE ledger_entries SET amount = 1000000",
        )
      ),
    };
    await ctx.reply(JSON.stringify(outcomes));
  });
  bot.command("seen", (ctx) => ctx.reply("seen: " + JSON.stringify(seenUrls)));
  bot.command("loop", async (ctx) => {
    await ctx.reply("looping");
    const until = Date.now() + 60_000;
    while (Date.now() < until) { /* a minute of the worker's thread */ }
  });
  bot.command("timer", async (ctx) => {
    await ctx.reply("armed");
    setTimeout(() => { throw new Error("timer boom"); }, 50);
  });
  bot.command("reject", async (ctx) => {
    await ctx.reply("armed");
    setTimeout(() => { Promise.reject(new Error("rejected boom")); }, 50);
  });
  bot.command("ping", (ctx) => ctx.reply("pong"));
};
`;

/**
 * Waits for the log line saying the rogue's worker stopped because it `reason`, then for the
 * backoff delay it names; then `ping` (a `/ping` of the rogue's user) restarts the worker
 * (restarts are on demand, with the next update), which answers, and the restart is logged.
 */
async function restarted(
  proc: RuntimeProcess,
  reason: string,
  from: number,
  ping: () => Promise<string | undefined>,
): Promise<void> {
  const [, delayMs] = await proc.waitForLog(
    new RegExp(`worker was stopped \\(${reason}.*after (\\d+) ms`),
    PROCESS_WAIT_MS,
    from,
  );
  await new Promise((resolve) => setTimeout(resolve, Number(delayMs) + 100));
  assertEquals(await ping(), "pong");
  await proc.waitForLog(/plugin's worker is running again/, PROCESS_WAIT_MS, from);
}

Deno.test("a plugin cannot take another tenant's token, write the database, hold up the others or end the process", async () => {
  await using sandbox = await Sandbox.start();
  const shop = sandbox.createBot({ username: "shop_bot" });
  const rogue = sandbox.createBot({ username: "rogue_bot" });
  const linked = sandbox.createBot({ username: "linked_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  const bob = sandbox.createUser({ firstName: "Bob", languageCode: "en" });
  await using deployment = await Deployment.create();
  const { dir } = deployment;
  await Deno.mkdir(`${dir}/plugins`);
  await deployment.writeFile("plugins/rogue.ts", ROGUE_PLUGIN);
  await deployment.writeFile(".env", `SHOP_TOKEN=${shop.token}\n`);
  const outside = await Deno.makeTempDir({ prefix: "constellation-outside-" });
  await Deno.writeTextFile(`${outside}/evil.ts`, `export default () => {};`);
  await Deno.mkdir(`${dir}/linked`);
  await Deno.symlink(`${outside}/evil.ts`, `${dir}/linked/evil.ts`);
  const apiRoot = sandbox.apiRoot;
  await deployment.writeTenant("shop", { token: "env:SHOP_TOKEN", apiRoot });
  await deployment.writeTenant("rogue", {
    token: "env:ROGUE_TOKEN",
    apiRoot,
    plugin: "plugins/rogue.ts",
  });
  await deployment.writeTenant("linked", {
    token: "env:LINKED_TOKEN",
    apiRoot,
    plugin: "linked/evil.ts",
  });
  try {
    const proc = await deployment.start({
      SHOP_TOKEN: shop.token,
      ROGUE_TOKEN: rogue.token,
      LINKED_TOKEN: linked.token,
    });
    // The link out of the config folder is refused with the tenant file and the field.
    assertStringIncludes(
      proc.log,
      `linked.json: plugin: expected a file inside the config folder; "linked/evil.ts" leads ` +
        `through a symbolic link to ${outside}/evil.ts`,
    );

    // Nothing of another tenant's is within reach.
    await bob.send(rogue, "/steal");
    const stolen = JSON.parse((await bob.waitForMessage(rogue, undefined, wait)).text!);
    assertEquals(stolen, {
      env: "denied: NotCapable",
      dotEnv: "denied: NotCapable",
      tenantFile: "denied: NotCapable",
      database: "denied: NotCapable",
      writeDatabase: "denied: NotCapable",
      ledger: "denied: NotCapable",
    });
    await ann.send(shop, "/start");
    assertStringIncludes((await ann.waitForMessage(shop, undefined, wait)).text!, "Hello, Ann!");
    await bob.send(rogue, "/seen");
    assertEquals((await bob.waitForMessage(rogue, undefined, wait)).text, "seen: []");

    // A busy loop holds the rogue's worker only.
    let from = proc.log.length;
    await bob.send(rogue, "/loop");
    assertEquals((await bob.waitForMessage(rogue, undefined, wait)).text, "looping");
    const sentAt = Date.now();
    await ann.send(shop, "/start");
    await ann.waitForMessage(shop, undefined, wait);
    const latencyMs = Date.now() - sentAt;
    assertTrue(latencyMs < 5_000, `the shop answered after ${latencyMs} ms; the loop runs 60 s`);
    await ann.send(rogue, "/start");
    assertStringIncludes((await ann.waitForMessage(rogue, undefined, wait)).text!, "Hello, Ann!");
    // The update that looped is answered as failed, once, and the worker comes back.
    assertStringIncludes(
      (await bob.waitForMessage(rogue, undefined, wait)).text!,
      "Something went wrong",
    );
    const ping = async () => {
      await bob.send(rogue, "/ping");
      return (await bob.waitForMessage(rogue, undefined, wait)).text;
    };
    await restarted(proc, "blocked", from, ping);

    // What a plugin throws where nothing catches it ends its worker, not the process.
    for (
      const [command, reason] of [["/timer", "threw: timer boom"], [
        "/reject",
        "threw: an unhandled rejection: rejected boom",
      ]]
    ) {
      from = proc.log.length;
      await bob.send(rogue, command);
      assertEquals((await bob.waitForMessage(rogue, undefined, wait)).text, "armed");
      await restarted(proc, reason.replace(/[()]/g, "\\$&"), from, ping);
    }
    assertEquals((await deployment.fetch("/healthz")).status, 200);
    assertNoSecrets(
      { "rogue's chat": JSON.stringify(bob.messages(rogue)) },
      [shop.token, rogue.token, linked.token],
    );

    const status = await proc.stop("SIGTERM");
    assertEquals(status.code, 0, proc.log);
    assertStringIncludes(proc.log, "Stopped cleanly");
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});
