/**
 * The command menu of every hosted bot, and the `setMyCommands` calls that register it.
 *
 * Telegram picks the list a user sees in a private chat from the most specific registration:
 * chat scope in the user's language, chat scope in any language, then (skipping scopes we do
 * not use) default scope in the user's language, default scope in any language. So:
 * - the default scope gets the user commands once per locale we ship, and once without a
 *   language in the tenant's locale, for users of every other language;
 * - each admin gets the same lists plus the admin commands (`/refund`, `/transactions`,
 *   `/revenue`, `/reconcile`, `/subscribers`, `/user`) in the `chat` scope of their private chat (a private chat's id is
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
import type {
  BotCommand,
  BotCommandScopeChat,
  BotCommandScopeDefault,
  LanguageCode,
} from "grammy/types";
import { CommandGroup } from "@grammyjs/commands";
import type { Context } from "grammy";
import type { TextKey, Texts } from "./texts.ts";

/** Telegram takes a list per two-letter ISO 639-1 code; a file named for a region (pt-br) has none. */
const TWO_LETTERS = /^[a-z]{2}$/;

/** One command: its name and the text key of its description. */
export interface CommandSpec {
  command: string;
  description: TextKey;
}

/** The commands every user sees, in menu order. */
export const userCommands = [
  { command: "start", description: "command.start" },
  { command: "stars", description: "command.stars" },
  { command: "balance", description: "command.balance" },
  { command: "history", description: "command.history" },
  { command: "purchases", description: "command.purchases" },
  { command: "subscriptions", description: "command.subscriptions" },
  { command: "paysupport", description: "command.paysupport" },
  { command: "terms", description: "command.terms" },
] as const satisfies readonly CommandSpec[];

/** The commands only the tenant's admins see, in their private chats. */
export const adminCommands = [
  { command: "refund", description: "command.refund" },
  { command: "transactions", description: "command.transactions" },
  { command: "revenue", description: "command.revenue" },
  { command: "reconcile", description: "command.reconcile" },
  { command: "subscribers", description: "command.subscribers" },
  { command: "user", description: "command.user" },
] as const satisfies readonly CommandSpec[];

/** The name of a command the runtime's handlers answer (`handlers/mod.ts`). */
export type BuiltInCommand = (typeof userCommands | typeof adminCommands)[number]["command"];

/** The options of one `setMyCommands` call. */
export interface CommandRegistrationOptions {
  scope: BotCommandScopeDefault | BotCommandScopeChat;
  /** Absent: the list for users whose language has no list of its own. */
  language_code?: LanguageCode;
}

/** One `setMyCommands` call: `bot.api.setMyCommands(r.commands, r.options)`. */
export interface CommandRegistration {
  commands: BotCommand[];
  options: CommandRegistrationOptions;
}

/**
 * The commands of `specs` as a `@grammyjs/commands` group: each described in the tenant's locale,
 * and localized for every locale Telegram can name. The group only describes the menu: the
 * commands are handled by the handlers (`handlers/`), not by it.
 */
function commandGroup(texts: Texts, specs: readonly CommandSpec[]): CommandGroup<Context> {
  const group = new CommandGroup<Context>();
  const locales = texts.locales.filter((locale) => TWO_LETTERS.test(locale));
  for (const { command, description } of specs) {
    // A scope makes the command part of the lists `toSingleScopeArgs` serializes.
    const entry = group.command(command, texts.t(texts.fallback, description))
      .addToScope({ type: "default" });
    for (const locale of locales) {
      entry.localize(locale as LanguageCode, command, texts.t(locale, description));
    }
  }
  return group;
}

/**
 * Every `setMyCommands` call that registers the menu: the default scope (without a language, in
 * the tenant's locale, then per locale), then the same for each admin's chat with the admin
 * commands added. See the module doc for why. The lists per language are `@grammyjs/commands`'
 * (`CommandGroup.toSingleScopeArgs`); the calls are made by the runtime, one optional call each
 * (`tenant_bot.ts`), so that one that fails is retried alone.
 */
export function commandRegistrations(
  texts: Texts,
  admins: readonly number[],
): CommandRegistration[] {
  const { user, admin } = menuOf(texts);
  const inScope = (scope: CommandRegistrationOptions["scope"], lists: readonly MenuList[]) =>
    lists.map(({ commands, language_code }): CommandRegistration => ({
      commands,
      options: language_code === undefined ? { scope } : { scope, language_code },
    }));
  return [
    ...inScope({ type: "default" }, user),
    ...admins.flatMap((chatId) => inScope({ type: "chat", chat_id: chatId }, admin)),
  ];
}

/** One list of the menu: for a language, or without one for every other language. */
interface MenuList {
  commands: BotCommand[];
  language_code?: LanguageCode;
}

/** The menu's lists: the users', and the admins' (the users' commands and theirs). */
interface Menu {
  user: MenuList[];
  admin: MenuList[];
}

/**
 * The menu of each `Texts`, built once: tenants with the same texts share one `Texts`
 * (`textsFor` in `texts.ts`), and building the lists — every command's description in every
 * language — was a tenth of a thousand tenants' start-up (BENCHMARKS.md, issue 15).
 */
const menus = new WeakMap<Texts, Menu>();

function menuOf(texts: Texts): Menu {
  let menu = menus.get(texts);
  if (menu !== undefined) return menu;
  const lists = (specs: readonly CommandSpec[]): MenuList[] =>
    commandGroup(texts, specs).toSingleScopeArgs({ type: "default" }).commandParams.map((
      { commands, language_code },
    ) => ({
      // Only what Telegram's BotCommand has: the plugin adds fields of its own.
      commands: commands.map(({ command, description }) => ({ command, description })),
      language_code,
    }));
  menu = { user: lists(userCommands), admin: lists([...userCommands, ...adminCommands]) };
  menus.set(texts, menu);
  return menu;
}
