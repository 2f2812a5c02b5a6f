import assert from "node:assert/strict";
import { Api, GrammyError } from "grammy";
import { Sandbox } from "../../sandbox/mod.ts";
import { call } from "./api_helpers.ts";

Deno.test("getMe answers the bot's identity through grammY's Api", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot({ username: "shop_bot", firstName: "Shop" });
  const me = await new Api(bot.token, { apiRoot: sandbox.apiRoot }).getMe();
  assert.equal(me.id, bot.id);
  assert.equal(me.is_bot, true);
  assert.equal(me.username, "shop_bot");
  assert.equal(me.first_name, "Shop");
  assert.match(bot.token, /^\d+:[A-Za-z0-9_-]{35}$/);
  assert.equal(bot.token.split(":")[0], String(bot.id));
});

Deno.test("an unknown or revoked token gets 401 Unauthorized", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const unknown = await call(sandbox.apiRoot, "123:nope", "getMe");
  assert.equal(unknown.status, 401);
  assert.deepEqual(unknown.body, { ok: false, error_code: 401, description: "Unauthorized" });

  assert.equal((await call(sandbox.apiRoot, bot.token, "getMe")).status, 200);
  sandbox.revokeToken(bot.token);
  const revoked = await call(sandbox.apiRoot, bot.token, "getMe");
  assert.equal(revoked.status, 401);
  assert.equal(revoked.body.description, "Unauthorized");
});

Deno.test("an unknown method gets 404 Not Found, and method names are case-insensitive", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const missing = await call(sandbox.apiRoot, bot.token, "sendTelepathy");
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { ok: false, error_code: 404, description: "Not Found" });
  const lower = await call(sandbox.apiRoot, bot.token, "getme");
  assert.equal(lower.body.ok, true);
  assert.equal(bot.calls.at(-1)?.method, "getMe");
});

Deno.test("a missing required parameter gets 400 naming it", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const { status, body } = await call(sandbox.apiRoot, bot.token, "sendMessage", { chat_id: 1 });
  assert.equal(status, 400);
  assert.equal(body.description, "Bad Request: text is required");
});

Deno.test("a value of the wrong type gets 400 naming the parameter and its types", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const fractional = await call(sandbox.apiRoot, bot.token, "sendMessage", {
    chat_id: 1.5,
    text: "x",
  });
  assert.equal(fractional.status, 400);
  assert.equal(
    fractional.body.description,
    "Bad Request: chat_id must be Integer or String, got 1.5",
  );
  const flag = await call(sandbox.apiRoot, bot.token, "getUpdates", { limit: "many" });
  assert.equal(flag.body.description, 'Bad Request: limit must be Integer, got "many"');
});

Deno.test("a real but unemulated method fails clearly instead of faking success", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const { status, body } = await call(sandbox.apiRoot, bot.token, "sendPhoto", {
    chat_id: 1,
    photo: "file-id",
  });
  assert.equal(status, 501);
  assert.equal(
    body.description,
    "Bad Request: method sendPhoto is not emulated by the Constellation sandbox",
  );
});

Deno.test("parameters are read from query strings, URL-encoded and multipart forms", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const ann = sandbox.createUser({ firstName: "Ann" });
  await ann.send(bot, "hi");
  const base = `${sandbox.apiRoot}/bot${bot.token}`;
  const markup = JSON.stringify({ inline_keyboard: [[{ text: "A", callback_data: "a" }]] });

  const viaQuery = await fetch(`${base}/sendMessage?chat_id=${ann.id}&text=query`);
  assert.equal(viaQuery.status, 200);

  const form = new URLSearchParams({ chat_id: String(ann.id), text: "form", reply_markup: markup });
  assert.equal((await fetch(`${base}/sendMessage`, { method: "POST", body: form })).status, 200);

  const multipart = new FormData();
  multipart.set("chat_id", String(ann.id));
  multipart.set("text", "multipart");
  multipart.set("reply_markup", markup);
  assert.equal(
    (await fetch(`${base}/sendMessage`, { method: "POST", body: multipart })).status,
    200,
  );

  const sent = ann.messages(bot);
  assert.deepEqual(sent.map((m) => m.text), ["query", "form", "multipart"]);
  assert.deepEqual(sent[2].reply_markup, JSON.parse(markup));
});

Deno.test("a test-environment bot answers only under /test/, a production bot only without", async () => {
  await using sandbox = await Sandbox.start();
  const testBot = sandbox.createBot({ testEnvironment: true });
  const prodBot = sandbox.createBot();

  const viaGrammy = new Api(testBot.token, { apiRoot: sandbox.apiRoot, environment: "test" });
  assert.equal((await viaGrammy.getMe()).id, testBot.id);
  assert.equal((await call(sandbox.apiRoot, testBot.token, "getMe")).status, 401);

  const prodOnTest = await fetch(`${sandbox.apiRoot}/bot${prodBot.token}/test/getMe`);
  assert.equal(prodOnTest.status, 401);
  await prodOnTest.body?.cancel();
});

Deno.test("grammY surfaces sandbox errors as GrammyError with Telegram's fields", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  const error = await api.sendMessage(424242, "hello").catch((e) => e);
  assert.ok(error instanceof GrammyError);
  assert.equal(error.error_code, 400);
  assert.equal(error.description, "Bad Request: chat not found");
});

Deno.test("every call is recorded with its decoded parameters and outcome", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  await call(sandbox.apiRoot, bot.token, "getUpdates", { limit: "5" });
  await call(sandbox.apiRoot, bot.token, "sendMessage", { chat_id: 1 });
  assert.deepEqual(bot.calls.map((c) => [c.method, c.ok]), [["getUpdates", true], [
    "sendMessage",
    false,
  ]]);
  assert.deepEqual(bot.calls[0].params, { limit: 5 });
  assert.equal(bot.calls[1].error?.description, "Bad Request: text is required");
});
