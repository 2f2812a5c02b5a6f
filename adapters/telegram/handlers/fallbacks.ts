/**
 * What runs last, after the runtime's handlers and the tenant's plugin:
 *
 * - a callback query that nobody answered (a plugin button the plugin no longer knows, or any
 *   other stray data) gets `callback.unknown`, so the user's button never spins until Telegram
 *   gives up;
 * - a command nobody knows, or text nobody took (no support ticket open, no plugin answer), gets
 *   a short help answer. In a private chat always; in a group only when addressed to the bot (a
 *   command or mention naming it, or a reply to one of its messages): a group's chatter is not
 *   for the bot.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import type { Message } from "grammy/types";
import type { Texts } from "../texts.ts";
import { answerCallback } from "./answer.ts";
import { translatorFor } from "./deps.ts";

/** The fallback handlers; install them after everything else. */
export function fallbackHandlers(texts: Texts): Composer<Context> {
  const composer = new Composer<Context>();
  composer.on("callback_query", async (ctx) => {
    await answerCallback(ctx, translatorFor({ texts }, ctx).t("callback.unknown"));
  });
  composer.on("message:text", async (ctx) => {
    const message = ctx.message;
    if (message.chat.type !== "private" && !isAddressed(message, ctx.me.username, ctx.me.id)) {
      return;
    }
    const { t } = translatorFor({ texts }, ctx);
    const command = commandOf(message);
    await ctx.reply(
      command === undefined ? t("help.text") : t("help.unknown_command", { command }),
    );
  });
  return composer;
}

/** The command a message starts with (`/foo`, without `@bot`), or `undefined`. */
function commandOf(message: Message.TextMessage): string | undefined {
  const entity = message.entities?.find((e) => e.type === "bot_command" && e.offset === 0);
  if (entity === undefined) return undefined;
  return message.text.slice(0, entity.length).split("@")[0];
}

/** Whether a group message is meant for the bot: names it, or replies to it. */
function isAddressed(message: Message.TextMessage, username: string, botId: number): boolean {
  if (message.reply_to_message?.from?.id === botId) return true;
  const mention = `@${username}`.toLowerCase();
  return (message.entities ?? []).some((entity) => {
    const part = message.text.slice(entity.offset, entity.offset + entity.length).toLowerCase();
    if (entity.type === "mention") return part === mention;
    // In a group, a bare /command may be for another bot; /command@this_bot is for us.
    return entity.type === "bot_command" && part.endsWith(mention);
  });
}
