/**
 * SIGTERM drains `main.ts`: polling stops at once, so updates sent from then on stay at
 * Telegram for the next start; a webhook request gets 503 (Telegram retries it later); the
 * update in hand finishes; `/readyz` answers 503; and the process exits 0 with "Stopped cleanly".
 *
 * A plugin command that waits for a file in its folder holds the drain open while the test looks.
 */
import { Sandbox } from "../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes, assertTrue } from "../support/assert.ts";
import { Deployment, PROCESS_WAIT_MS } from "../support/deployment.ts";
import { inboxState } from "../support/tenant_world.ts";

const wait = { timeoutMs: PROCESS_WAIT_MS };

/**
 * `/slow` says it started, waits until the file `release` exists in its folder (the only place
 * a plugin's worker may read), then says it is done.
 */
const SLOW_PLUGIN = `
type Ctx = { reply(text: string): Promise<unknown> };
type Composer = { command(name: string, handler: (ctx: Ctx) => Promise<void>): void };

async function released(): Promise<boolean> {
  try {
    await Deno.stat(new URL("release", import.meta.url));
    return true;
  } catch {
    return false;
  }
}

export default (bot: Composer) => {
  bot.command("slow", async (ctx) => {
    await ctx.reply("Slow task started.");
    while (!(await released())) await new Promise((resolve) => setTimeout(resolve, 10));
    await ctx.reply("Slow task done.");
  });
};
`;

Deno.test("SIGTERM stops polling, answers webhooks 503, finishes the update in hand and exits 0", async () => {
  await using sandbox = await Sandbox.start({ webhookRetryBaseMs: 50, webhookRetryMaxMs: 500 });
  const poll = sandbox.createBot({ username: "poll_bot" });
  const slow = sandbox.createBot({ username: "slow_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  await using deployment = await Deployment.create();
  await Deno.mkdir(`${deployment.dir}/plugins`);
  await deployment.writeFile("plugins/slow.ts", SLOW_PLUGIN);
  // Tenants start in id order and stop in reverse: slow first, while poll waits its turn.
  await deployment.writeTenant("poll", { token: "env:POLL_TOKEN", apiRoot: sandbox.apiRoot });
  await deployment.writeTenant("slow", {
    token: "env:SLOW_TOKEN",
    apiRoot: sandbox.apiRoot,
    updates: "webhook",
    plugin: "plugins/slow.ts",
  });
  const releaseFile = `${deployment.dir}/plugins/release`;
  const proc = await deployment.start({ POLL_TOKEN: poll.token, SLOW_TOKEN: slow.token });
  const secret = String(slow.callsTo("setWebhook")[0].params.secret_token);
  await ann.send(poll, "/start");
  await ann.waitForMessage(poll, undefined, wait);

  await ann.send(slow, "/slow");
  assertEquals((await ann.waitForMessage(slow, undefined, wait)).text, "Slow task started.");
  proc.signal("SIGTERM");
  await proc.waitForLog(/SIGTERM received; draining/, PROCESS_WAIT_MS);

  const refused = await deployment.fetch("/telegram/slow", {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
    body: JSON.stringify({ update_id: 990001 }),
  });
  assertEquals(refused.status, 503, refused.body);
  assertTrue(refused.headers.get("retry-after") !== null, "503 says when to retry");
  // Readiness goes with the drain, so a load balancer stops sending traffic here.
  const readiness = await deployment.fetch("/readyz");
  assertEquals(readiness.status, 503, readiness.body);
  assertEquals(JSON.parse(readiness.body).reason, "draining");
  await ann.send(poll, "/start");

  await Deno.writeTextFile(releaseFile, "");
  const status = await proc.exited();
  assertEquals(status.code, 0, proc.log);
  assertStringIncludes(proc.log, "Stopped cleanly");
  assertEquals(
    ann.messages(slow).map((m) => m.text),
    ["Slow task started.", "Slow task done."],
    "the update in hand finished before the exit",
  );
  // The /start sent during the drain was not taken: it waits at Telegram for the next start.
  assertEquals(ann.messages(poll).length, 1, "nothing answered after SIGTERM");
  assertEquals(poll.pendingUpdateCount, 1);
  await deployment.query(async (q) => {
    assertEquals(await inboxState(q, "slow", 990001), undefined, "the 503 recorded nothing");
    const slowRows = await q.all<{ done: number }>(
      "SELECT done_at IS NOT NULL AS done FROM inbox WHERE tenant_id = 'slow'",
    );
    assertEquals(slowRows.map((row) => Number(row.done)), [1], "/slow was recorded and finished");
  });
});
