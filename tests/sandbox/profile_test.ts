import assert from "node:assert/strict";
import { Api } from "grammy";
import { Sandbox } from "../../sandbox/mod.ts";
import { call } from "./api_helpers.ts";

Deno.test("descriptions are kept per language and fall back to the default one", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  await api.setMyDescription("A shop");
  await api.setMyDescription("Магазин", { language_code: "ru" });
  await api.setMyShortDescription("Buy things");
  assert.deepEqual(await api.getMyDescription({ language_code: "ru" }), { description: "Магазин" });
  assert.deepEqual(await api.getMyDescription({ language_code: "de" }), { description: "A shop" });
  assert.equal(bot.description("ru"), "Магазин");
  assert.equal(bot.shortDescription(), "Buy things");

  await api.setMyDescription("", { language_code: "ru" });
  assert.equal(bot.description("ru"), "A shop", "an empty text removes the language's own");
  const long = await call(sandbox.apiRoot, bot.token, "setMyShortDescription", {
    short_description: "x".repeat(121),
  });
  assert.equal(
    long.body.description,
    "Bad Request: short_description must be 0-120 characters long, got 121",
  );
});

Deno.test("setMyName renames the bot; getMe and messages use the new name", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot({ firstName: "Old" });
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  assert.deepEqual(await api.getMyName(), { name: "Old" });
  await api.setMyName("New");
  assert.deepEqual(await api.getMyName({ language_code: "en" }), { name: "New" });
  assert.equal((await api.getMe()).first_name, "New");
  assert.equal(bot.firstName, "New");
});
