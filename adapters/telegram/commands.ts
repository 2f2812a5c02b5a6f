/**
 * The command menu of every hosted bot, and the `setMyCommands` calls that register it.
 *
 * Telegram picks the list a user sees in a private chat from the most specific registration:
 * chat scope in the user's language, chat scope in any language, then (skipping scopes we do
 * not use) default scope in the user's language, default scope in any language. So:
 * - the default scope gets the user commands once per locale we ship, and once without a
 *   language in the tenant's locale, for users of every other language;
 * - each admin gets the same lists plus the admin commands (`/refund`, `/transactions`,
 *   `/revenue`, `/reconcile`) in the `chat` scope of their private chat (a private chat's id is
 *   the user's id). A chat-scope list replaces the default one rather
 *   than adding to it, so it must repeat the user commands.
 *
 * `BotCommandScopeChat` per admin is the only scope Telegram offers for "these users": the
 * `chat_administrators` scopes are about group admins, not the bot's. Registration is
 * idempotent; an admin removed from the config keeps their list until it is overwritten or
 * deleted, which is harmless because the admin commands check `config.admins` on every call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { adminCommands, commandRegistrations, userCommands } from "./commands.ts";
 * import { Texts } from "./texts.ts";
 *
 * const registrations = commandRegistrations(new Texts({}, "ru"), [42]);
 * // Each is one call: `await bot.api.setMyCommands(r.commands, r.options)`.
 * assert.deepEqual(registrations.map((r) => r.options), [
 *   { scope: { type: "default" } }, // users of other languages: the tenant's locale
 *   { scope: { type: "default" }, language_code: "en" },
 *   { scope: { type: "default" }, language_code: "ru" },
 *   { scope: { type: "chat", chat_id: 42 } },
 *   { scope: { type: "chat", chat_id: 42 }, language_code: "en" },
 *   { scope: { type: "chat", chat_id: 42 }, language_code: "ru" },
 * ]);
 * const [anyLanguage, english] = registrations;
 * assert.deepEqual(anyLanguage.commands[0], { command: "start", description: "Запустить бота" });
 * assert.deepEqual(english.commands[0], { command: "start", description: "Start the bot" });
 * // An admin's list replaces the default one, so it repeats the user commands.
 * assert.equal(registrations[3].commands.length, userCommands.length + adminCommands.length);
 * ```
 * @module
 */
import type { BotCommand, BotCommandScopeChat, BotCommandScopeDefault } from "grammy/types";
import { type Locale, locales, type TextKey, type Texts } from "./texts.ts";

/** One command: its name and the text key of its description. */
export interface CommandSpec {
  command: string;
  description: TextKey;
}

/** The commands every user sees, in menu order. */
export const userCommands: readonly CommandSpec[] = [
  { command: "start", description: "command.start" },
  { command: "stars", description: "command.stars" },
  { command: "balance", description: "command.balance" },
  { command: "history", description: "command.history" },
  { command: "subscriptions", description: "command.subscriptions" },
  { command: "paysupport", description: "command.paysupport" },
  { command: "terms", description: "command.terms" },
];

/** The commands only the tenant's admins see, in their private chats. */
export const adminCommands: readonly CommandSpec[] = [
  { command: "refund", description: "command.refund" },
  { command: "transactions", description: "command.transactions" },
  { command: "revenue", description: "command.revenue" },
  { command: "reconcile", description: "command.reconcile" },
];

/** The options of one `setMyCommands` call. */
export interface CommandRegistrationOptions {
  scope: BotCommandScopeDefault | BotCommandScopeChat;
  /** Absent: the list for users whose language has no list of its own. */
  language_code?: Locale;
}

/** One `setMyCommands` call: `bot.api.setMyCommands(r.commands, r.options)`. */
export interface CommandRegistration {
  commands: BotCommand[];
  options: CommandRegistrationOptions;
}

/** The commands of `specs` worded in `locale`. */
export function commandList(
  texts: Texts,
  locale: Locale,
  specs: readonly CommandSpec[],
): BotCommand[] {
  return specs.map(({ command, description }) => ({
    command,
    description: texts.t(locale, description),
  }));
}

/**
 * Every `setMyCommands` call that registers the menu: the default scope (without a language, in
 * the tenant's locale, then per locale), then the same for each admin's chat with the admin
 * commands added. See the module doc for why.
 */
export function commandRegistrations(
  texts: Texts,
  admins: readonly number[],
): CommandRegistration[] {
  const inEveryLanguage = (
    scope: CommandRegistrationOptions["scope"],
    specs: readonly CommandSpec[],
  ): CommandRegistration[] => [
    { commands: commandList(texts, texts.fallback, specs), options: { scope } },
    ...locales.map((locale) => ({
      commands: commandList(texts, locale, specs),
      options: { scope, language_code: locale },
    })),
  ];
  return [
    ...inEveryLanguage({ type: "default" }, userCommands),
    ...admins.flatMap((chatId) =>
      inEveryLanguage({ type: "chat", chat_id: chatId }, [...userCommands, ...adminCommands])
    ),
  ];
}
