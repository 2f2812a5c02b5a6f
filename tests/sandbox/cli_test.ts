import assert from "node:assert/strict";
import { Api } from "grammy";
import { formatCall } from "../../sandbox/cli/call_log.ts";
import { ConsoleCommands } from "../../sandbox/cli/console_commands.ts";
import { mergeScenarios, parseArgs, parseScenario } from "../../sandbox/cli/scenario.ts";
import { Sandbox } from "../../sandbox/mod.ts";
import { UpdateReader } from "./api_helpers.ts";

Deno.test("flags describe bots and users; a scenario file is merged under them", () => {
  const { scenarioFile, scenario } = parseArgs([
    "--port",
    "8081",
    "--scenario",
    "demo.json",
    "--bot",
    "123:abc@shop_bot",
    "--test-bot",
    "@lab_bot",
    "--user",
    "Ann:50",
  ]);
  assert.equal(scenarioFile, "demo.json");
  assert.deepEqual(scenario, {
    port: 8081,
    bots: [{ token: "123:abc", username: "shop_bot" }, {
      username: "lab_bot",
      testEnvironment: true,
    }],
    users: [{ firstName: "Ann", stars: 50 }],
  });
  const file = parseScenario({ port: 1, users: [{ firstName: "Bob" }] });
  const merged = mergeScenarios(file, scenario);
  assert.equal(merged.port, 8081);
  assert.deepEqual(merged.users.map((u) => u.firstName), ["Bob", "Ann"]);
});

Deno.test("bad scenarios and flags are refused with the offending field named", () => {
  assert.throws(
    () => parseScenario({ users: [{ stars: 5 }] }, "x.json"),
    /^Error: x\.json: users\.0\.firstName/,
  );
  assert.throws(() => parseScenario({ bots: [{ tokn: "1:a" }] }), /Unrecognized key/);
  assert.throws(() => parseArgs(["--user", "Ann:lots"]), /stars after ":" must be a whole number/);
  assert.throws(() => parseArgs(["--colour", "red"]), /unknown flag --colour/);
  assert.throws(() => parseArgs(["--port"]), /--port needs a value/);
});

Deno.test("a call is printed as one line with its outcome and shortened parameters", () => {
  const ok = formatCall("shop_bot", {
    method: "sendMessage",
    params: { chat_id: 7, text: "x".repeat(100) },
    ok: true,
    at: Date.UTC(2026, 0, 1, 12, 30, 15, 250),
  });
  assert.equal(ok, `12:30:15.250 @shop_bot sendMessage ok chat_id=7 text="${"x".repeat(78)}…`);
  const failed = formatCall("shop_bot", {
    method: "getUpdates",
    params: {},
    ok: false,
    at: 0,
    error: { error_code: 409, description: "Conflict: x" },
  });
  assert.equal(failed, "00:00:00.000 @shop_bot getUpdates 409 Conflict: x");
});

Deno.test("console commands act as users: send, chat, click, pay, stars", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", stars: 20 });
  const printed: string[] = [];
  const commands = new ConsoleCommands([bot], [ann], (line) => printed.push(line));
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  const reader = new UpdateReader(api);

  await commands.run("send ann @shop_bot hello there");
  assert.equal((await reader.next()).message?.text, "hello there");

  await api.sendMessage(ann.id, "Menu", {
    reply_markup: { inline_keyboard: [[{ text: "Buy", callback_data: "buy" }]] },
  });
  await commands.run("chat Ann shop_bot");
  assert.equal(printed.at(-1), "#2 Menu [Buy → buy]");

  const clicking = commands.run(`click ${ann.id} shop_bot buy`);
  await api.answerCallbackQuery((await reader.next()).callback_query!.id, { text: "ok" });
  await clicking;
  assert.match(printed.at(-1)!, /^click: \{"answered":true,"text":"ok"/);

  await api.sendInvoice(ann.id, "Pack", "A pack", "p", "XTR", [{ label: "Pack", amount: 5 }]);
  const paying = commands.run("pay Ann shop_bot");
  await api.answerPreCheckoutQuery((await reader.next()).pre_checkout_query!.id, true);
  await paying;
  assert.match(printed.at(-1)!, /^pay: \{"status":"paid"/);
  await commands.run("stars Ann");
  assert.equal(printed.at(-1), "Ann: 15 stars");

  await commands.run("send Zed shop_bot hi");
  assert.equal(printed.at(-1), 'error: no user "Zed"');
});
