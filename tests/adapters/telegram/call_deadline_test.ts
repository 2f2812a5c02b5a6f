import { Api, HttpError } from "grammy";
import { assertEquals, assertThrows, assertTrue } from "../../support/assert.ts";
import {
  BOT_API_DEADLINES,
  CallDeadlineExceeded,
  callDeadlines,
  deadlineOf,
} from "../../../adapters/telegram/call_deadline.ts";
import { readBotApiFailure } from "../../../adapters/telegram/bot_api_failure.ts";
import { nativeFetch } from "../../../adapters/telegram/native_fetch.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { Sandbox } from "../../../sandbox/mod.ts";
import { waitUntil } from "../../support/wait.ts";

const deadlines = { callMs: 5_000, longPollMarginMs: 2_000 };

async function world() {
  const sandbox = await Sandbox.start();
  const shop = sandbox.createBot();
  const clock = new ManualClock(0);
  const api = new Api(shop.token, { apiRoot: sandbox.apiRoot, fetch: nativeFetch });
  api.config.use(callDeadlines(clock, deadlines));
  return { sandbox, shop, clock, api };
}

Deno.test("a long poll gets its own timeout plus the margin; every other call a few seconds", () => {
  assertEquals(deadlineOf("getUpdates", { timeout: 30 }, BOT_API_DEADLINES), 40_000);
  assertEquals(deadlineOf("getUpdates", { offset: 5 }, BOT_API_DEADLINES), 10_000);
  assertEquals(deadlineOf("sendMessage", { timeout: 30 }, BOT_API_DEADLINES), 10_000);
});

Deno.test("a call nobody answers is abandoned at its deadline as 'no answer, timed out'", async () => {
  const { sandbox, shop, clock, api } = await world();
  sandbox.hangNext(shop.token, "getMe");
  let settled = false;
  const hung = api.getMe().catch((error) => error).finally(() => (settled = true));
  await waitUntil("the call reaches the sandbox", () => shop.calls.length === 1);
  await clock.advance(4_999);
  assertEquals(settled, false);
  await clock.advance(1);
  const error = await hung;
  assertTrue(error instanceof HttpError && error.error instanceof CallDeadlineExceeded);
  const failure = readBotApiFailure(error);
  assertEquals(failure.kind === "unreachable" && failure.timedOut, true);
  assertEquals(clock.pendingTimers, 0, "no timer is left behind");
  await sandbox.close();
});

Deno.test("a hung long poll is abandoned only after its own timeout and the margin", async () => {
  const { sandbox, shop, clock, api } = await world();
  sandbox.hangNext(shop.token, "getUpdates");
  let settled = false;
  const hung = api.getUpdates({ timeout: 30 }).catch((error) => error).finally(() =>
    settled = true
  );
  await waitUntil("the call reaches the sandbox", () => shop.calls.length === 1);
  await clock.advance(31_999);
  assertEquals(settled, false);
  await clock.advance(1);
  assertTrue((await hung) instanceof HttpError);
  await sandbox.close();
});

Deno.test("the caller's own signal still cuts a call short, and is not a deadline", async () => {
  const { sandbox, shop, api } = await world();
  sandbox.hangNext(shop.token, "getMe");
  const stop = new AbortController();
  const hung = api.getMe(stop.signal as never).catch((error) => error);
  await waitUntil("the call reaches the sandbox", () => shop.calls.length === 1);
  stop.abort();
  const error = await hung;
  assertTrue(error instanceof HttpError && !(error.error instanceof CallDeadlineExceeded));
  await sandbox.close();
});

Deno.test("deadlines must be positive", () => {
  assertThrows(
    () => callDeadlines(new ManualClock(0), { callMs: 0, longPollMarginMs: 1 }),
    RangeError,
    "callMs",
  );
});
