/**
 * Process-level containment, end to end: `main.ts` as a subprocess hosting a plugin tenant whose
 * plugin throws in a timer and leaves a promise rejection unhandled — each of which used to end
 * the process and every bot in it. The process stays up, the other tenant keeps serving, and
 * the plugin's tenant serves again.
 */
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals, assertTrue } from "../support/assert.ts";
import { Deployment, PROCESS_WAIT_MS } from "../support/deployment.ts";
import { waitUntil } from "../support/wait.ts";

const ADMIN_TOKEN = "admin-token-for-the-containment-test";
/** A plugin with two bugs nothing catches. It imports nothing: it lives outside the import map. */
const BUGGY_PLUGIN = `
type Ctx = { reply(text: string): Promise<unknown> };
type Composer = { command(name: string, handler: (ctx: Ctx) => Promise<unknown>): void };

export default (bot: Composer) => {
  bot.command("ping", (ctx) => ctx.reply("pong"));
  bot.command("timer", async (ctx) => {
    setTimeout(() => {
      throw new Error("a bug in the plugin's timer");
    }, 10);
    await ctx.reply("Timer set.");
  });
  bot.command("reject", async (ctx) => {
    Promise.reject(new Error("a promise the plugin forgot"));
    await ctx.reply("Promise dropped.");
  });
};
`;

Deno.test("a plugin's throw in a timer and its unhandled rejection crash only its tenant, never the process", async () => {
  await using sandbox = await Sandbox.start();
  const oracle = sandbox.createBot({ username: "oracle_bot" });
  const shop = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  await using deployment = await Deployment.create();
  await Deno.mkdir(`${deployment.dir}/plugins`);
  await deployment.writeFile("plugins/oracle.ts", BUGGY_PLUGIN);
  await deployment.writeTenant("oracle", {
    token: "env:ORACLE_TOKEN",
    apiRoot: sandbox.apiRoot,
    locale: "en",
    plugin: "plugins/oracle.ts",
  });
  await deployment.writeTenant("shop", {
    token: "env:SHOP_TOKEN",
    apiRoot: sandbox.apiRoot,
    locale: "en",
  });
  const proc = await deployment.start({
    ORACLE_TOKEN: oracle.token,
    SHOP_TOKEN: shop.token,
    ADMIN_TOKEN,
  });
  let exited = false;
  proc.status.then(() => (exited = true));

  /** Sends `text` until `answer` comes back: a tenant that restarts answers once it is up. */
  const ask = async (bot: typeof oracle, text: string, answer: string) => {
    await waitUntil(`${answer} from @${bot.username}`, async () => {
      const reply = ann.waitForMessage(bot, (m) => m.text === answer, { timeoutMs: 2_000 });
      await ann.send(bot, text);
      return await reply.then(() => true, () => false);
    }, PROCESS_WAIT_MS);
  };
  await ask(oracle, "/ping", "pong");

  for (const [command, answer] of [["/timer", "Timer set."], ["/reject", "Promise dropped."]]) {
    await ask(oracle, command, answer);
    // The other tenant never noticed; the plugin's tenant serves again.
    await ask(shop, "/balance", "Your balance: 0 credits.");
    await ask(oracle, "/ping", "pong");
    assertTrue(!exited, `the process ended after ${command}:\n${proc.log}`);
  }
  assertEquals((await deployment.tenantStatus(ADMIN_TOKEN, "shop"))?.restarts, 0);
  assertEquals((await deployment.fetch("/healthz")).status, 200);
  assertEquals((await proc.stop("SIGTERM")).code, 0, proc.log);
});
