/**
 * Poll overlaps: the sandbox counts every getUpdates that meets another one still waiting for
 * the same token (two pollers at once, the thing a cluster of runtimes must never do), and a
 * long poll whose client went away ends at once without counting. The sandbox runs on a
 * ManualClock, so no long poll can end by its timeout while a test looks.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../../actors/kernel/clock.ts";
import { Sandbox } from "../../sandbox/mod.ts";
import { waitUntil } from "../support/wait.ts";
import { call } from "./api_helpers.ts";

/** A sandbox on a stopped clock with one bot, and a way to know a long poll is waiting. */
async function pollingWorld() {
  const clock = new ManualClock(0);
  const sandbox = await Sandbox.start({ clock });
  const bot = sandbox.createBot({ username: "shop_bot" });
  const waiting = (polls: number) =>
    waitUntil(`${polls} long poll(s) waiting`, () => clock.pendingTimers === polls);
  /** A new long poll waits alone (no overlap counted) and ends normally. */
  const nextPollMeetsNobody = async () => {
    const next = call(sandbox.apiRoot, bot.token, "getUpdates", { timeout: 30 });
    await waiting(1);
    assert.equal(bot.pollOverlaps, 0);
    await sandbox.advance(30_000);
    assert.equal((await next).status, 200);
  };
  return { sandbox, bot, waiting, nextPollMeetsNobody };
}

Deno.test("two overlapping long polls: the earlier gets 409 and one overlap is counted", async () => {
  const { sandbox, bot, waiting } = await pollingWorld();
  await using _ = sandbox;
  const first = call(sandbox.apiRoot, bot.token, "getUpdates", { timeout: 30 });
  await waiting(1);
  const second = call(sandbox.apiRoot, bot.token, "getUpdates", { timeout: 30 });

  assert.equal((await first).status, 409);
  await waiting(1);
  assert.equal(bot.pollOverlaps, 1);
  assert.equal(sandbox.pollOverlaps, 1);
  // Over HTTP too, for a sandbox run apart from the program that checks it.
  const one = await (await fetch(`${sandbox.apiRoot}/_sandbox/bots/@shop_bot`)).json();
  assert.deepEqual(one, {
    ok: true,
    result: {
      id: bot.id,
      username: "shop_bot",
      pollOverlaps: 1,
      lastUpdateId: 0,
      pendingUpdates: 0,
    },
  });
  const all = await (await fetch(`${sandbox.apiRoot}/_sandbox/bots`)).json();
  assert.equal(all.result.pollOverlaps, 1);
  assert.equal(await fetch(`${sandbox.apiRoot}/_sandbox/bots/nobody_bot`).then(drain), 404);

  await sandbox.createUser({ firstName: "Ann" }).send(bot, "for the survivor");
  assert.equal((await second).status, 200);
  assert.equal(bot.pollOverlaps, 1, "the survivor's answer is no overlap");
});

Deno.test("a long poll whose client aborted ends at once and is no overlap for the next one", async () => {
  const { sandbox, bot, waiting, nextPollMeetsNobody } = await pollingWorld();
  await using _ = sandbox;
  const client = new AbortController();
  const abandoned = fetch(`${sandbox.apiRoot}/bot${bot.token}/getUpdates?timeout=30`, {
    signal: client.signal,
  });
  await waiting(1);
  client.abort();
  await assert.rejects(abandoned);
  // It returns (and is recorded) without any simulated time passing: the abort ended it.
  await waitUntil("the abandoned poll ended", () => bot.callsTo("getUpdates").length === 1);
  await waiting(0);
  await nextPollMeetsNobody();
});

Deno.test("a long poll whose connection closed (a killed process) is no overlap", async () => {
  const { sandbox, bot, waiting, nextPollMeetsNobody } = await pollingWorld();
  await using _ = sandbox;
  // A raw connection closed mid-request, as the kernel closes a killed process's sockets.
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(sandbox.apiRoot).port),
  });
  const request = `GET /bot${bot.token}/getUpdates?timeout=30 HTTP/1.1\r\n` +
    `host: 127.0.0.1\r\n\r\n`;
  await conn.write(new TextEncoder().encode(request));
  await waiting(1);
  conn.close();
  await waitUntil("the orphaned poll ended", () => bot.callsTo("getUpdates").length === 1);
  await nextPollMeetsNobody();
});

Deno.test("sequential polls, long and short, are no overlap", async () => {
  const { sandbox, bot, waiting } = await pollingWorld();
  await using _ = sandbox;
  const ann = sandbox.createUser({ firstName: "Ann" });
  for (let round = 1; round <= 3; round++) {
    const poll = call(sandbox.apiRoot, bot.token, "getUpdates", { timeout: 30 });
    await waiting(1);
    await ann.send(bot, `round ${round}`);
    assert.equal((await poll).status, 200);
    await call(sandbox.apiRoot, bot.token, "getUpdates", { offset: round + 1 });
  }
  assert.equal(bot.lastUpdateId, 3);
  assert.equal(bot.pendingUpdateCount, 0);
  assert.equal(bot.pollOverlaps, 0);
  assert.equal(sandbox.pollOverlaps, 0);
});

/** A response's status, its body read so the connection is not left open. */
async function drain(response: Response): Promise<number> {
  await response.body?.cancel();
  return response.status;
}
