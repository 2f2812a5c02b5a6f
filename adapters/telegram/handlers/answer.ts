/**
 * Answering a callback query: with a short text shown as a toast, or silently to stop the
 * button's spinner. Telegram refuses answer texts over 200 characters, and tenants may override
 * any text with up to 4096, so longer texts are clipped rather than failing the answer.
 *
 * @module
 */
import type { Context } from "grammy";

/** Telegram's limit for the text of a callback query answer. */
export const MAX_ANSWER_LENGTH = 200;

/**
 * `text` cut to {@linkcode MAX_ANSWER_LENGTH} characters, ending in "…" when cut.
 */
export function clipAnswer(text: string): string {
  return text.length <= MAX_ANSWER_LENGTH ? text : `${text.slice(0, MAX_ANSWER_LENGTH - 1)}…`;
}

/** Answers the update's callback query, with `text` as a toast when given. */
export async function answerCallback(ctx: Context, text?: string): Promise<void> {
  await ctx.answerCallbackQuery(text === undefined ? {} : { text: clipAnswer(text) });
}
