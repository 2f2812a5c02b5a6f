import assert from "node:assert/strict";
import { Api } from "grammy";
import { ManualClock } from "../../actors/kernel/clock.ts";
import { type PreCheckoutTiming, Sandbox, type SandboxBot } from "../../sandbox/mod.ts";
import { call, UpdateReader } from "./api_helpers.ts";

Deno.test("onCallStart sees a long poll when it starts, onCall only when it returns", async () => {
  const started: string[] = [];
  const finished: string[] = [];
  const clock = new ManualClock(0);
  await using sandbox = await Sandbox.start({
    clock,
    onCallStart: (bot, method) => started.push(`${bot.username} ${method}`),
    onCall: (bot, record) => finished.push(`${bot.username} ${record.method}`),
  });
  const bot = sandbox.createBot({ username: "shop_bot" });
  const polling = call(sandbox.apiRoot, bot.token, "getupdates", { timeout: 30 });
  while (clock.pendingTimers === 0) await new Promise((resolve) => setTimeout(resolve, 2));

  assert.deepEqual(started, ["shop_bot getUpdates"], "the canonical method name, at once");
  assert.deepEqual(finished, []);
  await sandbox.advance(30_000);
  assert.equal((await polling).status, 200);
  assert.deepEqual(finished, ["shop_bot getUpdates"]);
});

Deno.test("onPreCheckoutAnswered reports each answer with the time the query waited", async () => {
  const answers: { bot: SandboxBot; timing: PreCheckoutTiming }[] = [];
  const clock = new ManualClock(1_700_000_000_000);
  await using sandbox = await Sandbox.start({
    clock,
    onPreCheckoutAnswered: (bot, timing) => answers.push({ bot, timing }),
  });
  const bot = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", stars: 100 });
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  await ann.send(bot, "/start");
  const invoice = await api.sendInvoice(ann.id, "Pack", "A pack", "p", "XTR", [
    { label: "Pack", amount: 10 },
  ]);
  const reader = new UpdateReader(api);
  await reader.next(); // the /start message
  const nextQueryId = async () => (await reader.next()).pre_checkout_query!.id;

  const first = ann.pay(bot, invoice);
  const firstId = await nextQueryId();
  await sandbox.advance(250);
  await api.answerPreCheckoutQuery(firstId, false, { error_message: "Sold out" });
  assert.equal((await first).status, "rejected");

  const second = ann.pay(bot, invoice);
  const secondId = await nextQueryId();
  await sandbox.advance(40);
  await api.answerPreCheckoutQuery(secondId, true);
  assert.equal((await second).status, "paid");

  assert.deepEqual(answers.map(({ timing }) => timing), [
    { ok: false, waitedMs: 250 },
    { ok: true, waitedMs: 40 },
  ]);
  assert.ok(answers.every((answer) => answer.bot === bot), "the bot's own handle");
});

Deno.test("an unanswered pre-checkout query is not reported", async () => {
  const answers: PreCheckoutTiming[] = [];
  const clock = new ManualClock(0);
  await using sandbox = await Sandbox.start({
    clock,
    preCheckoutTimeoutMs: 1_000,
    onPreCheckoutAnswered: (_bot, timing) => answers.push(timing),
  });
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann", stars: 100 });
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  await ann.send(bot, "/start");
  const invoice = await api.sendInvoice(ann.id, "Pack", "A pack", "p", "XTR", [
    { label: "Pack", amount: 10 },
  ]);
  const paying = ann.pay(bot, invoice);
  await sandbox.advance(1_000);
  assert.equal((await paying).status, "timeout");
  assert.deepEqual(answers, []);
});
