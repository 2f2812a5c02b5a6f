/**
 * The demo's steps — a user says something, taps a button, pays — printed through a
 * {@linkcode ConversationPrinter}. Every wait for a bot's reply also waits until the printer has
 * shown the calls in flight, so the transcript is in the order things happened: a reply is
 * printed before the user's next step, an invoice before it is paid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api } from "grammy";
 * import { Sandbox } from "../mod.ts";
 * import { ConversationPrinter } from "./conversation.ts";
 * import { DemoScript } from "./script.ts";
 *
 * const lines: string[] = [];
 * const print = new ConversationPrinter((line) => lines.push(line));
 * await using sandbox = await Sandbox.start({
 *   onCall: (bot, call) => print.botCall(bot, call),
 *   onCallStart: (bot, method) => print.callStarted(bot, method),
 * });
 * const bot = sandbox.createBot({ username: "echo_bot" });
 * const ann = sandbox.createUser({ firstName: "Ann" });
 * print.meet(ann);
 * const script = new DemoScript(print);
 * const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
 * const replying = api.getUpdates({ timeout: 5 }).then(() => api.sendMessage(ann.id, "Hi!"));
 * await script.say(ann, bot, "/start", (m) => m.text === "Hi!");
 * await replying;
 * assert.deepEqual(lines, ["👤 Ann → @echo_bot: /start", "🤖 @echo_bot → Ann: Hi!"]);
 * ```
 * @module
 */
import type { Message } from "grammy/types";
import type { SandboxBot, SandboxUser } from "../mod.ts";
import type { ConversationPrinter } from "./conversation.ts";

/** The steps the demo's customers take; see the module documentation. */
export class DemoScript {
  readonly #print: ConversationPrinter;
  readonly #timeoutMs: number;

  constructor(print: ConversationPrinter, timeoutMs = 10_000) {
    this.#print = print;
    this.#timeoutMs = timeoutMs;
  }

  /** Waits for the next bot message (to this user) that satisfies `test`, and for it to be shown. */
  async next(user: SandboxUser, bot: SandboxBot, test: (m: Message) => boolean): Promise<Message> {
    const message = await user.waitForMessage(bot, test, { timeoutMs: this.#timeoutMs });
    await this.#print.settled();
    return message;
  }

  /** The user writes `text`; resolves with the first reply satisfying `reply`. */
  async say(
    user: SandboxUser,
    bot: SandboxBot,
    text: string,
    reply: (m: Message) => boolean,
  ): Promise<Message> {
    this.#print.user(user, bot, text);
    const answer = this.next(user, bot, reply);
    await user.send(bot, text);
    return await answer;
  }

  /** The user taps the button `data` of `message`; resolves when the bot has answered. */
  async click(user: SandboxUser, bot: SandboxBot, message: Message, data: string): Promise<void> {
    const button = message.reply_markup?.inline_keyboard.flat()
      .find((b) => "callback_data" in b && b.callback_data === data);
    this.#print.user(user, bot, `taps [${button?.text ?? data}]`);
    await user.click(bot, message, data, { timeoutMs: this.#timeoutMs });
    await this.#print.settled();
  }

  /** The user pays an invoice message or link; resolves with the charge id. */
  async pay(user: SandboxUser, bot: SandboxBot, invoice: Message | string): Promise<string> {
    const before = user.stars;
    this.#print.user(user, bot, "pays with Telegram Stars");
    const outcome = await user.pay(bot, invoice);
    if (outcome.status !== "paid") throw new Error(`payment not made: ${outcome.status}`);
    await this.#print.settled();
    this.#print.note(
      `${user.firstName}'s wallet: ${before} ⭐ → ${user.stars} ⭐ (charge ${outcome.chargeId})`,
    );
    return outcome.chargeId;
  }
}
