import { Api } from "grammy";
import type { Update } from "grammy/types";
import { assertEquals, assertRejects, assertTrue } from "../../support/assert.ts";
import { runPoller } from "../../../adapters/telegram/poller.ts";
import { ManualClock } from "../../../actors/clock.ts";
import { FatalError } from "../../../actors/child.ts";
import { Sandbox } from "../../../sandbox/mod.ts";

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function world() {
  const sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const user = sandbox.createUser({ firstName: "Ann" });
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  return { sandbox, bot, user, api };
}

Deno.test("batches are handled in order and confirmed only after handling", async () => {
  const { sandbox, bot, user, api } = await world();
  const controller = new AbortController();
  const seen: string[] = [];
  await user.send(bot, "one");
  await user.send(bot, "two");
  const polling = runPoller({
    api,
    allowedUpdates: ["message"],
    signal: controller.signal,
    timeoutSeconds: 1,
    handle: (updates: Update[]) => {
      seen.push(...updates.map((u) => u.message?.text ?? ""));
      return Promise.resolve();
    },
  });
  await until(() => seen.length === 2, "two updates");
  assertEquals(seen, ["one", "two"]);
  controller.abort();
  await polling;
  assertEquals(bot.pendingUpdateCount, 0);
  await sandbox.close();
});

Deno.test("a batch whose handling fails stays unconfirmed and comes again", async () => {
  const { sandbox, bot, user, api } = await world();
  await user.send(bot, "pay me");
  await assertRejects(
    () =>
      runPoller({
        api,
        allowedUpdates: ["message"],
        signal: new AbortController().signal,
        timeoutSeconds: 1,
        handle: () => Promise.reject(new Error("handler crashed")),
      }),
    Error,
    "handler crashed",
  );
  assertEquals(bot.pendingUpdateCount, 1);
  const controller = new AbortController();
  const again: string[] = [];
  const polling = runPoller({
    api,
    allowedUpdates: ["message"],
    signal: controller.signal,
    timeoutSeconds: 1,
    handle: (updates) => {
      again.push(...updates.map((u) => u.message?.text ?? ""));
      controller.abort();
      return Promise.resolve();
    },
  });
  await polling;
  assertEquals(again, ["pay me"]);
  assertEquals(bot.pendingUpdateCount, 0);
  await sandbox.close();
});

Deno.test("409 Conflict backs off on the clock, is logged, and polling resumes", async () => {
  const { sandbox, bot, user, api } = await world();
  const clock = new ManualClock(0);
  const warnings: string[] = [];
  const logger = {
    warn: (message: string, props: Record<string, unknown>) =>
      warnings.push(`${message} ${JSON.stringify(props)}`),
  } as unknown as Parameters<typeof runPoller>[0]["logger"];
  sandbox.failNext(bot.token, "getUpdates", {
    error_code: 409,
    description: "Conflict: terminated by other getUpdates request",
  });
  const controller = new AbortController();
  const seen: string[] = [];
  const polling = runPoller({
    api,
    allowedUpdates: ["message"],
    signal: controller.signal,
    clock,
    logger,
    random: () => 0, // no jitter: the first conflict waits exactly 5 s
    timeoutSeconds: 1,
    handle: (updates) => {
      seen.push(...updates.map((u) => u.message?.text ?? ""));
      return Promise.resolve();
    },
  });
  await until(() => clock.pendingTimers === 1, "the backoff timer");
  assertEquals(bot.callsTo("getUpdates").length, 1);
  assertTrue(warnings[0].includes("409 Conflict"), warnings[0]);
  await clock.advance(4_999);
  assertEquals(bot.callsTo("getUpdates").length, 1);
  await clock.advance(1);
  await user.send(bot, "after the conflict");
  await until(() => seen.length === 1, "the update after the conflict");
  assertEquals(seen, ["after the conflict"]);
  controller.abort();
  await polling;
  await sandbox.close();
});

Deno.test("a rejected token ends polling with a FatalError", async () => {
  const { sandbox, bot, api } = await world();
  sandbox.revokeToken(bot.token);
  await assertRejects(
    () =>
      runPoller({
        api,
        allowedUpdates: ["message"],
        signal: new AbortController().signal,
        handle: async () => {},
      }),
    FatalError,
    "401",
  );
  await sandbox.close();
});
