/**
 * A screen: the text and inline keyboard of one bot message, built once and then either sent as
 * a new message or written over the message whose button was pressed.
 *
 * @module
 */
import { type Context, GrammyError } from "grammy";
import type { InlineKeyboardButton, InlineKeyboardMarkup } from "grammy/types";

/** The content of one message. */
export interface Screen {
  text: string;
  reply_markup?: InlineKeyboardMarkup;
}

/**
 * A keyboard from rows of buttons, leaving out empty rows; `undefined` when no button is left,
 * so a message without buttons carries no empty keyboard.
 */
export function keyboard(rows: InlineKeyboardButton[][]): InlineKeyboardMarkup | undefined {
  const filled = rows.filter((row) => row.length > 0);
  return filled.length === 0 ? undefined : { inline_keyboard: filled };
}

/**
 * The "Newer" / "Older" buttons of page `page` of `pages`: `prev` and `next` are their labels,
 * `data` the button data of a page. The first page has no "Newer", the last no "Older".
 */
export function pageButtons(
  labels: { prev: string; next: string },
  page: number,
  pages: number,
  data: (page: number) => string,
): InlineKeyboardButton[] {
  const buttons: InlineKeyboardButton[] = [];
  if (page > 1) buttons.push({ text: labels.prev, callback_data: data(page - 1) });
  if (page < pages) buttons.push({ text: labels.next, callback_data: data(page + 1) });
  return buttons;
}

/** Sends `screen` as a new message in the update's chat. */
export async function sendScreen(ctx: Context, screen: Screen): Promise<void> {
  await ctx.reply(screen.text, screen.reply_markup ? { reply_markup: screen.reply_markup } : {});
}

/**
 * Writes `screen` over the message whose button was pressed. Telegram refuses an edit that
 * changes nothing ("message is not modified"), which happens when the same button is pressed
 * twice; the message then already shows the screen, so that refusal is not an error.
 */
export async function editScreen(ctx: Context, screen: Screen): Promise<void> {
  try {
    await ctx.editMessageText(
      screen.text,
      screen.reply_markup ? { reply_markup: screen.reply_markup } : {},
    );
  } catch (error) {
    if (error instanceof GrammyError && error.description.includes("message is not modified")) {
      return;
    }
    throw error;
  }
}
