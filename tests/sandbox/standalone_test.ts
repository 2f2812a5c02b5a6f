/**
 * Item 8 of issue 11: the standalone sandbox as a user tries it — `deno task sandbox`, its
 * documented scenario format, a console that plays any user (an admin) and pays subscription
 * links, and the HTTP user API.
 */
import assert from "node:assert/strict";
import { Api } from "grammy";
import { ConsoleCommands } from "../../sandbox/cli/console_commands.ts";
import { parseScenario } from "../../sandbox/cli/scenario.ts";
import { Sandbox } from "../../sandbox/mod.ts";
import { UpdateReader } from "./api_helpers.ts";

const root = new URL("../../", import.meta.url);

Deno.test("the scenario format in sandbox/README.md is the one the sandbox reads", async () => {
  const readme = await Deno.readTextFile(new URL("sandbox/README.md", root));
  const section = readme.slice(readme.indexOf("### Scenario file"));
  const example = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(example, "sandbox/README.md shows a scenario file");
  const scenario = parseScenario(JSON.parse(example), "sandbox/README.md");
  assert.ok(scenario.users.some((user) => user.id !== undefined && user.languageCode));
  const main = await Deno.readTextFile(new URL("README.md", root));
  assert.match(main, /## Try your own bots locally[\s\S]*deno task sandbox[\s\S]*"apiRoot"/);
  assert.match(main, /\/_sandbox\/users\/<id>\/send/);
});

Deno.test("the console plays a user of a chosen id, name and language", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot({ username: "shop_bot" });
  const printed: string[] = [];
  const commands = new ConsoleCommands([bot], [], (line) => printed.push(line), {
    createUser: (settings) => sandbox.createUser(settings),
  });
  const reader = new UpdateReader(new Api(bot.token, { apiRoot: sandbox.apiRoot }));
  await commands.run('user 123456789 "Olga K" ru 7');
  assert.equal(printed.at(-1), "user 123456789 Olga K (ru): 7 stars");
  await commands.run("send 123456789 shop_bot /revenue");
  const from = (await reader.next()).message?.from;
  assert.equal(from?.id, 123456789);
  assert.equal(from?.first_name, "Olga K");
  assert.equal(from?.language_code, "ru");
  await commands.run("user x Olga");
  assert.match(printed.at(-1)!, /^error: usage: user <id>/);
});

Deno.test("the console pays a subscription link after an invoice was paid", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", stars: 100 });
  const printed: string[] = [];
  const commands = new ConsoleCommands([bot], [ann], (line) => printed.push(line));
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  const reader = new UpdateReader(api);
  await ann.send(bot, "/start");
  await reader.next();

  await api.sendInvoice(ann.id, "Pack", "A pack", "p", "XTR", [{ label: "Pack", amount: 5 }]);
  const first = commands.run("pay Ann shop_bot");
  await api.answerPreCheckoutQuery((await reader.next()).pre_checkout_query!.id, true);
  await first;
  await reader.next(); // successful_payment
  assert.match(printed.at(-1)!, /^pay: \{"status":"paid"/);

  const link = await api.createInvoiceLink("Club", "Monthly", "club", "", "XTR", [
    { label: "Club", amount: 15 },
  ], { subscription_period: 2592000 });
  await api.sendMessage(ann.id, "Subscribe:", {
    reply_markup: { inline_keyboard: [[{ text: "Subscribe", url: link }]] },
  });
  const second = commands.run("pay Ann shop_bot");
  const query = (await reader.next()).pre_checkout_query!;
  assert.equal(query.invoice_payload, "club");
  await api.answerPreCheckoutQuery(query.id, true);
  await second;
  assert.match(printed.at(-1)!, /^pay: \{"status":"paid"/);
  assert.equal(ann.stars, 100 - 5 - 15);
});

// deno-lint-ignore no-explicit-any
async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(url, { method: "POST", body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

Deno.test("the HTTP user API sends, clicks, pays and reads the chat", async () => {
  await using sandbox = await Sandbox.start();
  assert.match(sandbox.apiRoot, /^http:\/\/127\.0\.0\.1:\d+$/); // loopback only
  const bot = sandbox.createBot({ username: "shop_bot" });
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  const reader = new UpdateReader(api);
  const users = `${sandbox.apiRoot}/_sandbox/users`;

  const created = await post(users, { id: 1001, firstName: "Olga", languageCode: "en", stars: 50 });
  assert.deepEqual(created.json, {
    ok: true,
    result: { id: 1001, firstName: "Olga", languageCode: "en", stars: 50 },
  });
  const sent = await post(`${users}/1001/send`, { bot: "@shop_bot", text: "/start" });
  assert.equal(sent.json.result.text, "/start");
  assert.equal((await reader.next()).message?.from?.id, 1001);

  await api.sendMessage(1001, "Menu", {
    reply_markup: { inline_keyboard: [[{ text: "Buy", callback_data: "buy" }]] },
  });
  const clicking = post(`${users}/1001/click`, { bot: "shop_bot", data: "buy" });
  await api.answerCallbackQuery((await reader.next()).callback_query!.id, { text: "ok" });
  assert.deepEqual((await clicking).json.result, { answered: true, text: "ok" });

  await api.sendInvoice(1001, "Pack", "A pack", "p", "XTR", [{ label: "Pack", amount: 20 }]);
  const paying = post(`${users}/1001/pay`, { bot: "shop_bot" });
  await api.answerPreCheckoutQuery((await reader.next()).pre_checkout_query!.id, true);
  assert.equal((await paying).json.result.status, "paid");
  assert.equal(sandbox.user(1001)?.stars, 30);

  const chat = await fetch(`${users}/1001/chat?bot=shop_bot`).then((r) => r.json());
  assert.deepEqual(chat.result.map((m: { text?: string }) => m.text ?? "invoice"), [
    "Menu",
    "invoice",
  ]);
  const me = await fetch(`${users}/1001`).then((r) => r.json());
  assert.equal(me.result.stars, 30);

  assert.equal((await post(`${users}/9/send`, { bot: "shop_bot", text: "x" })).status, 404);
  assert.equal((await post(`${users}/1001/send`, { bot: "nobody", text: "x" })).status, 404);
  const bad = await post(`${users}/1001/send`, { bot: "shop_bot" });
  assert.deepEqual([bad.status, bad.json], [400, { ok: false, error: "text is required" }]);
  // The Bot API itself is untouched by the prefix.
  assert.equal((await api.getMe()).username, "shop_bot");
});

Deno.test("deno task sandbox starts the standalone emulator with its console", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "sandbox", "--bot", "1:abc@shop_bot", "--user", "Ann:10"],
    cwd: root.pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  const readUntil = async (pattern: RegExp) => {
    while (!pattern.test(output)) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`the sandbox ended; it printed:\n${output}`);
      output += value;
    }
  };
  const writer = child.stdin.getWriter();
  try {
    await readUntil(/type "help"/);
    const apiRoot = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1];
    assert.match(output, /bot @shop_bot token 1:abc/);
    await writer.write(new TextEncoder().encode("user 1001 Olga ru\n"));
    await readUntil(/user 1001 Olga \(ru\): 0 stars/);
    const sent = await post(`${apiRoot}/_sandbox/users/1001/send`, {
      bot: "shop_bot",
      text: "hi",
    });
    assert.equal(sent.json.ok, true);
  } finally {
    await writer.close().catch(() => {});
    await lines.cancel();
    child.kill("SIGINT");
    await child.status;
  }
});
