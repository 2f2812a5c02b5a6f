/**
 * Hot reload of a running `main.ts` never swaps in a config that cannot start (a text key typo is
 * refused, naming the file, and the tenant keeps serving on its last good config), and re-reads
 * `.env` (`ENV_FILE`) first, so a token rotated there is picked up on SIGHUP.
 */
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { Deployment, greeting, PROCESS_WAIT_MS, sandboxTenantFile } from "../support/deployment.ts";
import { waitUntil } from "../support/wait.ts";

const ADMIN_TOKEN = "admin-token-for-the-reload-checks-test";

Deno.test("a text key typo is refused by hot reload, naming the file, and the old config keeps serving", async () => {
  await using sandbox = await Sandbox.start();
  const alpha = sandbox.createBot({ username: "alpha_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  await using deployment = await Deployment.create();
  await deployment.writeTenant(
    "alpha",
    sandboxTenantFile(sandbox, "alpha", {
      texts: { en: { "start.greeting": "Alpha greets {name}." } },
    }),
  );
  const proc = await deployment.start({ ALPHA_TOKEN: alpha.token, ADMIN_TOKEN });
  assertEquals(await greeting(ann, alpha), "Alpha greets Ann.");

  const from = proc.log.length;
  await deployment.writeTenant(
    "alpha",
    sandboxTenantFile(sandbox, "alpha", {
      texts: { en: { "start.greting": "Typo greets {name}.", "balance.text": "{balanse}" } },
    }),
  );
  const line = (await proc.waitForLog(
    /[^\n]*alpha\.json: texts\.en\.start\.greting[^\n]*/,
    PROCESS_WAIT_MS,
    from,
  ))[0];
  assertStringIncludes(line, 'did you mean "start.greeting"');
  await proc.waitForLog(
    /alpha\.json: texts\.en\.balance\.text: unknown placeholder \{balanse\}; this text can use only \{balance\}/,
    PROCESS_WAIT_MS,
    from,
  );
  await waitUntil(
    "alpha's configError in /status",
    async () => (await deployment.tenantStatus(ADMIN_TOKEN, "alpha"))?.configError,
    PROCESS_WAIT_MS,
  );
  const status = await deployment.tenantStatus(ADMIN_TOKEN, "alpha");
  assertStringIncludes(status?.configError ?? "", "alpha.json: texts.en.start.greting");
  assertEquals([status?.state, status?.restarts], ["running", 0]);
  assertEquals(await greeting(ann, alpha), "Alpha greets Ann.");
  assertEquals(proc.log.includes("no such text"), proc.log.includes("did you mean"));
  assertEquals((await proc.stop("SIGTERM")).code, 0, proc.log);
});

Deno.test("SIGHUP re-reads ENV_FILE before reloading: a token fixed in .env and a new tenant's token", async () => {
  await using sandbox = await Sandbox.start();
  const alpha = sandbox.createBot({ username: "alpha_bot" });
  const beta = sandbox.createBot({ username: "beta_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  await using deployment = await Deployment.create();
  const envFile = `${deployment.dir}/.env`;
  // A token Telegram rejects (401): the tenant is parked until the token is put right.
  await Deno.writeTextFile(envFile, `# the bots' tokens\nALPHA_TOKEN=${alpha.token}0\n`);
  await deployment.writeTenant("alpha", sandboxTenantFile(sandbox, "alpha"));
  // Nothing in the process's own environment: the tokens come from the file only.
  const proc = await deployment.start({ ENV_FILE: envFile, ADMIN_TOKEN });
  await waitUntil(
    "alpha parked as failed",
    async () => (await deployment.tenantStatus(ADMIN_TOKEN, "alpha"))?.state === "failed",
    PROCESS_WAIT_MS,
  );

  await Deno.writeTextFile(
    envFile,
    `ALPHA_TOKEN=${alpha.token}\nexport BETA_TOKEN="${beta.token}"\n`,
  );
  const from = proc.log.length;
  proc.signal("SIGHUP");
  await proc.waitForLog(/Tenant alpha: restart after a config change/, PROCESS_WAIT_MS, from);
  await waitUntil(
    "alpha running on the token from .env",
    async () => (await deployment.tenantStatus(ADMIN_TOKEN, "alpha"))?.state === "running",
    PROCESS_WAIT_MS,
  );
  assertStringIncludes(await greeting(ann, alpha), "Hello, Ann!");

  // A tenant added later whose token is only in the file starts on the watcher's reload.
  await deployment.writeTenant("beta", {
    ...sandboxTenantFile(sandbox, "alpha"),
    token: "env:BETA_TOKEN",
  });
  await proc.waitForLog(/Tenant beta: start after a config change/, PROCESS_WAIT_MS, from);
  await waitUntil(
    "beta running",
    async () => (await deployment.tenantStatus(ADMIN_TOKEN, "beta"))?.state === "running",
    PROCESS_WAIT_MS,
  );
  assertStringIncludes(await greeting(ann, beta), "Hello, Ann!");
  assertEquals((await proc.stop("SIGTERM")).code, 0, proc.log);
});
