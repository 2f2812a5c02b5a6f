/**
 * End to end: one process per SQLite file. A second `main.ts` started on the file a running one
 * holds exits at once, naming the file and the process that holds it; once the holder is killed
 * with SIGKILL (no clean-up of any kind), the file can be opened again.
 */
import { Sandbox } from "../../sandbox/mod.ts";
import { assertStringIncludes, assertTrue } from "../support/assert.ts";
import { PROCESS_WAIT_MS } from "../support/deployment.ts";
import { RuntimeProcess } from "../support/runtime_process.ts";

Deno.test("a second process on the same SQLite file refuses to start, naming the file and the holder", async () => {
  await using sandbox = await Sandbox.start();
  const account = sandbox.createBot({ username: "shop_bot" });
  const dir = await Deno.makeTempDir({ prefix: "constellation-single-" });
  await Deno.mkdir(`${dir}/tenants`);
  await Deno.writeTextFile(
    `${dir}/tenants/shop.json`,
    JSON.stringify({ token: "env:SHOP_TOKEN", apiRoot: sandbox.apiRoot }),
  );
  const dbPath = `${dir}/data/constellation.db`;
  const env = { CONFIG_DIR: dir, DATABASE_URL: `sqlite:${dbPath}`, SHOP_TOKEN: account.token };
  const running: RuntimeProcess[] = [];
  const start = (): RuntimeProcess => {
    const proc = RuntimeProcess.start(env);
    running.push(proc);
    return proc;
  };
  try {
    const first = start();
    await first.waitForLog(/shop.*polling/i, PROCESS_WAIT_MS);

    const second = start();
    const refused = await second.exited();
    assertTrue(refused.code !== 0, `the second process exited with ${refused.code}`);
    assertStringIncludes(second.log, `the SQLite database ${dbPath} is in use by another process`);
    assertStringIncludes(second.log, `pid ${first.pid} on `);
    assertStringIncludes(second.log, `lock file ${dbPath}.lock`);
    assertTrue(!/polling/i.test(second.log), "the second never polled");

    // A kill -9 leaves no stale lock behind: the kernel releases it with the process.
    await first.stop("SIGKILL");
    const third = start();
    await third.waitForLog(/shop.*polling/i, PROCESS_WAIT_MS);
    assertTrue(!third.log.includes("in use by another process"), third.log);
  } finally {
    for (const proc of running) await proc.stop("SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});
