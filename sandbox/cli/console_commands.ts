/**
 * Lets a person at the standalone sandbox's console act as its users, one command per line:
 *
 * - `send <user> <bot> <text…>` — the user writes to the bot
 * - `click <user> <bot> <callback_data>` — presses that button on the newest message having it
 * - `pay <user> <bot> [message_id|link]` — pays an invoice: by default the newest message that is
 *   an invoice or carries an invoice link (a subscription's, from createInvoiceLink)
 * - `user <id> <first name> [language] [stars]` — adds a user with that id (an admin of a tenant,
 *   say), or shows the one that exists; the name may be quoted: `user 1001 "Olga K" ru 0`
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
 *
 * // Playing a user with a chosen id, name and language — a tenant's admin, say.
 * const withUsers = new ConsoleCommands([shop], [ann], (line) => printed.push(line), {
 *   createUser: (settings) => sandbox.createUser(settings),
 * });
 * await withUsers.run("user 1001 Olga ru");
 * await withUsers.run("send 1001 shop_bot /refund x");
 * assert.equal(printed.at(-1), "user 1001 Olga (ru): 0 stars");
 * assert.equal(shop.pendingUpdateCount, 2);
 * ```
 * @module
 */

import type { Message } from "grammy/types";
import type { SandboxBot } from "../sandbox_bot.ts";
import type { SandboxUser } from "../sandbox_user.ts";
import type { UserSettings } from "../world/world.ts";
import { clickButton, payInvoice } from "./user_actions.ts";

const HELP = [
  "send <user> <bot> <text…>",
  "click <user> <bot> <callback_data>",
  "pay <user> <bot> [message_id|link]",
  "user <id> <first name> [language] [stars]",
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
  readonly #users: SandboxUser[];
  readonly #print: (line: string) => void;
  readonly #createUser?: (settings: UserSettings) => SandboxUser;
  readonly #findUser?: (id: number) => SandboxUser | undefined;

  /**
   * `createUser` enables the `user` command; `findUser` finds users by id that were created
   * elsewhere (through the HTTP user API, say). The standalone sandbox passes its own.
   */
  constructor(
    bots: readonly SandboxBot[],
    users: readonly SandboxUser[],
    print: (line: string) => void,
    options: {
      createUser?: (settings: UserSettings) => SandboxUser;
      findUser?: (id: number) => SandboxUser | undefined;
    } = {},
  ) {
    this.#bots = bots;
    this.#users = [...users];
    this.#print = print;
    this.#createUser = options.createUser;
    this.#findUser = options.findUser;
  }

  /** Runs one console line; problems are printed, never thrown. */
  async run(line: string): Promise<void> {
    const [command, ...args] = (line.trim().match(/"[^"]*"|\S+/g) ?? [])
      .map((word) => word.replace(/^"(.*)"$/, "$1"));
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
        const result = await clickButton(this.#user(args[0]), this.#bot(args[1]), args[2]);
        return this.#print(`click: ${JSON.stringify(result)}`);
      }
      case "pay": {
        const outcome = await payInvoice(this.#user(args[0]), this.#bot(args[1]), args[2]);
        return this.#print(`pay: ${JSON.stringify(outcome)}`);
      }
      case "user":
        return this.#addUser(args);
      default:
        throw new Error(`unknown command "${command}"; commands:\n${HELP}`);
    }
  }

  #addUser([id, firstName, languageCode, stars]: string[]): void {
    if (!/^\d+$/.test(id ?? "") || !firstName) {
      throw new Error("usage: user <id> <first name> [language] [stars], e.g. user 1001 Olga ru");
    }
    if (stars !== undefined && !/^\d+$/.test(stars)) {
      throw new Error("stars must be a whole number");
    }
    let user = this.#users.find((u) => u.id === Number(id)) ?? this.#findUser?.(Number(id));
    if (!user) {
      if (!this.#createUser) throw new Error("this console cannot add users");
      user = this.#createUser({
        id: Number(id),
        firstName,
        ...(languageCode ? { languageCode } : {}),
        ...(stars !== undefined ? { stars: Number(stars) } : {}),
      });
      this.#users.push(user);
    }
    const language = user.languageCode ? ` (${user.languageCode})` : "";
    this.#print(`user ${user.id} ${user.firstName}${language}: ${user.stars} stars`);
  }

  #user(name: string | undefined): SandboxUser {
    const user =
      this.#users.find((u) =>
        String(u.id) === name || u.firstName.toLowerCase() === name?.toLowerCase()
      ) ?? (/^\d+$/.test(name ?? "") ? this.#findUser?.(Number(name)) : undefined);
    if (!user) throw new Error(`no user "${name}"`);
    return user;
  }

  #bot(name: string | undefined): SandboxBot {
    const bot = this.#bots.find((b) => b.username === name?.replace(/^@/, ""));
    if (!bot) throw new Error(`no bot "${name}"`);
    return bot;
  }
}
