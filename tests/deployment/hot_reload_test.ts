/**
 * Hot reload of the tenant files of a running `main.ts`, one change at a time, each touching
 * only its own tenant: a new file starts a tenant, an edited one restarts with the new config,
 * a deleted one stops, an invalid edit is refused while the tenant keeps its last good config,
 * and SIGHUP reloads a change the file watcher cannot see (the target of a symlinked file).
 */
import { Sandbox, type SandboxBot, type SandboxUser } from "../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import {
  assertNoSecrets,
  Deployment,
  greeting,
  PROCESS_WAIT_MS,
  sandboxTenantFile,
} from "../support/deployment.ts";
import { CREDITS_100 } from "../support/shop_products.ts";
import { sampleValue } from "../support/prometheus_text.ts";
import { waitUntil } from "../support/wait.ts";

const ADMIN_TOKEN = "admin-token-for-the-reload-test";

const wait = { timeoutMs: PROCESS_WAIT_MS };

/** Asks for the credits invoice and returns its price. */
async function invoicePrice(user: SandboxUser, bot: SandboxBot): Promise<number | undefined> {
  await user.send(bot, "/start buy_credits_100");
  return (await user.waitForMessage(bot, (m) => m.invoice !== undefined, wait)).invoice
    ?.total_amount;
}

Deno.test("tenant files reload one tenant at a time: add, change, remove, refuse an invalid edit, and on SIGHUP", async () => {
  await using sandbox = await Sandbox.start();
  const alpha = sandbox.createBot({ username: "alpha_bot" });
  const beta = sandbox.createBot({ username: "beta_bot" });
  const gamma = sandbox.createBot({ username: "gamma_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  await using deployment = await Deployment.create();
  await deployment.writeTenant("alpha", sandboxTenantFile(sandbox, "alpha"));
  // beta's file is a link to a file elsewhere: editing the target makes no event in tenants/.
  await Deno.mkdir(`${deployment.dir}/store`);
  const betaTarget = `${deployment.dir}/store/beta.json`;
  await deployment.writeTenant("beta", sandboxTenantFile(sandbox, "beta"), betaTarget);
  await Deno.symlink(betaTarget, deployment.tenantPath("beta"));
  const proc = await deployment.start({
    ALPHA_TOKEN: alpha.token,
    BETA_TOKEN: beta.token,
    GAMMA_TOKEN: gamma.token,
    ADMIN_TOKEN,
  });
  const restarts = async () =>
    Object.fromEntries((await deployment.status(ADMIN_TOKEN)).map((t) => [t.id, t.restarts]));
  const assertServing = async (...bots: SandboxBot[]) => {
    for (const bot of bots) assertStringIncludes(await greeting(ann, bot), "Hello, Ann!");
  };
  await assertServing(alpha, beta);

  // A new file: its tenant starts; the others are not restarted.
  await deployment.writeTenant("gamma", sandboxTenantFile(sandbox, "gamma"));
  await proc.waitForLog(/Tenant gamma: start after a config change/, PROCESS_WAIT_MS);
  await waitUntil(
    "gamma running",
    async () => (await deployment.tenantStatus(ADMIN_TOKEN, "gamma"))?.state === "running",
    PROCESS_WAIT_MS,
  );
  await assertServing(gamma, alpha, beta);
  assertEquals(await restarts(), { alpha: 0, beta: 0, gamma: 0 });

  // A new price: alpha restarts on it, alone.
  const priced = {
    ...sandboxTenantFile(sandbox, "alpha"),
    products: [{ ...CREDITS_100, price: 70 }],
  };
  await deployment.writeTenant("alpha", priced);
  await proc.waitForLog(/Tenant alpha: restart after a config change/, PROCESS_WAIT_MS);
  await waitUntil(
    "alpha running again",
    async () => {
      const status = await deployment.tenantStatus(ADMIN_TOKEN, "alpha");
      return status?.restarts === 1 && status.state === "running";
    },
    PROCESS_WAIT_MS,
  );
  assertEquals(await invoicePrice(ann, alpha), 70);
  assertEquals(await restarts(), { alpha: 1, beta: 0, gamma: 0 });
  await assertServing(beta, gamma);

  // A deleted file: gamma stops, and what its users send is no longer answered.
  await deployment.removeTenant("gamma");
  await proc.waitForLog(/Tenant gamma: its file is gone; stopping it/, PROCESS_WAIT_MS);
  await waitUntil(
    "gamma gone from /status",
    async () => (await deployment.tenantStatus(ADMIN_TOKEN, "gamma")) === undefined,
    PROCESS_WAIT_MS,
  );
  const gammaMessages = ann.messages(gamma).length;
  await ann.send(gamma, "/start");

  // An invalid edit: refused, naming the file and the field; alpha keeps its last good config.
  const fromInvalid = proc.log.length;
  await deployment.writeTenant("alpha", {
    ...sandboxTenantFile(sandbox, "alpha"),
    products: [{ ...CREDITS_100, price: 0 }],
  });
  await proc.waitForLog(/alpha\.json: products\[0\]\.price: [^\n]*/, PROCESS_WAIT_MS, fromInvalid);
  await waitUntil(
    "alpha's configError in /status",
    async () => (await deployment.tenantStatus(ADMIN_TOKEN, "alpha"))?.configError,
    PROCESS_WAIT_MS,
  );
  const alphaStatus = await deployment.tenantStatus(ADMIN_TOKEN, "alpha");
  assertStringIncludes(alphaStatus?.configError ?? "", "alpha.json: products[0].price");
  assertEquals([alphaStatus?.state, alphaStatus?.restarts], ["running", 1]);
  assertEquals(await invoicePrice(ann, alpha), 70);
  await assertServing(alpha, beta);

  // SIGHUP: a change the watcher cannot see, to the file beta's link points at.
  const fromSighup = proc.log.length;
  await deployment.writeTenant("beta", {
    ...sandboxTenantFile(sandbox, "beta"),
    texts: { en: { "start.greeting": "Beta welcomes {name}." } },
  }, betaTarget);
  proc.signal("SIGHUP");
  await proc.waitForLog(/SIGHUP received/, PROCESS_WAIT_MS, fromSighup);
  await proc.waitForLog(/Tenant beta: restart after a config change/, PROCESS_WAIT_MS, fromSighup);
  await waitUntil(
    "beta running again",
    async () => (await deployment.tenantStatus(ADMIN_TOKEN, "beta"))?.state === "running",
    PROCESS_WAIT_MS,
  );
  assertEquals(await greeting(ann, beta), "Beta welcomes Ann.");
  assertEquals(await restarts(), { alpha: 1, beta: 1 });

  // Long after gamma's removal, its user's /start is still waiting at Telegram, unanswered.
  assertEquals(ann.messages(gamma).length, gammaMessages);
  assertEquals(gamma.pendingUpdateCount, 1);

  const status = (await deployment.fetch("/status", {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  })).body;
  const metrics = (await deployment.fetch("/metrics")).body;
  // Config changes are counted as reloads, not as restarts (which mean a crash).
  const reloads = (tenant: string) =>
    sampleValue(metrics, "constellation_tenant_config_reloads_total", { tenant });
  assertEquals([reloads("alpha"), reloads("beta"), reloads("gamma")], [1, 1, 1]);
  for (const tenant of ["alpha", "beta"]) {
    assertEquals(
      sampleValue(metrics, "constellation_tenant_restarts_total", { tenant }),
      undefined,
      tenant,
    );
  }
  assertEquals((await proc.stop("SIGTERM")).code, 0, proc.log);
  assertStringIncludes(proc.log, "Stopped cleanly");
  assertNoSecrets({ log: proc.log, status, metrics }, [
    alpha.token,
    beta.token,
    gamma.token,
    ADMIN_TOKEN,
  ]);
});
