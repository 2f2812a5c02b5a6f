/**
 * The test's handle on a simulated bot account: its token for the code under test, and what
 * Telegram would know about it (recorded calls, Stars balance, command lists, webhook state).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api } from "grammy";
 * import { Sandbox } from "./mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const bot = sandbox.createBot({ username: "shop_bot" });
 * const ann = sandbox.createUser({ firstName: "Ann", languageCode: "ru" });
 *
 * // The code under test, here three calls:
 * const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
 * await api.setMyCommands([{ command: "start", description: "Start" }]);
 * await api.setMyCommands([{ command: "start", description: "Начать" }], { language_code: "ru" });
 * await api.sendMessage(ann.id, "Hi").catch(() => {}); // Ann never wrote: 403
 *
 * assert.deepEqual(bot.calls.map((call) => [call.method, call.ok]), [
 *   ["setMyCommands", true],
 *   ["setMyCommands", true],
 *   ["sendMessage", false],
 * ]);
 * assert.equal(bot.callsTo("sendMessage")[0].error?.error_code, 403);
 * // What Ann's Telegram client would show in the chat's menu:
 * assert.deepEqual(bot.commandsFor(ann), [{ command: "start", description: "Начать" }]);
 * assert.equal(bot.starBalance, 0);
 * ```
 * @module
 */

import type { BotCommand, BotCommandScope, User, WebhookInfo } from "grammy/types";
import type { BotState, CallRecord } from "./world/bot_state.ts";
import type { UserState } from "./world/user_state.ts";

/**
 * Key of the internal state behind a handle; not exported from mod.ts, so tests see only the
 * public surface while the sandbox's own modules reach the state.
 */
export const STATE: unique symbol = Symbol("sandbox internal state");

/** A bot account in the sandbox; create it with `sandbox.createBot()`. */
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

  /** The recorded calls of one method. */
  callsTo(method: string): CallRecord[] {
    return this[STATE].calls.filter((call) => call.method === method);
  }

  /** Stars earned: successful payments minus refunds (what getMyStarBalance reports). */
  get starBalance(): number {
    return this[STATE].ledger.balance;
  }

  /**
   * How many times a getUpdates call arrived while another one for this token was still
   * waiting with its client connected (the earlier one got 409): two pollers at once. A poll
   * whose client went away (a killed process) ends at once and is not counted.
   */
  get pollOverlaps(): number {
    return this[STATE].pollOverlaps;
  }

  /** The id of the newest update created for the bot (ids run from 1 up; 0 before any). */
  get lastUpdateId(): number {
    return this[STATE].queue.lastUpdateId;
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

  /** The command list stored for exactly this scope and language (getMyCommands). */
  commands(scope: BotCommandScope = { type: "default" }, languageCode = ""): BotCommand[] {
    return this[STATE].commands.get(scope, languageCode);
  }

  /** The command list a user's Telegram client shows in the private chat with this bot. */
  commandsFor(user: { readonly [STATE]: UserState }): BotCommand[] {
    const profile = user[STATE].profile;
    return this[STATE].commands.visibleTo(
      profile.id,
      profile.languageCode?.slice(0, 2).toLowerCase(),
    );
  }
}
