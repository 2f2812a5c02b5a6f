import { assertEquals, assertRejects, assertTrue } from "../../support/assert.ts";
import { type FloodGates, UpstreamCaller } from "../../../actors/balance/upstream_call.ts";
import { FloodWaitError, UpstreamTimeoutError } from "../../../money/bot_stars/types.ts";
import { flushMicrotasks, ManualClock } from "../../../actors/kernel/clock.ts";
import { settled } from "./balance_fixture.ts";

function setup(options: { floodWaitMaxMs?: number; gates?: Partial<FloodGates> } = {}) {
  const clock = new ManualClock(0);
  const stop = new AbortController();
  const gates: FloodGates = { mtproto: 0, bot_api: 0, ...options.gates };
  const caller = new UpstreamCaller({
    clock,
    callTimeoutMs: 1_000,
    floodWaitMaxMs: options.floodWaitMaxMs ?? 60_000,
    signal: stop.signal,
    gates,
  });
  /** A call that answers from `outcomes` in turn (an Error is thrown) and records when. */
  const scripted = (...outcomes: (number | Error)[]) => {
    const times: number[] = [];
    const call = (_signal: AbortSignal) => {
      times.push(clock.now());
      const outcome = outcomes.shift();
      return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
    };
    return { call, times };
  };
  return { clock, stop, gates, caller, scripted };
}

Deno.test("a call that answers in time resolves with the answer", async () => {
  const { caller, scripted } = setup();
  const upstream = scripted(7);
  assertEquals(await caller.call("bot_api", "getMyStarBalance", upstream.call), 7);
  assertEquals(upstream.times, [0]);
});

Deno.test("a call that ignores its signal still times out, and its signal is aborted", async () => {
  const { clock, caller } = setup();
  let seen: AbortSignal | undefined;
  const call = caller.call("bot_api", "getMyStarBalance", (signal) => {
    seen = signal;
    return new Promise<never>(() => {});
  });
  await clock.advance(999);
  assertEquals(await settled(call), false);
  await clock.advance(1);
  await assertRejects(
    () => call,
    UpstreamTimeoutError,
    "getMyStarBalance gave no answer within 1000 ms",
  );
  assertTrue(seen?.aborted);
  assertEquals(clock.pendingTimers, 0);
});

Deno.test("a short flood wait is slept and the call made once more", async () => {
  const { clock, caller, gates, scripted } = setup();
  const upstream = scripted(new FloodWaitError(5), 9);
  const call = caller.call("bot_api", "getMyStarBalance", upstream.call);
  await clock.advance(4_999);
  assertEquals(upstream.times, [0]);
  await clock.advance(1);
  assertEquals(await call, 9);
  assertEquals(upstream.times, [0, 5_000]);
  assertEquals(gates, { mtproto: 0, bot_api: 5_000 });
});

Deno.test("a second flood wait in a row is thrown, not slept again", async () => {
  const { clock, caller, gates, scripted } = setup();
  const upstream = scripted(new FloodWaitError(5), new FloodWaitError(8), 9);
  const call = caller.call("mtproto", "getStarsStatus", upstream.call);
  const rejected = assertRejects(() => call, FloodWaitError, "wait 8 s");
  await clock.advance(5_000);
  await rejected;
  assertEquals(upstream.times, [0, 5_000]);
  assertEquals(gates.mtproto, 13_000, "the session's next call waits for the second wait too");
});

Deno.test("a long flood wait fails at once and blocks the session until it is short enough to sleep", async () => {
  const { clock, caller, gates, scripted } = setup({ floodWaitMaxMs: 60_000 });
  const upstream = scripted(new FloodWaitError(100), 4);
  await assertRejects(
    () => caller.call("bot_api", "getMyStarBalance", upstream.call),
    FloodWaitError,
    "wait 100 s",
  );
  assertEquals(gates.bot_api, 100_000);

  await clock.advance(39_500); // 60.5 s left
  await assertRejects(
    () => caller.call("bot_api", "getMyStarBalance", upstream.call),
    FloodWaitError,
    "wait 61 s before calling again (getMyStarBalance not called: the flood wait still in " +
      "force is longer than floodWaitMaxMs (60000 ms))",
  );
  assertEquals(upstream.times, [0], "no call while the wait is too long to sleep");

  await clock.advance(500); // 60 s left: sleep it
  const call = caller.call("bot_api", "getMyStarBalance", upstream.call);
  await clock.advance(60_000);
  assertEquals(await call, 4);
  assertEquals(upstream.times, [0, 100_000]);
});

Deno.test("a flood wait on one session leaves the other free", async () => {
  const { caller, scripted } = setup({ gates: { mtproto: 1_000_000 } });
  const upstream = scripted(3);
  assertEquals(await caller.call("bot_api", "getMyStarBalance", upstream.call), 3);
});

Deno.test("aborting the outer signal ends a flood wait sleep and a call in flight", async () => {
  const sleeping = setup({ gates: { bot_api: 10_000 } });
  const asleep = sleeping.caller.call("bot_api", "x", () => Promise.resolve(1));
  sleeping.stop.abort(new Error("unregistered"));
  await assertRejects(() => asleep, Error, "unregistered");

  const calling = setup();
  let seen: AbortSignal | undefined;
  const inFlight = calling.caller.call("bot_api", "x", (signal) => {
    seen = signal;
    return new Promise<never>(() => {});
  });
  await flushMicrotasks();
  assertTrue(seen !== undefined, "the call is in flight");
  calling.stop.abort(new Error("stopping"));
  await assertRejects(() => inFlight, Error, "stopping");
  assertEquals((seen?.reason as Error).message, "stopping");
  await assertRejects(
    () => calling.caller.call("bot_api", "x", () => Promise.resolve(1)),
    Error,
    "stopping",
  );
});
