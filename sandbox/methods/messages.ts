/**
 * Text messages in private chats: sendMessage, editMessageText, editMessageReplyMarkup,
 * deleteMessage and sendChatAction. Sent messages land in the chat the simulated user reads
 * (`user.messages(bot)`); edits replace them there; Telegram sends the bot no update for its
 * own messages, and neither does the sandbox.
 * @module
 */

import type { InlineKeyboardMarkup, Message } from "grammy/types";
import { badRequest } from "../errors.ts";
import type { Params } from "../http/params.ts";
import { formatText } from "../world/formatting.ts";
import type { PrivateChat } from "../world/private_chat.ts";
import { parseInlineKeyboard, parseReplyMarkup } from "../world/reply_markup.ts";
import { chatForSending, existingChat } from "./chat_target.ts";
import type { CallContext, Handler } from "./handler.ts";

const MAX_TEXT = 4096;
const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);

function messageText(params: Params): { text: string; entities: Message["entities"] } {
  const formatted = formatText(
    params.string("text"),
    params.optionalString("parse_mode"),
    params.optionalArray("entities"),
  );
  if (formatted.text.length === 0) throw badRequest("message text is empty");
  if (formatted.text.length > MAX_TEXT) throw badRequest("message is too long");
  return { text: formatted.text, entities: formatted.entities };
}

/**
 * Resolves reply_parameters to the message replied to, without its own reply (as Telegram
 * nests only one level).
 */
function replyTarget(chat: PrivateChat, params: Params): Message["reply_to_message"] {
  const reply = params.optionalObject("reply_parameters");
  if (reply === undefined) return undefined;
  if (!Number.isSafeInteger(reply.message_id)) {
    throw badRequest("can't parse reply parameters JSON object: message_id is required");
  }
  const target = chat.get(reply.message_id as number);
  if (target) {
    return { ...target, reply_to_message: undefined };
  }
  if (reply.allow_sending_without_reply === true) return undefined;
  throw badRequest("message to be replied not found");
}

/** Builds and stores a bot message in `chat`; shared by sendMessage and sendInvoice. */
export function storeBotMessage(
  { world, bot, params }: CallContext,
  chat: PrivateChat,
  content: Partial<Message>,
): Message {
  const replyTo = replyTarget(chat, params);
  const message: Message = {
    message_id: chat.nextMessageId(),
    from: bot.toUser(),
    chat: chat.chat,
    date: world.nowSeconds(),
    ...(replyTo ? { reply_to_message: replyTo } : {}),
    ...content,
  };
  chat.addFromBot(message);
  return message;
}

/** The bot message an edit targets; inline messages are not emulated. */
function messageToEdit(call: CallContext): { chat: PrivateChat; message: Message } {
  if (call.params.has("inline_message_id")) {
    throw badRequest("inline messages are not emulated by the Constellation sandbox");
  }
  const chat = existingChat(call);
  const message = chat.get(call.params.integer("message_id"));
  if (!message) throw badRequest("message to edit not found");
  if (!chat.isFromBot(message.message_id)) throw badRequest("message can't be edited");
  return { chat, message };
}

function editedKeyboard(params: Params): InlineKeyboardMarkup | undefined {
  const raw = params.optionalObject("reply_markup");
  return raw === undefined ? undefined : parseInlineKeyboard(raw, "message");
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function notModified(): never {
  throw badRequest(
    "message is not modified: specified new message content and reply markup are exactly the " +
      "same as a current content and reply markup of the message",
  );
}

/** Handlers by method name. */
export const messageHandlers: Record<string, Handler> = {
  sendMessage: (call) => {
    const chat = chatForSending(call);
    const { text, entities } = messageText(call.params);
    const raw = call.params.optionalObject("reply_markup");
    const markup = raw === undefined ? undefined : parseReplyMarkup(raw, "message");
    if (markup?.kind === "keyboard") chat.replyKeyboard = markup.markup;
    if (markup?.kind === "remove") chat.replyKeyboard = undefined;
    return storeBotMessage(call, chat, {
      text,
      ...(entities && entities.length > 0 ? { entities } : {}),
      ...(markup?.kind === "inline" ? { reply_markup: markup.markup } : {}),
    });
  },

  editMessageText: (call) => {
    const { chat, message } = messageToEdit(call);
    if (message.text === undefined) throw badRequest("there is no text in the message to edit");
    const { text, entities } = messageText(call.params);
    const keyboard = editedKeyboard(call.params);
    const newEntities = entities && entities.length > 0 ? entities : undefined;
    if (
      text === message.text && sameJson(newEntities, message.entities) &&
      sameJson(keyboard, message.reply_markup)
    ) notModified();
    const { entities: _e, reply_markup: _r, ...rest } = message;
    const edited: Message = {
      ...rest,
      text,
      ...(newEntities ? { entities: newEntities } : {}),
      ...(keyboard ? { reply_markup: keyboard } : {}),
      edit_date: call.world.nowSeconds(),
    };
    chat.replace(edited);
    return edited;
  },

  editMessageReplyMarkup: (call) => {
    const { chat, message } = messageToEdit(call);
    const raw = call.params.optionalObject("reply_markup");
    const keyboard = raw === undefined
      ? undefined
      : parseInlineKeyboard(raw, message.invoice ? "invoice" : "message");
    if (sameJson(keyboard, message.reply_markup)) notModified();
    const { reply_markup: _r, ...rest } = message;
    const edited: Message = {
      ...rest,
      ...(keyboard ? { reply_markup: keyboard } : {}),
      edit_date: call.world.nowSeconds(),
    };
    chat.replace(edited);
    return edited;
  },

  deleteMessage: (call) => {
    const chat = existingChat(call);
    if (!chat.delete(call.params.integer("message_id"))) {
      throw badRequest("message to delete not found");
    }
    return true;
  },

  sendChatAction: (call) => {
    const chat = chatForSending(call);
    const action = call.params.string("action");
    if (!CHAT_ACTIONS.has(action)) throw badRequest("wrong parameter action in request");
    chat.lastChatAction = { action, at: call.world.clock.now() };
    return true;
  },
};
