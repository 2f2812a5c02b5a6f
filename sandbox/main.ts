/**
 * The sandbox as a standalone process: starts the Bot API emulator, creates the bots and users
 * of a scenario, prints the apiRoot and tokens, then one line per API call. Lines typed on
 * stdin act as the users (see cli/console_commands.ts); Ctrl-C stops it.
 *
 * @example
 * ```sh
 * deno task sandbox --port 8081 --bot @shop_bot --user Ann:500
 * # then, elsewhere: a bot process with apiRoot http://127.0.0.1:8081 and the printed token
 * ```
 * @module
 */

import { formatCall } from "./cli/call_log.ts";
import { ConsoleCommands } from "./cli/console_commands.ts";
import { mergeScenarios, parseArgs, parseScenario, type Scenario } from "./cli/scenario.ts";
import { USER_API_PREFIX } from "./cli/user_api.ts";
import { WEB_CHAT_PREFIX } from "./web/web_chat_route.ts";
import { BOT_API_VERSION, Sandbox } from "./mod.ts";

async function loadScenario(args: string[]): Promise<Scenario> {
  const { scenarioFile, scenario } = parseArgs(args);
  if (scenarioFile === undefined) return scenario;
  const file = parseScenario(JSON.parse(await Deno.readTextFile(scenarioFile)), scenarioFile);
  return mergeScenarios(file, scenario);
}

async function main(): Promise<void> {
  const scenario = await loadScenario(Deno.args);
  const sandbox = await Sandbox.start({
    port: scenario.port ?? 0,
    preCheckoutTimeoutMs: scenario.preCheckoutTimeoutMs,
    onCall: (bot, call) => console.log(formatCall(bot.username, call)),
    // A long-running console process would otherwise keep every call in memory.
    recordCalls: false,
  });
  const bots = scenario.bots.map((settings) => sandbox.createBot(settings));
  const users = scenario.users.map((settings) => sandbox.createUser(settings));
  console.log(`Constellation sandbox (${BOT_API_VERSION}) at ${sandbox.apiRoot}`);
  for (const bot of bots) {
    const where = bot.testEnvironment ? " [test environment: /bot<token>/test/<method>]" : "";
    console.log(`bot @${bot.username} token ${bot.token}${where}`);
  }
  for (const user of users) console.log(`user ${user.id} ${user.firstName}: ${user.stars} stars`);
  console.log(
    `act as a user over HTTP: ${sandbox.apiRoot}${USER_API_PREFIX}/<id>/… (sandbox/README.md)`,
  );
  console.log(`chat as a user in the browser: ${sandbox.apiRoot}${WEB_CHAT_PREFIX}`);
  console.log('type "help" for user commands');

  Deno.addSignalListener("SIGINT", () => {
    sandbox.close().then(() => Deno.exit(0));
  });
  const commands = new ConsoleCommands(bots, users, (line) => console.log(line), {
    createUser: (settings) => sandbox.createUser(settings),
    findUser: (id) => sandbox.user(id),
  });
  let buffered = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    // Not awaited: a payment waits for the bot, and the console stays usable meanwhile.
    for (const line of lines) commands.run(line);
  }
}

if (import.meta.main) {
  main().catch((error) => {
    console.error(`sandbox: ${error.message}`);
    Deno.exit(1);
  });
}
