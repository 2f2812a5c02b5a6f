/**
 * answerCallbackQuery: settles the `user.click(...)` waiting for it. A query can be answered
 * once; a second answer, or one for an unknown id, gets Telegram's "query is too old" error.
 * @module
 */

import { badRequest } from "../errors.ts";
import type { Handler } from "./handler.ts";

const MAX_TEXT = 200;

/** Handlers by method name. */
export const callbackHandlers: Record<string, Handler> = {
  answerCallbackQuery: ({ bot, params }) => {
    const id = params.string("callback_query_id");
    const text = params.optionalString("text");
    if (text !== undefined && text.length > MAX_TEXT) {
      throw badRequest(`MESSAGE_TOO_LONG (callback answer text must be 0-${MAX_TEXT} characters)`);
    }
    const pending = bot.callbackQueries.get(id);
    if (!pending) {
      throw badRequest("query is too old and response timeout expired or query ID is invalid");
    }
    bot.callbackQueries.delete(id);
    pending.answer({
      text,
      showAlert: params.optionalBoolean("show_alert"),
      url: params.optionalString("url"),
    });
    return true;
  },
};
