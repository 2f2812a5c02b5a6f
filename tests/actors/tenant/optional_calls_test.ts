import { getLogger, reset } from "@logtape/logtape";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { optionalCallBudget, OptionalCalls } from "../../../actors/tenant/optional_calls.ts";
import { assertEquals } from "../../support/assert.ts";
import { captureLogs, renderedLogs } from "../../support/log_capture.ts";

const CATEGORY = ["test-optional-calls"];

/** A call that fails until `fixed` is set, counting its attempts. */
function flakyCall(name: string) {
  const state = { fixed: false, attempts: 0 };
  return {
    state,
    call: {
      name,
      run: (signal: AbortSignal) => {
        state.attempts++;
        if (state.fixed) return Promise.resolve(true);
        if (signal.aborted) return Promise.reject(signal.reason);
        return Promise.reject(new Error("500 Internal Server Error"));
      },
    },
  };
}

function optionalCalls(clock: ManualClock, budget?: ReturnType<typeof optionalCallBudget>) {
  return new OptionalCalls({
    clock,
    random: () => 0,
    logger: getLogger(CATEGORY),
    describe: (error) => (error as Error).message,
    budget,
  });
}

Deno.test("nothing runs before start; then a failing call is retried 5 s doubling to 10 min", async () => {
  const records = await captureLogs(CATEGORY);
  try {
    const clock = new ManualClock(0);
    const calls = optionalCalls(clock);
    const menu = flakyCall("setMyCommands (default scope)");
    calls.add(menu.call);
    await clock.advance(60_000);
    assertEquals(menu.state.attempts, 0, "ran before the tenant served");

    calls.start();
    await clock.advance(0);
    assertEquals(menu.state.attempts, 1);
    assertEquals(calls.failures(), [{
      call: "setMyCommands (default scope)",
      error: "500 Internal Server Error",
      attempts: 1,
      failingSince: 60_000,
      nextAttemptAt: 65_000,
    }]);
    // 5, 10, 20, 40 … seconds apart, never more than 10 minutes.
    const attemptsAt: number[] = [];
    for (let step = 0; step < 9; step++) {
      await clock.advance(clock.nextTimerAt()! - clock.now());
      await clock.advance(0);
      attemptsAt.push(clock.now() - 60_000);
    }
    assertEquals(attemptsAt, [
      5_000,
      15_000,
      35_000,
      75_000,
      155_000,
      315_000,
      635_000,
      1_235_000,
      1_835_000,
    ]);
    assertEquals(menu.state.attempts, 10);
    assertEquals(calls.failures()[0].failingSince, 60_000);

    menu.state.fixed = true;
    await clock.advance(600_000);
    assertEquals(calls.failures(), []);
    assertEquals(clock.pendingTimers, 0, "a retry was left after the success");
    assertEquals(renderedLogs(records).filter((line) => !line.startsWith("debug")), [
      "warning: setMyCommands (default scope) failed (500 Internal Server Error); the bot " +
      "serves without it, and it is retried in the background.",
      "info: setMyCommands (default scope) went through after 10 failed attempt(s).",
    ]);
  } finally {
    await reset();
  }
});

Deno.test("a call that failed while the tenant started waits a backoff step before its retry", async () => {
  const clock = new ManualClock(0);
  const calls = optionalCalls(clock);
  const webhook = flakyCall("deleteWebhook");
  webhook.state.fixed = true;
  calls.retryLater(webhook.call, new Error("500 during the start"));
  calls.start();
  await clock.advance(0);
  assertEquals(webhook.state.attempts, 0);
  assertEquals(calls.failures().map((f) => [f.call, f.error, f.attempts]), [
    ["deleteWebhook", "500 during the start", 1],
  ]);
  await clock.advance(5_000);
  assertEquals(webhook.state.attempts, 1);
  assertEquals(calls.failures(), []);
});

Deno.test("stop gives up the call in flight and every retry", async () => {
  const clock = new ManualClock(0);
  const calls = optionalCalls(clock);
  const hanging = {
    name: "setMyCommands (chat 42)",
    aborted: false,
    run(signal: AbortSignal) {
      return new Promise((_, reject) =>
        signal.addEventListener("abort", () => {
          this.aborted = true;
          reject(signal.reason);
        })
      );
    },
  };
  const menu = flakyCall("setMyCommands (default scope)");
  calls.add(hanging);
  calls.add(menu.call);
  calls.start();
  await clock.advance(0);
  calls.stop();
  await clock.advance(3_600_000);
  assertEquals(hanging.aborted, true);
  assertEquals(menu.state.attempts, 1);
  assertEquals(clock.pendingTimers, 0);
  calls.add(flakyCall("added after the stop").call);
  calls.start();
  await clock.advance(0);
  assertEquals(calls.failures().map((f) => f.call), ["setMyCommands (default scope)"]);
});

Deno.test("tenants sharing the budget: 4 calls in flight across them, one per tenant", async () => {
  const clock = new ManualClock(0);
  const budget = optionalCallBudget();
  const running = new Set<string>();
  let most = 0;
  const finish: (() => void)[] = [];
  const tenants = Array.from({ length: 6 }, () => optionalCalls(clock, budget));
  tenants.forEach((calls, t) => {
    for (const scope of ["default", "en", "ru"]) {
      const name = `tenant ${t} ${scope}`;
      calls.add({
        name,
        run: () => {
          running.add(name);
          most = Math.max(most, running.size);
          const perTenant = [...running].filter((n) => n.startsWith(`tenant ${t} `)).length;
          assertEquals(perTenant, 1, `one call of tenant ${t} at a time`);
          return new Promise<boolean>((resolve) =>
            finish.push(() => (running.delete(name), resolve(true)))
          );
        },
      });
    }
    calls.start();
  });
  let done = 0;
  while (done < 18) {
    await clock.advance(0);
    assertEquals(running.size <= 4, true, `${running.size} in flight`);
    const next = finish.shift();
    if (next === undefined) throw new Error(`stuck after ${done} calls`);
    next();
    done++;
  }
  assertEquals(most, 4);
  for (const calls of tenants) calls.stop();
});

Deno.test("a tenant stopped while its call waits for the budget never makes it", async () => {
  const clock = new ManualClock(0);
  const budget = optionalCallBudget();
  // Four tenants hold the four permits (one each); the fifth waits.
  const holders = [0, 1, 2, 3].map(() => optionalCalls(clock, budget));
  const releases: (() => void)[] = [];
  for (const calls of holders) {
    calls.add({
      name: "hold",
      run: () => new Promise((resolve) => releases.push(() => resolve(true))),
    });
    calls.start();
  }
  await clock.advance(0);
  let ran = false;
  const waiting = optionalCalls(clock, budget);
  waiting.add({ name: "late", run: () => (ran = true, Promise.resolve(true)) });
  waiting.start();
  await clock.advance(0);
  waiting.stop();
  for (const free of releases) free();
  await clock.advance(0);
  assertEquals(ran, false);
  assertEquals(waiting.failures(), []);
  for (const calls of holders) calls.stop();
});
