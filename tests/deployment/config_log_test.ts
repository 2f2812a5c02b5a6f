/**
 * The log of a running `main.ts` says each config problem once, one line each: a file refused at
 * start is not logged twice, the literal-token warning comes again on hot reload, and fixing the
 * file says so.
 */
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals } from "../support/assert.ts";
import { Deployment, PROCESS_WAIT_MS } from "../support/deployment.ts";

const ADMIN_TOKEN = "admin-token-for-the-config-log-test";

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, "g"))?.length ?? 0;
}

Deno.test("config problems are logged once at start, and reloads warn again and log the fix", async () => {
  await using sandbox = await Sandbox.start();
  const alpha = sandbox.createBot({ username: "alpha_bot" });
  const beta = sandbox.createBot({ username: "beta_bot" });
  await using deployment = await Deployment.create();
  // A literal token works, with a warning.
  await deployment.writeTenant("alpha", { token: alpha.token, apiRoot: sandbox.apiRoot });
  const broken = { token: "env:BETA_TOKEN", apiRoot: sandbox.apiRoot, admin: [1], lcoale: "ru" };
  await deployment.writeTenant("beta", broken);
  const proc = await deployment.start({ BETA_TOKEN: beta.token, ADMIN_TOKEN });

  const log = proc.log;
  assertEquals(
    count(log, /beta\.json: unknown fields "admin" \(did you mean "admins"\?\)/),
    1,
    log,
  );
  assertEquals(count(log, /alpha\.json: token: the secret is written literally/), 1, log);
  assertEquals(log.includes("\\n"), false, log);
  assertEquals(log.includes("Skipped"), false, log);

  const from = proc.log.length;
  await deployment.writeTenant("beta", { token: "env:BETA_TOKEN", apiRoot: sandbox.apiRoot });
  await proc.waitForLog(/beta\.json is valid again/, PROCESS_WAIT_MS, from);
  await proc.waitForLog(
    /alpha\.json: token: the secret is written literally/,
    PROCESS_WAIT_MS,
    from,
  );
  assertEquals((await proc.stop("SIGTERM")).code, 0, proc.log);
});
