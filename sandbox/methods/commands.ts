/**
 * The bot's command lists (setMyCommands, getMyCommands, deleteMyCommands) and menu button
 * (setChatMenuButton, getChatMenuButton).
 * @module
 */

import type { MenuButton } from "grammy/types";
import { badRequest } from "../errors.ts";
import { parseCommands, parseLanguage, parseScope } from "../world/command_store.ts";
import type { CallContext, Handler } from "./handler.ts";

function scopeAndLanguage({ params }: CallContext) {
  return {
    scope: parseScope(params.optionalObject("scope")),
    language: parseLanguage(params.optionalString("language_code")),
  };
}

function parseMenuButton(raw: Record<string, unknown> | undefined): MenuButton {
  if (raw === undefined) return { type: "default" };
  if (raw.type === "commands" || raw.type === "default") return { type: raw.type };
  if (raw.type === "web_app") {
    const webApp = raw.web_app as { url?: unknown } | undefined;
    if (typeof raw.text !== "string" || typeof webApp?.url !== "string") {
      throw badRequest("can't parse menu button: web_app buttons need text and web_app.url");
    }
    return raw as unknown as MenuButton;
  }
  throw badRequest(`can't parse menu button: unknown type ${JSON.stringify(raw.type)}`);
}

/** The private chat id a menu-button call targets, or undefined for the default button. */
function menuChat({ world, params }: CallContext): number | undefined {
  const chatId = params.optionalInteger("chat_id");
  if (chatId !== undefined && !world.users.has(chatId)) throw badRequest("chat not found");
  return chatId;
}

/** Handlers by method name. */
export const commandHandlers: Record<string, Handler> = {
  setMyCommands: (call) => {
    const { scope, language } = scopeAndLanguage(call);
    call.bot.commands.set(scope, language, parseCommands(call.params.array("commands")));
    return true;
  },

  getMyCommands: (call) => {
    const { scope, language } = scopeAndLanguage(call);
    return call.bot.commands.get(scope, language);
  },

  deleteMyCommands: (call) => {
    const { scope, language } = scopeAndLanguage(call);
    call.bot.commands.delete(scope, language);
    return true;
  },

  setChatMenuButton: (call) => {
    const chatId = menuChat(call);
    const button = parseMenuButton(call.params.optionalObject("menu_button"));
    if (chatId === undefined) call.bot.defaultMenuButton = button;
    else call.bot.chatMenuButtons.set(chatId, button);
    return true;
  },

  getChatMenuButton: (call) => {
    const chatId = menuChat(call);
    const own = chatId === undefined ? undefined : call.bot.chatMenuButtons.get(chatId);
    // A chat without its own button shows the default one.
    return own && own.type !== "default" ? own : call.bot.defaultMenuButton;
  },
};
