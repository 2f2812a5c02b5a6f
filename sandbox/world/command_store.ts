/**
 * A bot's command lists by scope and language, as setMyCommands/getMyCommands/deleteMyCommands
 * keep them, plus the lookup a Telegram client does to decide which list a user sees
 * ({@linkcode CommandStore.visibleTo}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CommandStore } from "./command_store.ts";
 *
 * const store = new CommandStore();
 * const start = { command: "start", description: "Start" };
 * const refund = { command: "refund", description: "Refund" };
 * store.set({ type: "default" }, "", [start]);
 * store.set({ type: "chat", chat_id: 42 }, "", [start, refund]);
 * // The most specific list wins: user 42's own chat scope, everyone else the default.
 * assert.deepEqual(store.visibleTo(42, "ru"), [start, refund]);
 * assert.deepEqual(store.visibleTo(7, "ru"), [start]);
 * ```
 * @module
 */

import type { BotCommand, BotCommandScope } from "grammy/types";
import { badRequest } from "../errors.ts";

const COMMAND = /^[a-z0-9_]{1,32}$/;
const LANGUAGE = /^([a-z]{2})?$/;
const SCOPE_TYPES = new Set([
  "default",
  "all_private_chats",
  "all_group_chats",
  "all_chat_administrators",
  "chat",
  "chat_administrators",
  "chat_member",
]);

/** Validates a BotCommandScope object from a request; returns it typed. */
export function parseScope(raw: Record<string, unknown> | undefined): BotCommandScope {
  if (raw === undefined) return { type: "default" };
  const type = raw.type;
  if (typeof type !== "string" || !SCOPE_TYPES.has(type)) {
    throw badRequest(`can't parse BotCommandScope: unknown scope type ${JSON.stringify(type)}`);
  }
  const needsChat = type === "chat" || type === "chat_administrators" || type === "chat_member";
  if (needsChat && typeof raw.chat_id !== "number" && typeof raw.chat_id !== "string") {
    throw badRequest(`can't parse BotCommandScope: scope "${type}" requires chat_id`);
  }
  if (type === "chat_member" && !Number.isSafeInteger(raw.user_id)) {
    throw badRequest(`can't parse BotCommandScope: scope "chat_member" requires user_id`);
  }
  return raw as unknown as BotCommandScope;
}

/** Validates a language_code parameter: empty or a two-letter ISO 639-1 code. */
export function parseLanguage(raw: string | undefined): string {
  const language = raw ?? "";
  if (!LANGUAGE.test(language)) {
    throw badRequest(
      `language_code must be empty or a two-letter ISO 639-1 code, got "${language}"`,
    );
  }
  return language;
}

/** Validates the `commands` array of setMyCommands with Telegram's error names. */
export function parseCommands(raw: unknown[]): BotCommand[] {
  if (raw.length > 100) throw badRequest(`too many commands: at most 100, got ${raw.length}`);
  return raw.map((item, index) => {
    const entry = (typeof item === "object" && item !== null ? item : {}) as Record<
      string,
      unknown
    >;
    const { command, description } = entry;
    if (typeof command !== "string" || !COMMAND.test(command)) {
      throw badRequest(
        `BOT_COMMAND_INVALID (commands[${index}].command must be 1-32 lowercase English letters, ` +
          `digits or underscores, got ${JSON.stringify(command)})`,
      );
    }
    if (typeof description !== "string" || description.length < 1 || description.length > 256) {
      throw badRequest(
        `BOT_COMMAND_DESCRIPTION_INVALID (commands[${index}].description must be 1-256 characters)`,
      );
    }
    return { command, description };
  });
}

function scopeKey(scope: BotCommandScope): string {
  switch (scope.type) {
    case "chat":
    case "chat_administrators":
      return `${scope.type}:${scope.chat_id}`;
    case "chat_member":
      return `${scope.type}:${scope.chat_id}:${scope.user_id}`;
    default:
      return scope.type;
  }
}

/** See the module documentation. */
export class CommandStore {
  readonly #lists = new Map<string, BotCommand[]>();

  /** setMyCommands: replaces the list for exactly this scope and language. */
  set(scope: BotCommandScope, language: string, commands: BotCommand[]): void {
    this.#lists.set(`${scopeKey(scope)}|${language}`, commands);
  }

  /** getMyCommands: the list for exactly this scope and language, empty if none. */
  get(scope: BotCommandScope, language: string): BotCommand[] {
    return this.#lists.get(`${scopeKey(scope)}|${language}`) ?? [];
  }

  /** deleteMyCommands. */
  delete(scope: BotCommandScope, language: string): void {
    this.#lists.delete(`${scopeKey(scope)}|${language}`);
  }

  /**
   * The list a user sees in the private chat with the bot: the first non-empty one of chat
   * scope, all-private-chats scope, default scope, each first for the user's language and
   * then language-independent (the order the Bot API documentation gives).
   */
  visibleTo(userId: number, languageCode: string | undefined): BotCommand[] {
    const scopes = [`chat:${userId}`, "all_private_chats", "default"];
    for (const scope of scopes) {
      for (const language of languageCode ? [languageCode, ""] : [""]) {
        const list = this.#lists.get(`${scope}|${language}`);
        if (list && list.length > 0) return list;
      }
    }
    return [];
  }
}
