/**
 * A plugin in its worker keeps the contract it had in the runtime's process: a grammY composer
 * whose handlers reply through the tenant's bot, the Stars service, the tenant's id and logger,
 * `next()` deciding whether the tenant's fallbacks run, and a bad plugin parking the tenant.
 * Everything crosses the message protocol here, so these tests also cover the protocol.
 */
import { assertEquals, assertRejects, assertTrue } from "../../support/assert.ts";
import { FatalError } from "../../../actors/kernel/child.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { PluginFailure } from "../../../adapters/plugins/worker_session.ts";
import { BOT_INFO, PluginFixture, textUpdate, USER_ID } from "./plugin_fixture.ts";

Deno.test("a plugin in its worker gets a composer, the Stars service and its tenant", async () => {
  await using fixture = await PluginFixture.create(`
    export default async (bot, stars, tenant) => {
      const balance = await stars.balance(1);
      await stars.offer(1, 1, "pack", "en");
      await stars.history(1, 2);
      bot.command("hi", async (ctx) => {
        const spent = await stars.deduct(ctx.from.id, 5, {
          reason: "hi",
          idempotencyKey: "hi:" + ctx.update.update_id,
        });
        await ctx.reply(\`\${tenant.id} \${balance} short \${spent.shortfall} \${ctx.me.username}\`);
      });
    };
  `);
  await fixture.host.start(BOT_INFO);
  const update = textUpdate("/hi");
  assertEquals(await fixture.run(update), false, "a handled command goes no further");
  assertEquals(fixture.starsCalls, [
    "balance 1",
    "offer 1 1 pack",
    "history 1 2",
    `deduct ${USER_ID} 5 hi:${update.update_id}`,
  ]);
  // As JSON, the way the call goes out: grammY's unset parameters fall away.
  assertEquals(JSON.parse(JSON.stringify(fixture.apiCalls)), [{
    method: "sendMessage",
    payload: { chat_id: USER_ID, text: "oracle 7 short 4 oracle_bot" },
  }]);
});

Deno.test("the plugin's next() decides whether the tenant's fallbacks run", async () => {
  await using fixture = await PluginFixture.create(`
    export default (bot) => {
      bot.command("hi", (ctx) => ctx.reply("hello"));
      bot.command("both", async (ctx, next) => {
        await ctx.reply("mine, and the fallbacks' too");
        await next();
      });
    };
  `);
  await fixture.host.start(BOT_INFO);
  assertEquals(await fixture.run(textUpdate("/hi")), false);
  assertEquals(await fixture.run(textUpdate("/other")), true, "not the plugin's: passed on");
  assertEquals(await fixture.run(textUpdate("/both")), true);
  assertEquals(fixture.texts, ["hello", "mine, and the fallbacks' too"]);
});

Deno.test("failures reach the plugin as errors, and the plugin's own errors fail the update", async () => {
  await using fixture = await PluginFixture.create(`
    import { GrammyError } from "grammy/web";
    export default (bot, stars) => {
      bot.command("history", async (ctx) => {
        try {
          await stars.history(ctx.from.id, 0);
        } catch (error) {
          await ctx.reply(\`\${error.name}: \${error.message}\`);
        }
      });
      bot.command("hook", async (ctx) => {
        try {
          await ctx.api.setWebhook("https://example.com/steal");
        } catch (error) {
          await ctx.reply(\`\${error instanceof GrammyError} \${error.error_code} \${error.description}\`);
        }
      });
      bot.command("wrong", async (ctx) => {
        try {
          await stars.balance("seven");
        } catch (error) {
          await ctx.reply(error.message);
        }
      });
      bot.command("fail", () => {
        throw new Error("no API key");
      });
    };
  `);
  await fixture.host.start(BOT_INFO);
  await fixture.run(textUpdate("/history"));
  await fixture.run(textUpdate("/hook"));
  await fixture.run(textUpdate("/wrong"));
  await assertRejects(() => fixture.run(textUpdate("/fail")), PluginFailure, "no API key");
  await fixture.run(textUpdate("/history"));
  const [history, hook, wrong, again] = fixture.texts as string[];
  assertEquals(history, "RangeError: history page must be >= 1");
  assertEquals(hook, "true 403 Forbidden: a plugin may not call setWebhook; the runtime does");
  assertTrue(wrong.startsWith("a malformed Stars call: call.userId"), wrong);
  assertEquals(again, history, "the worker goes on after a handler's error");
  assertEquals(fixture.apiCalls.map((call) => call.method), [
    "sendMessage",
    "sendMessage",
    "sendMessage",
    "sendMessage",
  ], "setWebhook never reached the Bot API");
});

Deno.test("a plugin whose file is missing or no file parks the tenant at start", async () => {
  await using missing = await PluginFixture.create("");
  await Deno.remove(missing.path);
  await assertRejects(
    () => missing.host.start(BOT_INFO),
    FatalError,
    `plugin ${missing.path} could not be loaded`,
  );
  await using folder = await PluginFixture.create("");
  await Deno.remove(folder.path);
  await Deno.mkdir(folder.path);
  await assertRejects(() => folder.host.start(BOT_INFO), FatalError, "is not a file");
});

// Whether a plugin installs is known only by running it, which waits for its first update: a
// failure then is logged, fails the update, and is tried again with backoff. A module that cannot
// load fails its worker (as it would for every tenant using the file); a default export that
// throws fails only this tenant's instance.
Deno.test("a plugin that cannot load, exports no function or throws fails its first update", async () => {
  const worker = "error: The plugin's worker was stopped (";
  const instance = "error: The plugin failed to install (";
  const cases: [string, string, string][] = [
    [`export default 42;`, "must export a function as default", worker],
    [
      `export default () => { throw new Error("no API key"); };`,
      "failed while installing: no API key",
      instance,
    ],
    [`import "./missing.ts"; export default () => {};`, "could not be loaded", worker],
    [`syntax error here`, "could not be loaded", worker],
  ];
  for (const [source, expected, logged] of cases) {
    await using fixture = await PluginFixture.create(source);
    await fixture.host.start(BOT_INFO);
    await assertRejects(() => fixture.run(textUpdate("/hi")), PluginFailure, expected);
    await assertRejects(
      () => fixture.run(textUpdate("/hi")),
      PluginFailure,
      "the plugin is restarting", // updates fail at once until the backoff has passed
    );
    assertTrue(
      fixture.logs.some((line) => line.startsWith(logged) && line.includes(expected)),
      fixture.logs.join("\n"),
    );
  }
  await using endless = await PluginFixture.create(
    `export default () => new Promise(() => {});`,
    { limits: { installTimeoutMs: 300 } },
  );
  await endless.host.start(BOT_INFO);
  await assertRejects(
    () => endless.run(textUpdate("/hi")),
    PluginFailure,
    "did not finish installing within 300 ms",
  );
});

Deno.test("the worker starts with the first update, stops when idle and starts again on demand", async () => {
  const clock = new ManualClock(1_000_000);
  await using fixture = await PluginFixture.create(
    `
    export default (bot, _stars, tenant) => {
      tenant.logger.info("Installed.");
      bot.command("hi", (ctx) => ctx.reply("hello"));
      bot.command("slow", async (ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await ctx.reply("done");
      });
    };
  `,
    { clock, idleStopAfterMs: 60_000 },
  );
  const installs = () => fixture.logs.filter((line) => line === "info: Installed.").length;
  await fixture.host.start(BOT_INFO);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assertEquals(installs(), 0, "starting the tenant does not start the worker");
  assertEquals(fixture.host.running, false);
  assertEquals(await fixture.run(textUpdate("/hi")), false);
  assertEquals(installs(), 1);
  assertEquals(fixture.host.running, true);
  await fixture.run(textUpdate("/hi"));
  assertEquals(installs(), 1, "one worker for every update while it runs");
  await clock.advance(59_999);
  assertEquals(fixture.host.running, true, "not idle long enough");
  // An update in the worker keeps it running, however long the clock says it was idle.
  const slow = fixture.run(textUpdate("/slow"));
  await clock.advance(120_000);
  assertEquals(fixture.host.running, true, "busy, so not idle");
  await slow;
  await clock.advance(60_000);
  assertEquals(fixture.host.running, false, "stopped after 60 s without an update");
  assertEquals(await fixture.run(textUpdate("/hi")), false);
  assertEquals(installs(), 2, "started again by the next update");
  assertEquals(fixture.texts, ["hello", "hello", "done", "hello"]);
  assertEquals(fixture.logs.filter((line) => line.startsWith("error")), [], "no failure logged");
});

Deno.test("a plugin's log lines reach the tenant's logger", async () => {
  await using fixture = await PluginFixture.create(`
    export default (bot, _stars, tenant) => {
      bot.command("ask", async (ctx) => {
        tenant.logger.info("Answered {userId}.", { userId: ctx.from.id });
        tenant.logger.getChild("cache").debug("Cached {value}.", { value: Symbol("x") });
        await ctx.reply("42");
      });
    };
  `);
  await fixture.host.start(BOT_INFO);
  await fixture.run(textUpdate("/ask"));
  assertEquals(fixture.records.map((record) => record.category.join(".")), [
    "test-plugin.oracle",
    "test-plugin.oracle.cache",
  ]);
  assertEquals(fixture.logs, [`info: Answered ${USER_ID}.`, "debug: Cached Symbol(x)."]);
});
