/**
 * Resolves the `chat_id` of a call to the private chat it names, failing as Telegram does: an
 * unknown chat is 400, a user who never started the bot or who blocked it is 403. The sandbox
 * emulates private chats only, so `@username` targets (channels, groups) are "chat not found".
 * @module
 */

import { badRequest, forbidden } from "../errors.ts";
import type { PrivateChat } from "../world/private_chat.ts";
import type { CallContext } from "./handler.ts";

/** The chat a message may be sent to. */
export function chatForSending(call: CallContext): PrivateChat {
  const chat = existingChat(call);
  if (chat.blocked) throw forbidden("bot was blocked by the user");
  return chat;
}

/** The chat an edit or deletion refers to (blocking does not matter for those). */
export function existingChat({ world, bot, params }: CallContext): PrivateChat {
  const target = params.chatId("chat_id");
  if (typeof target === "string" && !/^-?\d+$/.test(target)) throw badRequest("chat not found");
  const id = Number(target);
  if (!world.users.has(id)) throw badRequest("chat not found");
  const chat = bot.chats.get(id);
  if (!chat) throw forbidden("bot can't initiate conversation with a user");
  return chat;
}
