/**
 * The bot's name, description and short description per language: setMyName, getMyName,
 * setMyDescription, getMyDescription, setMyShortDescription, getMyShortDescription.
 * @module
 */

import type { ProfileField } from "../world/bot_profile.ts";
import { parseLanguage } from "../world/command_store.ts";
import type { Handler } from "./handler.ts";

function setter(field: ProfileField): Handler {
  return ({ bot, params }) => {
    const language = parseLanguage(params.optionalString("language_code"));
    bot.profile.set(field, language, params.optionalString(field) ?? "");
    return true;
  };
}

function getter(field: ProfileField): Handler {
  return ({ bot, params }) => {
    const language = parseLanguage(params.optionalString("language_code"));
    const text = bot.profile.get(field, language);
    // Without a name of its own, a bot is called by the first name it was created with.
    return { [field]: field === "name" && text === "" ? bot.identity.firstName : text };
  };
}

/** Handlers by method name. */
export const profileHandlers: Record<string, Handler> = {
  setMyName: setter("name"),
  getMyName: getter("name"),
  setMyDescription: setter("description"),
  getMyDescription: getter("description"),
  setMyShortDescription: setter("short_description"),
  getMyShortDescription: getter("short_description"),
};
