/**
 * What a plugin does wrong stays in its worker: a busy loop, a throw in a timer, an unhandled
 * rejection and unbounded memory each end that worker, which is restarted with backoff, while
 * the host's thread — where every tenant runs — goes on. Run in the runtime's process (as
 * before the workers), the loop would have held this test's thread for a minute and the throw
 * and the rejection would have ended the test process.
 */
import {
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertTrue,
} from "../../support/assert.ts";
import { waitUntil } from "../../support/wait.ts";
import { PluginFailure } from "../../../adapters/plugins/worker_session.ts";
import { BOT_INFO, PluginFixture, textUpdate } from "./plugin_fixture.ts";

/** A plugin with one way to misbehave per command, and `/ping` to see it is back. */
const UNRULY_PLUGIN = `
export default (bot) => {
  bot.command("ping", (ctx) => ctx.reply("pong"));
  bot.command("loop", () => {
    const until = Date.now() + 60_000;
    while (Date.now() < until) { /* a minute of the worker's thread */ }
  });
  bot.command("timer", async (ctx) => {
    await ctx.reply("armed");
    setTimeout(() => { throw new Error("timer boom"); }, 50);
  });
  bot.command("reject", async (ctx) => {
    Promise.reject(new Error("rejected boom"));
    await ctx.reply("armed");
  });
  bot.command("grow", async () => {
    const kept = [];
    await new Promise(() => setInterval(() => kept.push(new Array(1_000_000).fill(kept.length)), 5));
  });
  bot.command("hang", () => new Promise(() => {}));
};
`;

/** Small limits and a short backoff, so each case takes about a second. */
const FAST = {
  limits: { blockedAfterMs: 600, updateDeadlineMs: 1_500, memoryLimitBytes: 48 * 1024 * 1024 },
  backoff: { minMs: 50, maxMs: 200 },
};

async function unruly(): Promise<PluginFixture> {
  const fixture = await PluginFixture.create(UNRULY_PLUGIN, FAST);
  await fixture.host.start(BOT_INFO);
  return fixture;
}

/**
 * Waits until the host has logged that the worker stopped because it `reason`, and until the
 * restarted worker answers `/ping` (an update sent meanwhile fails).
 */
async function restartedAfter(fixture: PluginFixture, reason: string): Promise<void> {
  await waitUntil(
    `the worker stopped because it ${reason}`,
    () => fixture.logs.some((line) => line.includes(`worker was stopped (${reason}`)),
  );
  await waitUntil("the plugin answering /ping again", async () => {
    try {
      await fixture.run(textUpdate("/ping"));
      return true;
    } catch (error) {
      if (error instanceof PluginFailure) return false;
      throw error;
    }
  });
  assertEquals(fixture.texts.at(-1), "pong");
}

Deno.test("a busy loop is ended within the heartbeat limit, and this thread never waits for it", async () => {
  await using fixture = await unruly();
  const started = Date.now();
  const loop = fixture.run(textUpdate("/loop"));
  // Timers of this thread still fire on time while the plugin's thread is busy.
  let lateness = 0;
  for (let i = 0; i < 5; i++) {
    const before = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    lateness = Math.max(lateness, Date.now() - before - 20);
  }
  assertTrue(lateness < 500, `this thread was held up ${lateness} ms`);
  await assertRejects(() => loop, PluginFailure, "blocked: no answer to a heartbeat for 600 ms");
  assertTrue(Date.now() - started < 10_000, "ended long before the loop would have");
  await restartedAfter(fixture, "blocked: no answer to a heartbeat for 600 ms");
});

Deno.test("a throw in a plugin's timer ends only its worker, which is restarted", async () => {
  await using fixture = await unruly();
  await fixture.run(textUpdate("/timer"));
  assertEquals(fixture.texts, ["armed"]);
  await restartedAfter(fixture, "threw: timer boom");
});

Deno.test("an unhandled rejection in a plugin ends only its worker, which is restarted", async () => {
  await using fixture = await unruly();
  // The rejection may end the worker before the update is answered: then the update fails.
  await fixture.run(textUpdate("/reject")).catch((error) => {
    if (!(error instanceof PluginFailure)) throw error;
    assertStringIncludes(error.message, "an unhandled rejection: rejected boom");
  });
  await restartedAfter(fixture, "threw: an unhandled rejection: rejected boom");
});

Deno.test("a plugin over its memory limit is ended and restarted", async () => {
  await using fixture = await unruly();
  const error = await assertRejects(() => fixture.run(textUpdate("/grow")), PluginFailure);
  assertStringIncludes(error.message, "over its limit of 48 MiB");
  await restartedAfter(fixture, "held ");
});

Deno.test("an update past its deadline fails alone; the worker, still answering, keeps running", async () => {
  await using fixture = await unruly();
  await assertRejects(
    () => fixture.run(textUpdate("/hang")),
    PluginFailure,
    "did not finish update",
  );
  await fixture.run(textUpdate("/ping"));
  assertEquals(fixture.texts, ["pong"]);
  assertEquals(fixture.logs.filter((line) => line.includes("stopped")), [], "never restarted");
});

Deno.test("updates meant for a plugin that is restarting fail at once", async () => {
  await using fixture = await PluginFixture.create(UNRULY_PLUGIN, {
    ...FAST,
    backoff: { minMs: 60_000, maxMs: 60_000 },
  });
  await fixture.host.start(BOT_INFO);
  await fixture.run(textUpdate("/timer"));
  const error = await waitUntil("the worker ended", async () => {
    try {
      await fixture.run(textUpdate("/ping"));
      return false;
    } catch (error) {
      return error as Error;
    }
  });
  assertTrue(error instanceof PluginFailure, String(error));
  assertStringIncludes(error.message, "timer boom");
});
