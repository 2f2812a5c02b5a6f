/**
 * End to end: `main.ts` as a subprocess against the sandbox on loopback, with one good tenant,
 * one invalid file and one tenant whose token Telegram rejects.
 */
import { assertEquals, assertStringIncludes, assertTrue } from "./support/assert.ts";
import { RuntimeProcess } from "./support/runtime_process.ts";
import { Sandbox } from "../sandbox/mod.ts";

async function configDir(files: Record<string, unknown>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "constellation-config-" });
  await Deno.mkdir(`${dir}/tenants`);
  for (const [name, content] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/tenants/${name}`, JSON.stringify(content, null, 2));
  }
  return dir;
}

Deno.test("main.ts runs the good tenant, reports the bad file and parks the 401 tenant", async () => {
  const sandbox = await Sandbox.start();
  const good = sandbox.createBot({ username: "good_bot" });
  const revoked = sandbox.createBot({ username: "revoked_bot" });
  sandbox.revokeToken(revoked.token);
  const dir = await configDir({
    "good.json": { token: "env:GOOD_TOKEN", apiRoot: sandbox.apiRoot },
    "broken.json": {
      token: "env:GOOD_TOKEN",
      apiRoot: sandbox.apiRoot,
      products: [{ id: "p", kind: "credits", title: "T", description: "D", price: 0, credits: 1 }],
    },
    "revoked.json": { token: "env:REVOKED_TOKEN", apiRoot: sandbox.apiRoot },
  });
  const proc = RuntimeProcess.start({
    CONFIG_DIR: dir,
    DATABASE_URL: `sqlite:${dir}/data/c.db`,
    GOOD_TOKEN: good.token,
    REVOKED_TOKEN: revoked.token,
  });
  try {
    const user = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
    await proc.waitForLog(/good.*polling/i);
    const reply = user.waitForMessage(good);
    await user.send(good, "/start");
    assertStringIncludes((await reply).text ?? "", "Hello, Ann!");

    await proc.waitForLog(/revoked.*401/);
    const log = proc.log;
    assertStringIncludes(log, "broken.json: products[0].price");
    // Parked at once, not retried in a tight loop.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assertEquals(proc.log.match(/tenants\/revoked is failed \(fatal\)/g)?.length, 1, proc.log);
    assertTrue(!/tenants\/revoked restarts in/.test(proc.log), proc.log);
    // No secret is ever logged.
    assertTrue(!log.includes(good.token) && !log.includes(revoked.token), log);

    const status = await proc.stop("SIGTERM");
    assertEquals(status.code, 0, proc.log);
    assertStringIncludes(proc.log, "Stopped cleanly");
  } finally {
    await proc.stop("SIGKILL");
    await sandbox.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts exits with a clear message when the config folder is missing", async () => {
  const proc = RuntimeProcess.start({ CONFIG_DIR: "/nonexistent/constellation-config" });
  const status = await proc.exited();
  assertEquals(status.code, 2);
  assertStringIncludes(proc.log, "/nonexistent/constellation-config");
  assertStringIncludes(proc.log, "config/examples/shop.json");
  assertStringIncludes(proc.log, "deno task demo");
});

Deno.test("main.ts exits with a clear message when no tenant is usable", async () => {
  const dir = await configDir({ "typo.json": { tokn: "env:X" } });
  try {
    const proc = RuntimeProcess.start({ CONFIG_DIR: dir });
    const status = await proc.exited();
    assertEquals(status.code, 2);
    assertStringIncludes(proc.log, "typo.json");
    assertStringIncludes(proc.log, "no usable tenant");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts runs the single bot of a .env-style environment as tenant 'default'", async () => {
  const sandbox = await Sandbox.start();
  const bot = sandbox.createBot({ username: "solo_bot" });
  const dir = await configDir({});
  const proc = RuntimeProcess.start({
    CONFIG_DIR: dir,
    DATABASE_URL: `sqlite:${dir}/c.db`,
    TELEGRAM_BOT_TOKEN: bot.token,
    TELEGRAM_API_ROOT: sandbox.apiRoot,
    USE_TELEGRAM_STARS: "true",
  });
  try {
    await proc.waitForLog(/default.*polling/i);
    const user = sandbox.createUser({ firstName: "Борис", languageCode: "ru" });
    const reply = user.waitForMessage(bot);
    await user.send(bot, "/start");
    assertStringIncludes((await reply).text ?? "", "Здравствуйте, Борис!");
    assertEquals((await proc.stop("SIGINT")).code, 0);
  } finally {
    await proc.stop("SIGKILL");
    await sandbox.close();
    await Deno.remove(dir, { recursive: true });
  }
});
