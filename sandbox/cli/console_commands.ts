/**
 * Lets a person at the standalone sandbox's console act as its users, one command per line:
 *
 * - `send <user> <bot> <text…>` — the user writes to the bot
 * - `click <user> <bot> <callback_data>` — presses that button on the newest message having it
 * - `pay <user> <bot>` — pays the newest invoice the bot sent the user
 * - `chat <user> <bot>` — prints the bot's messages to the user
 * - `stars <user>` — prints the wallet balance
 * - `help`
 *
 * `<user>` is an id or a first name; `<bot>` a username, with or without `@`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConsoleCommands } from "./console_commands.ts";
 * import { Sandbox } from "../mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot({ username: "shop_bot" });
 * const ann = sandbox.createUser({ firstName: "Ann", stars: 500 });
 * const printed: string[] = [];
 * const commands = new ConsoleCommands([shop], [ann], (line) => printed.push(line));
 *
 * await commands.run("send Ann @shop_bot /start");
 * await commands.run("stars ann");
 * await commands.run("pay Ann shop_bot");
 * assert.equal(shop.pendingUpdateCount, 1);
 * assert.deepEqual(printed, ["Ann: 500 stars", "error: @shop_bot sent Ann no invoice"]);
 * ```
 * @module
 */

import type { Message } from "grammy/types";
import type { SandboxBot } from "../sandbox_bot.ts";
import type { SandboxUser } from "../sandbox_user.ts";

const HELP = [
  "send <user> <bot> <text…>",
  "click <user> <bot> <callback_data>",
  "pay <user> <bot>",
  "chat <user> <bot>",
  "stars <user>",
].join("\n");

function describe(message: Message): string {
  const buttons =
    message.reply_markup?.inline_keyboard.flat().map((b) =>
      "callback_data" in b ? `[${b.text} → ${b.callback_data}]` : `[${b.text}]`
    ) ?? [];
  const body = message.text ??
    (message.invoice
      ? `invoice "${message.invoice.title}" ${message.invoice.total_amount} XTR`
      : "");
  return [`#${message.message_id}`, body, ...buttons].join(" ");
}

/** Runs console lines against the given bots and users; see the module documentation. */
export class ConsoleCommands {
  readonly #bots: readonly SandboxBot[];
  readonly #users: readonly SandboxUser[];
  readonly #print: (line: string) => void;

  constructor(
    bots: readonly SandboxBot[],
    users: readonly SandboxUser[],
    print: (line: string) => void,
  ) {
    this.#bots = bots;
    this.#users = users;
    this.#print = print;
  }

  /** Runs one console line; problems are printed, never thrown. */
  async run(line: string): Promise<void> {
    const [command, ...args] = line.trim().split(/\s+/);
    try {
      await this.#dispatch(command, args);
    } catch (error) {
      this.#print(`error: ${(error as Error).message}`);
    }
  }

  async #dispatch(command: string | undefined, args: string[]): Promise<void> {
    switch (command) {
      case undefined:
      case "":
        return;
      case "help":
        return this.#print(HELP);
      case "stars": {
        const user = this.#user(args[0]);
        return this.#print(`${user.firstName}: ${user.stars} stars`);
      }
      case "send": {
        const text = args.slice(2).join(" ");
        await this.#user(args[0]).send(this.#bot(args[1]), text);
        return;
      }
      case "chat": {
        for (const message of this.#user(args[0]).messages(this.#bot(args[1]))) {
          this.#print(describe(message));
        }
        return;
      }
      case "click": {
        const [user, bot, data] = [this.#user(args[0]), this.#bot(args[1]), args[2]];
        const message = user.messages(bot).findLast((m) =>
          m.reply_markup?.inline_keyboard.flat().some((b) =>
            "callback_data" in b && b.callback_data === data
          )
        );
        if (!message) throw new Error(`no message with a button "${data}"`);
        return this.#print(`click: ${JSON.stringify(await user.click(bot, message, data))}`);
      }
      case "pay": {
        const [user, bot] = [this.#user(args[0]), this.#bot(args[1])];
        const invoice = user.messages(bot).findLast((m) => m.invoice !== undefined);
        if (!invoice) throw new Error(`@${bot.username} sent ${user.firstName} no invoice`);
        return this.#print(`pay: ${JSON.stringify(await user.pay(bot, invoice))}`);
      }
      default:
        throw new Error(`unknown command "${command}"; commands:\n${HELP}`);
    }
  }

  #user(name: string | undefined): SandboxUser {
    const user = this.#users.find((u) =>
      String(u.id) === name || u.firstName.toLowerCase() === name?.toLowerCase()
    );
    if (!user) throw new Error(`no user "${name}"`);
    return user;
  }

  #bot(name: string | undefined): SandboxBot {
    const bot = this.#bots.find((b) => b.username === name?.replace(/^@/, ""));
    if (!bot) throw new Error(`no bot "${name}"`);
    return bot;
  }
}
