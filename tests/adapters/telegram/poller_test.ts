import { Api } from "grammy";
import type { Update } from "grammy/types";
import { assertEquals, assertRejects, assertTrue } from "../../support/assert.ts";
import { type PollerOptions, runPoller } from "../../../adapters/telegram/poller.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { FatalError } from "../../../actors/kernel/child.ts";
import { Sandbox } from "../../../sandbox/mod.ts";
import { waitUntil } from "../../support/wait.ts";

async function world() {
  const sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const user = sandbox.createUser({ firstName: "Ann" });
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  return { sandbox, bot, user, api };
}

/** Polls `api` for messages with one-second long polls; `options` adds or replaces fields. */
function poll(
  api: Api,
  options: Pick<PollerOptions, "signal" | "handle"> & Partial<PollerOptions>,
): Promise<void> {
  return runPoller({ api, allowedUpdates: ["message"], timeoutSeconds: 1, ...options });
}

Deno.test("batches are handled in order and confirmed only after handling", async () => {
  const { sandbox, bot, user, api } = await world();
  const controller = new AbortController();
  const seen: string[] = [];
  await user.send(bot, "one");
  await user.send(bot, "two");
  const polling = poll(api, {
    signal: controller.signal,
    handle: (updates: Update[]) => {
      seen.push(...updates.map((u) => u.message?.text ?? ""));
      return Promise.resolve();
    },
  });
  await waitUntil("two updates", () => seen.length === 2);
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
      poll(api, {
        signal: new AbortController().signal,
        handle: () => Promise.reject(new Error("handler crashed")),
      }),
    Error,
    "handler crashed",
  );
  assertEquals(bot.pendingUpdateCount, 1);
  const controller = new AbortController();
  const again: string[] = [];
  const polling = poll(api, {
    signal: controller.signal,
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
  } as unknown as PollerOptions["logger"];
  sandbox.failNext(bot.token, "getUpdates", {
    error_code: 409,
    description: "Conflict: terminated by other getUpdates request",
  });
  const controller = new AbortController();
  const seen: string[] = [];
  const polling = poll(api, {
    signal: controller.signal,
    clock,
    logger,
    random: () => 0, // no jitter: the first conflict waits exactly 5 s
    handle: (updates) => {
      seen.push(...updates.map((u) => u.message?.text ?? ""));
      return Promise.resolve();
    },
  });
  // Logged, then waiting: the watchdog of the failed poll is gone, the backoff's timer is the one.
  await waitUntil("the backoff timer", () => warnings.length === 1 && clock.pendingTimers === 1);
  assertEquals(bot.callsTo("getUpdates").length, 1);
  assertTrue(warnings[0].includes("409 Conflict"), warnings[0]);
  await clock.advance(4_999);
  assertEquals(bot.callsTo("getUpdates").length, 1);
  await clock.advance(1);
  await user.send(bot, "after the conflict");
  await waitUntil("the update after the conflict", () => seen.length === 1);
  assertEquals(seen, ["after the conflict"]);
  controller.abort();
  await polling;
  await sandbox.close();
});

Deno.test("a rejected token ends polling with a FatalError", async () => {
  const { sandbox, bot, api } = await world();
  sandbox.revokeToken(bot.token);
  await assertRejects(
    () => poll(api, { signal: new AbortController().signal, handle: async () => {} }),
    FatalError,
    "401",
  );
  await sandbox.close();
});

Deno.test("a getUpdates that never answers is abandoned by the watchdog and asked again", async () => {
  const { sandbox, bot, user, api } = await world();
  const clock = new ManualClock(0);
  const warnings: string[] = [];
  const logger = {
    warn: (message: string, props: Record<string, unknown>) =>
      warnings.push(`${message} ${JSON.stringify(props)}`),
  } as unknown as PollerOptions["logger"];
  sandbox.hangNext(bot.token, "getUpdates");
  await user.send(bot, "sent while the poll hung");
  const controller = new AbortController();
  const seen: string[] = [];
  const polling = poll(api, {
    signal: controller.signal,
    clock,
    logger,
    random: () => 0, // no jitter: the retry waits exactly the first backoff, 1 s
    stallMarginMs: 5_000,
    handle: (updates) => {
      seen.push(...updates.map((u) => u.message?.text ?? ""));
      return Promise.resolve();
    },
  });
  await waitUntil("the hung poll", () => bot.callsTo("getUpdates").length === 1);
  // The long poll's own second, plus the margin: not abandoned a moment early.
  await clock.advance(5_999);
  assertEquals(warnings, []);
  await clock.advance(1);
  await waitUntil("the watchdog's warning", () => warnings.length === 1);
  assertTrue(warnings[0].includes("no answer within"), warnings[0]);
  assertEquals(bot.callsTo("getUpdates").length, 1, "asked again only after the backoff");
  await clock.advance(1_000);
  await waitUntil("the update, once asked again", () => seen.length === 1);
  assertEquals(seen, ["sent while the poll hung"]);
  controller.abort();
  await polling;
  await sandbox.close();
});

Deno.test("on a lease, each long poll ends a second before the window does, and none starts in less than two", async () => {
  const clock = new ManualClock(0);
  let windowMs = 12_400;
  const timeouts: number[] = [];
  // A Bot API whose getUpdates answers at once with nothing, recording the timeout asked for.
  const api = {
    getUpdates: (params: { timeout: number }) => {
      timeouts.push(params.timeout);
      windowMs = 1_900; // the window shrinks while no renewal comes
      return Promise.resolve([]);
    },
  } as unknown as Api;
  const controller = new AbortController();
  const polling = poll(api, {
    signal: controller.signal,
    clock,
    timeoutSeconds: 30,
    windowMs: () => windowMs,
    handle: async () => {},
  });
  await waitUntil("the poller waiting for a wider window", () => clock.pendingTimers === 1);
  assertEquals(timeouts, [11]);
  await clock.advance(250);
  assertEquals(timeouts, [11], "no poll with less than two seconds left");
  windowMs = 2_500; // renewed
  await clock.advance(250);
  await waitUntil("the next poll", () => timeouts.length === 2);
  assertEquals(timeouts, [11, 1]);
  controller.abort();
  await polling;
});
