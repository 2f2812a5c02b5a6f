import assert from "node:assert/strict";
import { Api, Bot, GrammyError } from "grammy";
import type { Update } from "grammy/types";
import { ManualClock } from "../../actors/kernel/clock.ts";
import { Sandbox } from "../../sandbox/mod.ts";
import { waitUntil } from "../support/wait.ts";
import { call, result } from "./api_helpers.ts";

Deno.test("getUpdates returns unconfirmed updates until an offset above them confirms", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  await ann.send(bot, "one");
  await ann.send(bot, "two");

  const first = await result<Update[]>(sandbox.apiRoot, bot.token, "getUpdates");
  assert.deepEqual(first.map((u) => u.message?.text), ["one", "two"]);
  const again = await result<Update[]>(sandbox.apiRoot, bot.token, "getUpdates");
  assert.equal(again.length, 2, "without an offset nothing is confirmed");

  const rest = await result<Update[]>(sandbox.apiRoot, bot.token, "getUpdates", {
    offset: first[0].update_id + 1,
  });
  assert.deepEqual(rest.map((u) => u.message?.text), ["two"]);
  await result(sandbox.apiRoot, bot.token, "getUpdates", { offset: first[1].update_id + 1 });
  assert.equal(bot.pendingUpdateCount, 0);
});

Deno.test("getUpdates honours limit and a negative offset keeps only the last updates", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  for (const text of ["a", "b", "c", "d"]) await ann.send(bot, text);

  const limited = await result<Update[]>(sandbox.apiRoot, bot.token, "getUpdates", { limit: 3 });
  assert.deepEqual(limited.map((u) => u.message?.text), ["a", "b", "c"]);
  const lastTwo = await result<Update[]>(sandbox.apiRoot, bot.token, "getUpdates", { offset: -2 });
  assert.deepEqual(lastTwo.map((u) => u.message?.text), ["c", "d"]);
  assert.equal(bot.pendingUpdateCount, 2, "the earlier updates are forgotten");
});

Deno.test("update ids increase by one per update", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  await ann.send(bot, "a");
  await ann.send(bot, "b");
  const [a, b] = await result<Update[]>(sandbox.apiRoot, bot.token, "getUpdates");
  assert.equal(b.update_id, a.update_id + 1);
});

Deno.test("a long poll returns as soon as an update arrives", async () => {
  const clock = new ManualClock(1_700_000_000_000);
  await using sandbox = await Sandbox.start({ clock });
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });

  const polling = api.getUpdates({ timeout: 50 });
  await waitUntil("the poll registered and waiting", () => clock.pendingTimers > 0);
  await ann.send(bot, "wake up");
  const updates = await polling;
  assert.deepEqual(updates.map((u) => u.message?.text), ["wake up"]);
  assert.equal(clock.now(), 1_700_000_000_000, "no simulated time had to pass");
});

Deno.test("a long poll with nothing to return ends after its timeout on the sandbox clock", async () => {
  const clock = new ManualClock(0);
  await using sandbox = await Sandbox.start({ clock });
  const bot = sandbox.createBot();
  const polling = call(sandbox.apiRoot, bot.token, "getUpdates", { timeout: 30 });
  await waitUntil("the poll registered and waiting", () => clock.pendingTimers > 0);
  await sandbox.advance(30_000);
  assert.deepEqual((await polling).body, { ok: true, result: [] });
});

Deno.test("a second poller ends the first one's long poll with 409", async () => {
  const clock = new ManualClock(0);
  await using sandbox = await Sandbox.start({ clock });
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  const first = call(sandbox.apiRoot, bot.token, "getUpdates", { timeout: 20 });
  await waitUntil("the poll registered and waiting", () => clock.pendingTimers > 0);
  const secondApi = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  const second = secondApi.getUpdates({ timeout: 20 });

  const loser = await first;
  assert.equal(loser.status, 409);
  assert.equal(
    loser.body.description,
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
  );
  await ann.send(bot, "for the survivor");
  assert.deepEqual((await second).map((u) => u.message?.text), ["for the survivor"]);
});

Deno.test("allowed_updates is remembered between calls and filters new updates", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  await ann.send(bot, "before");
  await result(sandbox.apiRoot, bot.token, "getUpdates", { allowed_updates: ["callback_query"] });
  await ann.send(bot, "filtered out");
  const updates = await result<Update[]>(sandbox.apiRoot, bot.token, "getUpdates");
  assert.deepEqual(
    updates.map((u) => u.message?.text),
    ["before"],
    "created before the filter, so kept",
  );

  await result(sandbox.apiRoot, bot.token, "getUpdates", { allowed_updates: [] });
  await ann.send(bot, "default again");
  const after = await result<Update[]>(sandbox.apiRoot, bot.token, "getUpdates");
  assert.deepEqual(after.map((u) => u.message?.text), ["before", "default again"]);
});

Deno.test("getUpdates answers 409 while a webhook is set", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const hook = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("ok"),
  );
  try {
    await result(sandbox.apiRoot, bot.token, "setWebhook", {
      url: `http://127.0.0.1:${hook.addr.port}/hook`,
    });
    const error = await new Api(bot.token, { apiRoot: sandbox.apiRoot }).getUpdates().catch((
      e,
    ) => e);
    assert.ok(error instanceof GrammyError);
    assert.equal(error.error_code, 409);
    assert.equal(
      error.description,
      "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );
    await result(sandbox.apiRoot, bot.token, "deleteWebhook");
    assert.deepEqual(await result(sandbox.apiRoot, bot.token, "getUpdates"), []);
  } finally {
    await hook.shutdown();
  }
});

Deno.test("a grammY Bot polls, handles a command and replies; the user reads the reply", async () => {
  await using sandbox = await Sandbox.start();
  const shop = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  const bot = new Bot(shop.token, { client: { apiRoot: sandbox.apiRoot } });
  bot.command("start", (ctx) => ctx.reply(`Hello, ${ctx.from?.first_name}! payload=${ctx.match}`));
  const started = Promise.withResolvers<void>();
  const running = bot.start({ drop_pending_updates: true, onStart: () => started.resolve() });
  try {
    await started.promise; // after this, drop_pending_updates cannot drop the message below
    await ann.send(shop, "/start buy_pack");
    const reply = await ann.waitForMessage(shop);
    assert.equal(reply.text, "Hello, Ann! payload=buy_pack");
    assert.equal(reply.from?.id, shop.id);
    assert.equal(reply.chat.id, ann.id);
  } finally {
    await bot.stop();
    await running;
  }
  assert.equal(shop.pendingUpdateCount, 0, "grammY confirmed the update when stopping");
});
