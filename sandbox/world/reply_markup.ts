/**
 * Validation of `reply_markup`: the four kinds a message may carry (inline keyboard, custom
 * reply keyboard, keyboard removal, force reply) and the rules Telegram enforces on inline
 * buttons (exactly one action, callback_data of 1–64 bytes, http/tg URLs, Pay buttons only
 * first and only on invoices). Bad markup fails the call with a message naming the button.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseReplyMarkup } from "./reply_markup.ts";
 *
 * const buy = { text: "Buy", callback_data: "buy:1" };
 * assert.equal(parseReplyMarkup({ inline_keyboard: [[buy]] }, "message").kind, "inline");
 * assert.equal(parseReplyMarkup({ remove_keyboard: true }, "message").kind, "remove");
 * const tooLong = { text: "Buy", callback_data: "x".repeat(65) };
 * assert.throws(() => parseReplyMarkup({ inline_keyboard: [[tooLong]] }, "message"), {
 *   message: /^400 Bad Request/,
 * });
 * ```
 * @module
 */

import type {
  ForceReply,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  ReplyKeyboardMarkup,
  ReplyKeyboardRemove,
} from "grammy/types";
import { badRequest } from "../errors.ts";

/** A validated reply_markup, tagged by kind. */
export type ReplyMarkup =
  | { kind: "inline"; markup: InlineKeyboardMarkup }
  | { kind: "keyboard"; markup: ReplyKeyboardMarkup }
  | { kind: "remove"; markup: ReplyKeyboardRemove }
  | { kind: "force_reply"; markup: ForceReply };

/** Where the markup is used: Pay buttons are allowed only on invoices. */
export type MarkupContext = "message" | "invoice";

const ACTIONS = [
  "url",
  "callback_data",
  "web_app",
  "login_url",
  "switch_inline_query",
  "switch_inline_query_current_chat",
  "switch_inline_query_chosen_chat",
  "copy_text",
  "callback_game",
  "pay",
] as const;

const encoder = new TextEncoder();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function rows(value: unknown, field: string): unknown[][] {
  if (!Array.isArray(value) || !value.every(Array.isArray)) {
    throw badRequest(
      `can't parse reply keyboard markup JSON object: "${field}" must be an Array of Arrays`,
    );
  }
  return value as unknown[][];
}

function inlineButton(raw: unknown, row: number, column: number, context: MarkupContext) {
  const where = `inline keyboard button [${row}][${column}]`;
  if (!isObject(raw) || typeof raw.text !== "string") {
    throw badRequest(`can't parse ${where}: field "text" must be of type String`);
  }
  const actions = ACTIONS.filter((action) => raw[action] !== undefined);
  if (actions.length === 0) {
    throw badRequest(`can't parse ${where}: text buttons are unallowed in the inline keyboard`);
  }
  if (actions.length > 1) {
    throw badRequest(`can't parse ${where}: exactly one of ${actions.join(", ")} must be used`);
  }
  const data = raw.callback_data;
  if (data !== undefined) {
    const bytes = typeof data === "string" ? encoder.encode(data).length : 0;
    if (bytes < 1 || bytes > 64) {
      throw badRequest(`BUTTON_DATA_INVALID (${where}: callback_data must be 1-64 bytes)`);
    }
  }
  const url = raw.url;
  if (url !== undefined && (typeof url !== "string" || !/^(https?|tg):\/\/\S+$/i.test(url))) {
    throw badRequest(`BUTTON_URL_INVALID (${where}: url must be an http(s) or tg:// URL)`);
  }
  if (raw.pay !== undefined) {
    if (context !== "invoice") {
      throw badRequest(`${where}: Pay buttons are allowed only in invoice messages`);
    }
    if (row !== 0 || column !== 0) {
      throw badRequest(`${where}: the Pay button must be the first button in the first row`);
    }
  }
  return raw as unknown as InlineKeyboardButton;
}

function isPayButton(button: InlineKeyboardButton | undefined): boolean {
  return button !== undefined && "pay" in button && button.pay === true;
}

/** Validates an InlineKeyboardMarkup (the only kind allowed on edits and invoices). */
export function parseInlineKeyboard(raw: unknown, context: MarkupContext): InlineKeyboardMarkup {
  if (!isObject(raw) || raw.inline_keyboard === undefined) {
    throw badRequest("can't parse inline keyboard markup JSON object: expected inline_keyboard");
  }
  const keyboard = rows(raw.inline_keyboard, "inline_keyboard").map((row, r) =>
    row.map((button, c) => inlineButton(button, r, c, context))
  );
  if (context === "invoice" && keyboard.length > 0 && !isPayButton(keyboard[0][0])) {
    throw badRequest("the first button of an invoice's inline keyboard must be a Pay button");
  }
  return { inline_keyboard: keyboard as InlineKeyboardButton[][] };
}

/** Validates any of the four reply_markup kinds of sendMessage. */
export function parseReplyMarkup(raw: unknown, context: MarkupContext): ReplyMarkup {
  if (isObject(raw) && raw.inline_keyboard !== undefined) {
    return { kind: "inline", markup: parseInlineKeyboard(raw, context) };
  }
  if (isObject(raw) && raw.keyboard !== undefined) {
    rows(raw.keyboard, "keyboard").forEach((row, r) =>
      row.forEach((button, c) => {
        const ok = typeof button === "string" ||
          (isObject(button) && typeof button.text === "string");
        if (!ok) {
          throw badRequest(
            `can't parse keyboard button [${r}][${c}]: field "text" must be of type String`,
          );
        }
      })
    );
    return { kind: "keyboard", markup: raw as unknown as ReplyKeyboardMarkup };
  }
  if (isObject(raw) && raw.remove_keyboard === true) {
    return { kind: "remove", markup: raw as unknown as ReplyKeyboardRemove };
  }
  if (isObject(raw) && raw.force_reply === true) {
    return { kind: "force_reply", markup: raw as unknown as ForceReply };
  }
  throw badRequest(
    "can't parse reply keyboard markup JSON object: expected inline_keyboard, keyboard, " +
      "remove_keyboard or force_reply",
  );
}
