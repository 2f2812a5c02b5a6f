import assert from "node:assert/strict";
import { Api, GrammyError, HttpError } from "grammy";
import { ManualClock } from "../../actors/kernel/clock.ts";
import { Sandbox } from "../../sandbox/mod.ts";
import { call } from "./api_helpers.ts";
import { waitUntil } from "../support/wait.ts";

Deno.test("failNext makes the next calls of one method fail, then it works again", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  await ann.send(bot, "/start");
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  sandbox.failNext(bot.token, "sendMessage", {
    error_code: 429,
    description: "Too Many Requests: retry after 3",
    parameters: { retry_after: 3 },
  }, 2);

  for (let attempt = 0; attempt < 2; attempt++) {
    const error = await api.sendMessage(ann.id, "hi").catch((e) => e);
    assert.ok(error instanceof GrammyError);
    assert.equal(error.error_code, 429);
    assert.deepEqual(error.parameters, { retry_after: 3 });
  }
  assert.deepEqual(ann.messages(bot), [], "a failed call has no effect");
  assert.equal((await api.getMe()).id, bot.id, "other methods are unaffected");
  assert.equal((await api.sendMessage(ann.id, "hi")).text, "hi");
  assert.deepEqual(bot.callsTo("sendMessage").map((c) => c.ok), [false, false, true]);
});

Deno.test("an injected failure answers with its HTTP status and envelope", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  sandbox.failNext(bot.token, "getUpdates", {
    error_code: 500,
    description: "Internal Server Error",
  });
  const { status, body } = await call(sandbox.apiRoot, bot.token, "getUpdates");
  assert.equal(status, 500);
  assert.deepEqual(body, { ok: false, error_code: 500, description: "Internal Server Error" });
  assert.throws(
    () => sandbox.failNext(bot.token, "getMe", { error_code: 500, description: "x" }, 0),
    /times must be a positive integer/,
  );
});

Deno.test("revoking a token ends its long poll with 401", async () => {
  const clock = new ManualClock(0);
  await using sandbox = await Sandbox.start({ clock });
  const bot = sandbox.createBot();
  const polling = call(sandbox.apiRoot, bot.token, "getUpdates", { timeout: 30 });
  while (clock.pendingTimers === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  sandbox.revokeToken(bot.token);
  const { status, body } = await polling;
  assert.equal(status, 401);
  assert.equal(body.description, "Unauthorized");
  assert.throws(
    () => sandbox.failNext(bot.token, "getMe", { error_code: 500, description: "x" }),
    /no live bot/,
  );
});

Deno.test("createBot and createUser refuse malformed or duplicate settings", async () => {
  await using sandbox = await Sandbox.start();
  sandbox.createBot({ token: "123456:ABCdef_ghi-JKL" });
  assert.throws(() => sandbox.createBot({ token: "123456:ABCdef_ghi-JKL" }), /already exists/);
  assert.throws(() => sandbox.createBot({ token: "no-colon" }), /malformed/);
  assert.throws(() => sandbox.createBot({ username: "shop" }), /ending in "bot"/);
  sandbox.createUser({ id: 5, firstName: "Ann" });
  assert.throws(() => sandbox.createUser({ id: 5, firstName: "Bob" }), /already exists/);
  assert.throws(() => sandbox.createUser({ firstName: "Cy", stars: -1 }), /non-negative/);
});

Deno.test("closing the sandbox settles everything still waiting, and may be repeated", async () => {
  const clock = new ManualClock(1_700_000_000_000);
  const sandbox = await Sandbox.start({ clock });
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann", stars: 10 });
  await ann.send(bot, "/start");
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  const menu = await api.sendMessage(ann.id, "Menu", {
    reply_markup: { inline_keyboard: [[{ text: "A", callback_data: "a" }]] },
  });
  const invoice = await api.sendInvoice(ann.id, "T", "D", "p", "XTR", [{ label: "T", amount: 1 }]);
  await ann.waitForMessage(bot, (m) => m.invoice !== undefined);

  const paying = ann.pay(bot, invoice);
  const clicking = ann.click(bot, menu, "a");
  const waiting = ann.waitForMessage(bot).then(() => "resolved", (e: Error) => e.message);
  const polling = call(sandbox.apiRoot, bot.token, "getUpdates", { offset: 1_000, timeout: 30 });
  while (clock.pendingTimers < 2) await new Promise((resolve) => setTimeout(resolve, 2));

  await Promise.all([sandbox.close(), sandbox.close()]);
  assert.deepEqual(await paying, { status: "timeout" });
  assert.deepEqual(await clicking, { answered: false });
  assert.equal(await waiting, "the sandbox was closed");
  assert.deepEqual((await polling).body, { ok: true, result: [] });
});

Deno.test("bad options and misuse by the test are reported as errors", async () => {
  await assert.rejects(Sandbox.start({ port: 70_000 }), /port must be an integer in 0\.\.65535/);
  await assert.rejects(
    Sandbox.start({ preCheckoutTimeoutMs: 0 }),
    /preCheckoutTimeoutMs must be a positive number/,
  );
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  await assert.rejects(ann.send(bot, ""), /a message must have text/);
  ann.block(bot);
  await assert.rejects(ann.send(bot, "hi"), /has blocked/);
  await assert.rejects(sandbox.advance(1), /needs a sandbox started with a ManualClock/);
});

Deno.test("hangNext leaves the call unanswered; the client gives up on it", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  await ann.send(bot, "/start");
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  sandbox.hangNext(bot.token, "sendMessage");
  const giveUp = new AbortController();
  const hung = api.sendMessage(ann.id, "lost", undefined, giveUp.signal as never).catch((e) => e);
  await waitUntil("the hung call is recorded", () => bot.callsTo("sendMessage").length === 1);
  giveUp.abort();
  assert.ok(await hung instanceof HttpError);
  assert.deepEqual(ann.messages(bot), [], "a hung call has no effect");
  assert.equal(bot.callsTo("sendMessage")[0].fault, "hang");
  assert.equal((await api.sendMessage(ann.id, "next")).text, "next");
});

Deno.test("a call still hanging when the sandbox closes ends as a dropped connection", async () => {
  const sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  sandbox.hangNext(bot.token, "getMe");
  const hung = new Api(bot.token, { apiRoot: sandbox.apiRoot }).getMe().catch((e) => e);
  await waitUntil("the hung call is recorded", () => bot.calls.length === 1);
  await sandbox.close();
  assert.ok(await hung instanceof HttpError);
});

Deno.test("dropNext cuts the connection before the call does anything", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  await ann.send(bot, "/start");
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  sandbox.dropNext(bot.token, "sendMessage");
  const error = await api.sendMessage(ann.id, "dropped").catch((e) => e);
  assert.ok(error instanceof HttpError, String(error));
  assert.deepEqual(ann.messages(bot), []);
  assert.deepEqual(
    bot.callsTo("sendMessage").map((c) => [c.ok, c.fault]),
    [[false, "drop"]],
  );
});

Deno.test("loseAnswerNext lets the call take effect and loses its answer", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  await ann.send(bot, "/start");
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  sandbox.loseAnswerNext(bot.token, "sendMessage");
  const error = await api.sendMessage(ann.id, "arrived").catch((e) => e);
  assert.ok(error instanceof HttpError, String(error));
  assert.deepEqual(ann.messages(bot).map((m) => m.text), ["arrived"]);
  assert.deepEqual(
    bot.callsTo("sendMessage").map((c) => [c.ok, c.fault]),
    [[true, "lose_answer"]],
  );
});
