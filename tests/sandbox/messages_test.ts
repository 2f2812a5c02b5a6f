import assert from "node:assert/strict";
import { Api, GrammyError } from "grammy";
import type { Update } from "grammy/types";
import { Sandbox } from "../../sandbox/mod.ts";
import { call, result } from "./api_helpers.ts";

async function setup() {
  const sandbox = await Sandbox.start();
  const bot = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", username: "ann", languageCode: "ru" });
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  return { sandbox, bot, ann, api };
}

Deno.test("user.send builds a private-chat message with bot_command entities", async () => {
  const { sandbox, bot, ann, api } = await setup();
  await using _ = sandbox;
  const sent = await ann.send(bot, "/start buy_pack and /help@shop_bot, not a/path");
  const [update] = await api.getUpdates();
  assert.deepEqual(update.message, sent);
  assert.deepEqual(sent.chat, { id: ann.id, type: "private", first_name: "Ann", username: "ann" });
  assert.deepEqual(sent.from, {
    id: ann.id,
    is_bot: false,
    first_name: "Ann",
    username: "ann",
    language_code: "ru",
  });
  assert.deepEqual(sent.entities, [
    { type: "bot_command", offset: 0, length: 6 },
    { type: "bot_command", offset: 20, length: 14 },
  ]);
});

Deno.test("a bot cannot write first, and a blocked bot gets 403", async () => {
  const { sandbox, bot, ann, api } = await setup();
  await using _ = sandbox;
  const first = await api.sendMessage(ann.id, "hi").catch((e) => e);
  assert.ok(first instanceof GrammyError);
  assert.equal(first.description, "Forbidden: bot can't initiate conversation with a user");

  await ann.send(bot, "/start");
  ann.block(bot);
  const blocked = await api.sendMessage(ann.id, "hi").catch((e) => e);
  assert.equal(blocked.error_code, 403);
  assert.equal(blocked.description, "Forbidden: bot was blocked by the user");
  const updates = await api.getUpdates();
  assert.equal(updates[1].my_chat_member?.new_chat_member.status, "kicked");

  ann.unblock(bot);
  assert.equal((await api.sendMessage(ann.id, "welcome back")).text, "welcome back");
});

Deno.test("waitForMessage returns unread messages in order, even ones sent before the call", async () => {
  const { sandbox, bot, ann, api } = await setup();
  await using _ = sandbox;
  await ann.send(bot, "/start");
  await api.sendMessage(ann.id, "one");
  await api.sendMessage(ann.id, "two");
  assert.equal((await ann.waitForMessage(bot)).text, "one");
  assert.equal((await ann.waitForMessage(bot)).text, "two");

  const later = ann.waitForMessage(bot, (m) => m.text === "four");
  await api.sendMessage(ann.id, "three");
  await api.sendMessage(ann.id, "four");
  assert.equal((await later).text, "four");
  await assert.rejects(
    ann.waitForMessage(bot, undefined, { timeoutMs: 30 }),
    /no matching message/,
    "three was passed over by the predicate wait and counts as read",
  );
  assert.deepEqual(ann.messages(bot).map((m) => m.text), ["one", "two", "three", "four"]);
});

Deno.test("sendMessage parses HTML and MarkdownV2 and rejects bad markup like Telegram", async () => {
  const { sandbox, bot, ann, api } = await setup();
  await using _ = sandbox;
  await ann.send(bot, "/start");
  const html = await api.sendMessage(ann.id, "<b>Pack</b> &lt;3&gt;", { parse_mode: "HTML" });
  assert.equal(html.text, "Pack <3>");
  assert.deepEqual(html.entities, [{ type: "bold", offset: 0, length: 4 }]);

  const md = await api.sendMessage(ann.id, "*5* stars\\.", { parse_mode: "MarkdownV2" });
  assert.equal(md.text, "5 stars.");
  const bad = await api.sendMessage(ann.id, "5 stars.", { parse_mode: "MarkdownV2" }).catch((e) =>
    e
  );
  assert.equal(
    bad.description,
    "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
  );
  const unclosed = await api.sendMessage(ann.id, "<b>x", { parse_mode: "HTML" }).catch((e) => e);
  assert.match(unclosed.description, /Can't find end tag corresponding to start tag "b"/);
  const empty = await call(sandbox.apiRoot, bot.token, "sendMessage", {
    chat_id: ann.id,
    text: "  ",
  });
  assert.equal(empty.body.description, "Bad Request: message text is empty");
});

Deno.test("a click sends a callback_query and resolves with the bot's answer", async () => {
  const { sandbox, bot, ann, api } = await setup();
  await using _ = sandbox;
  await ann.send(bot, "/start");
  const menu = await api.sendMessage(ann.id, "Choose", {
    reply_markup: { inline_keyboard: [[{ text: "Buy", callback_data: "buy:1" }]] },
  });
  const [start] = await api.getUpdates();

  const clicking = ann.click(bot, menu, "buy:1");
  const [update] = await api.getUpdates({ offset: start.update_id + 1, timeout: 5 });
  const query = update.callback_query!;
  assert.equal(query.data, "buy:1");
  assert.equal(query.from.id, ann.id);
  assert.equal(query.message?.message_id, menu.message_id);
  await api.answerCallbackQuery(query.id, { text: "Added" });
  assert.deepEqual(await clicking, {
    answered: true,
    text: "Added",
    showAlert: undefined,
    url: undefined,
  });

  const twice = await api.answerCallbackQuery(query.id).catch((e) => e);
  assert.equal(
    twice.description,
    "Bad Request: query is too old and response timeout expired or query ID is invalid",
  );
  await assert.rejects(ann.click(bot, menu, "sell"), /no button with callback_data "sell"/);
});

Deno.test("a click the bot never answers resolves unanswered after the timeout", async () => {
  const { sandbox, bot, ann, api } = await setup();
  await using _ = sandbox;
  await ann.send(bot, "/start");
  const menu = await api.sendMessage(ann.id, "Choose", {
    reply_markup: { inline_keyboard: [[{ text: "A", callback_data: "a" }]] },
  });
  assert.deepEqual(await ann.click(bot, menu, "a", { timeoutMs: 20 }), { answered: false });
});

Deno.test("edits replace the message the user sees; unchanged edits are refused", async () => {
  const { sandbox, bot, ann, api } = await setup();
  await using _ = sandbox;
  await ann.send(bot, "/start");
  const keyboard = { inline_keyboard: [[{ text: "A", callback_data: "a" }]] };
  const sent = await api.sendMessage(ann.id, "v1", { reply_markup: keyboard });

  const edited = await api.editMessageText(ann.id, sent.message_id, "v2", {
    reply_markup: keyboard,
  });
  assert.ok(edited !== true && edited.edit_date !== undefined);
  assert.equal(ann.messages(bot)[0].text, "v2");

  const same = await api.editMessageText(ann.id, sent.message_id, "v2", { reply_markup: keyboard })
    .catch((e) => e);
  assert.match(same.description, /^Bad Request: message is not modified/);

  await api.editMessageReplyMarkup(ann.id, sent.message_id);
  assert.equal(ann.messages(bot)[0].reply_markup, undefined);

  const userMessage = await ann.send(bot, "mine");
  const foreign = await api.editMessageText(ann.id, userMessage.message_id, "x").catch((e) => e);
  assert.equal(foreign.description, "Bad Request: message can't be edited");
  const missing = await api.editMessageText(ann.id, 999, "x").catch((e) => e);
  assert.equal(missing.description, "Bad Request: message to edit not found");
});

Deno.test("deleteMessage removes a message; deleting it again fails", async () => {
  const { sandbox, bot, ann, api } = await setup();
  await using _ = sandbox;
  await ann.send(bot, "/start");
  const sent = await api.sendMessage(ann.id, "bye");
  assert.equal(await api.deleteMessage(ann.id, sent.message_id), true);
  assert.deepEqual(ann.messages(bot), []);
  const again = await api.deleteMessage(ann.id, sent.message_id).catch((e) => e);
  assert.equal(again.description, "Bad Request: message to delete not found");
});

Deno.test("reply keyboards and chat actions are visible to the user", async () => {
  const { sandbox, bot, ann, api } = await setup();
  await using _ = sandbox;
  await ann.send(bot, "/start");
  await api.sendChatAction(ann.id, "typing");
  assert.equal(ann.lastChatAction(bot), "typing");
  const badAction = await api.sendChatAction(ann.id, "dancing" as "typing").catch((e) => e);
  assert.equal(badAction.description, "Bad Request: wrong parameter action in request");

  await api.sendMessage(ann.id, "Pick", {
    reply_markup: { keyboard: [[{ text: "Catalog" }]], resize_keyboard: true },
  });
  assert.deepEqual(ann.replyKeyboard(bot)?.keyboard, [[{ text: "Catalog" }]]);
  await api.sendMessage(ann.id, "Done", { reply_markup: { remove_keyboard: true } });
  assert.equal(ann.replyKeyboard(bot), undefined);
});

Deno.test("inline keyboards are validated like Telegram's", async () => {
  const { sandbox, bot, ann } = await setup();
  await using _ = sandbox;
  await ann.send(bot, "/start");
  const longData = await call(sandbox.apiRoot, bot.token, "sendMessage", {
    chat_id: ann.id,
    text: "x",
    reply_markup: { inline_keyboard: [[{ text: "A", callback_data: "x".repeat(65) }]] },
  });
  assert.match(longData.body.description!, /^Bad Request: BUTTON_DATA_INVALID/);
  const textOnly = await call(sandbox.apiRoot, bot.token, "sendMessage", {
    chat_id: ann.id,
    text: "x",
    reply_markup: { inline_keyboard: [[{ text: "A" }]] },
  });
  assert.match(textOnly.body.description!, /text buttons are unallowed in the inline keyboard/);
});

Deno.test("setMyCommands per scope and language; the user sees the best match", async () => {
  const { sandbox, bot, ann, api } = await setup();
  await using _ = sandbox;
  await api.setMyCommands([{ command: "start", description: "Start" }]);
  await api.setMyCommands([{ command: "start", description: "Начать" }], { language_code: "ru" });
  await api.setMyCommands([{ command: "vip", description: "VIP" }], {
    scope: { type: "chat", chat_id: 42 },
  });

  assert.deepEqual(await api.getMyCommands(), [{ command: "start", description: "Start" }]);
  assert.deepEqual(await api.getMyCommands({ language_code: "ru" }), [{
    command: "start",
    description: "Начать",
  }]);
  assert.deepEqual(bot.commandsFor(ann), [{ command: "start", description: "Начать" }]);

  await api.deleteMyCommands({ language_code: "ru" });
  assert.deepEqual(bot.commandsFor(ann), [{ command: "start", description: "Start" }]);

  const bad = await call(sandbox.apiRoot, bot.token, "setMyCommands", {
    commands: [{ command: "Start!", description: "x" }],
  });
  assert.match(bad.body.description!, /^Bad Request: BOT_COMMAND_INVALID/);
});

Deno.test("the chat menu button can be set per chat and by default", async () => {
  const { sandbox, bot, ann, api } = await setup();
  await using _ = sandbox;
  assert.deepEqual(await api.getChatMenuButton(), { type: "commands" });
  const webApp = {
    type: "web_app",
    text: "Shop",
    web_app: { url: "https://example.org" },
  } as const;
  await api.setChatMenuButton({ chat_id: ann.id, menu_button: webApp });
  assert.deepEqual(await api.getChatMenuButton({ chat_id: ann.id }), webApp);
  assert.deepEqual(await api.getChatMenuButton(), { type: "commands" });
  assert.equal(bot.calls.filter((c) => c.method === "setChatMenuButton").length, 1);
});

Deno.test("a reply to a user's message carries reply_to_message", async () => {
  const { sandbox, bot, ann } = await setup();
  await using _ = sandbox;
  const question = await ann.send(bot, "price?");
  const answer = await result<{ reply_to_message?: Update["message"] }>(
    sandbox.apiRoot,
    bot.token,
    "sendMessage",
    { chat_id: ann.id, text: "5 stars", reply_parameters: { message_id: question.message_id } },
  );
  assert.equal(answer.reply_to_message?.text, "price?");
});
