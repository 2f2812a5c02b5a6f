/**
 * The test's handle on a simulated bot account: its token for the code under test, and what
 * Telegram would know about it (recorded calls, Stars balance, command lists, webhook state).
 *
 * @example
 * ```ts
 * import { Sandbox } from "./mod.ts";
 * const sandbox = await Sandbox.start();
 * const bot = sandbox.createBot({ username: "shop_bot" });
 * // … run the code under test against sandbox.apiRoot with bot.token …
 * console.log(bot.calls.map((c) => c.method), bot.starBalance);
 * await sandbox.close();
 * ```
 * @module
 */

import type { BotCommand, BotCommandScope, User, WebhookInfo } from "grammy/types";
import type { BotState, CallRecord } from "./world/bot_state.ts";
import type { UserState } from "./world/user_state.ts";

/**
 * Key of the internal state behind a handle; not exported from mod.ts, so tests see only the
 * public surface while the sandbox's own modules reach the state.
 *
 * @example
 * ```ts
 * import { STATE, type SandboxBot } from "./sandbox_bot.ts";
 * declare const bot: SandboxBot;
 * bot[STATE].queue.pendingCount;
 * ```
 */
export const STATE: unique symbol = Symbol("sandbox internal state");

/**
 * A bot account in the sandbox; create it with `sandbox.createBot()`.
 *
 * @example
 * ```ts
 * import { Sandbox } from "./mod.ts";
 * await using sandbox = await Sandbox.start();
 * const bot = sandbox.createBot({ username: "shop_bot", testEnvironment: false });
 * bot.token; // "7000000001:…"
 * bot.callsTo("sendMessage"); // []
 * ```
 */
export class SandboxBot {
  readonly [STATE]: BotState;

  constructor(state: BotState) {
    this[STATE] = state;
  }

  /** The token to give the code under test. */
  get token(): string {
    return this[STATE].identity.token;
  }

  get id(): number {
    return this[STATE].identity.id;
  }

  get username(): string {
    return this[STATE].identity.username;
  }

  /** The bot's name as users see it (changed by setMyName without language_code). */
  get firstName(): string {
    return this[STATE].firstName;
  }

  /** The description users of `languageCode` see (setMyDescription), "" if none. */
  description(languageCode = ""): string {
    return this[STATE].profile.get("description", languageCode);
  }

  /** The short description users of `languageCode` see (setMyShortDescription), "" if none. */
  shortDescription(languageCode = ""): string {
    return this[STATE].profile.get("short_description", languageCode);
  }

  /** Whether the bot lives on the test environment (`/bot<token>/test/<method>`). */
  get testEnvironment(): boolean {
    return this[STATE].identity.testEnvironment;
  }

  /** The bot as a Telegram User object. */
  get user(): User {
    return this[STATE].toUser();
  }

  /**
   * Every API call so far, in completion order (a long poll is recorded when it returns).
   * Empty when the sandbox was started with `recordCalls: false`.
   */
  get calls(): readonly CallRecord[] {
    return this[STATE].calls;
  }

  /**
   * The recorded calls of one method.
   *
   * @example
   * ```ts
   * import { Sandbox } from "./mod.ts";
   * await using sandbox = await Sandbox.start();
   * const bot = sandbox.createBot();
   * bot.callsTo("answerPreCheckoutQuery").every((c) => c.ok);
   * ```
   */
  callsTo(method: string): CallRecord[] {
    return this[STATE].calls.filter((call) => call.method === method);
  }

  /** Stars earned: successful payments minus refunds (what getMyStarBalance reports). */
  get starBalance(): number {
    return this[STATE].ledger.balance;
  }

  /** Updates waiting for getUpdates or webhook delivery. */
  get pendingUpdateCount(): number {
    return this[STATE].queue.pendingCount;
  }

  /** What getWebhookInfo would answer right now. */
  get webhook(): Pick<WebhookInfo, "url" | "last_error_date" | "last_error_message"> {
    const { webhook } = this[STATE];
    return {
      url: webhook.config.url,
      last_error_date: webhook.lastErrorDate,
      last_error_message: webhook.lastErrorMessage,
    };
  }

  /**
   * The command list stored for exactly this scope and language (getMyCommands).
   *
   * @example
   * ```ts
   * import { Sandbox } from "./mod.ts";
   * await using sandbox = await Sandbox.start();
   * const bot = sandbox.createBot();
   * bot.commands({ type: "all_private_chats" }, "ru");
   * ```
   */
  commands(scope: BotCommandScope = { type: "default" }, languageCode = ""): BotCommand[] {
    return this[STATE].commands.get(scope, languageCode);
  }

  /**
   * The command list a user's Telegram client shows in the private chat with this bot.
   *
   * @example
   * ```ts
   * import { Sandbox } from "./mod.ts";
   * await using sandbox = await Sandbox.start();
   * const bot = sandbox.createBot();
   * const ann = sandbox.createUser({ firstName: "Ann", languageCode: "ru" });
   * bot.commandsFor(ann); // ru commands, else the default ones
   * ```
   */
  commandsFor(user: { readonly [STATE]: UserState }): BotCommand[] {
    const profile = user[STATE].profile;
    return this[STATE].commands.visibleTo(
      profile.id,
      profile.languageCode?.slice(0, 2).toLowerCase(),
    );
  }
}
