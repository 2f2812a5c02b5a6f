/**
 * Payment support in the chat (`money/support/support_desk.ts` keeps its state): `/paysupport`
 * opens the buyer's ticket; the plain text a buyer writes while it is open goes to the admins,
 * and an admin's reply to such a copy goes back to the buyer. Text that is neither falls through
 * (to the tenant's plugin, then to the help answer of `fallbacks.ts`).
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import type { Update } from "grammy/types";
import { depsOf, senderOf, translatorFor } from "./deps.ts";

/**
 * True for the updates support may take: a text message in a private chat that is not a
 * command. Checked before the support handlers, so every other update skips them in one step
 * (see `runtime_updates.ts` for why that matters).
 */
export function isSupportCandidate(update: Update): boolean {
  const message = update.message;
  if (message?.chat.type !== "private" || message.text === undefined) return false;
  return !(message.entities ?? []).some((e) => e.type === "bot_command" && e.offset === 0);
}

/** `/paysupport`: opens the buyer's ticket and says how support works. */
export function supportCommandHandlers(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("paysupport", async (ctx) => {
    const deps = depsOf(ctx);
    const { user, chatId } = senderOf(ctx);
    await deps.payments.support.open(user.id, chatId, user.language_code);
    await ctx.reply(translatorFor(deps, ctx).t("paysupport.text"));
  });
  return composer;
}

/** Relays buyers' messages to the admins and the admins' replies back; see the module doc. */
export function supportMessageHandlers(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.on("message:text", async (ctx, next) => {
    const deps = depsOf(ctx);
    const { t } = translatorFor(deps, ctx);
    const { user, chatId } = senderOf(ctx);
    const repliedTo = ctx.message.reply_to_message?.message_id;
    if (repliedTo !== undefined) {
      const answer = await deps.payments.support.answer(
        { id: user.id, languageCode: user.language_code },
        ctx.message.message_id,
        repliedTo,
        ctx.message.text,
      );
      if (answer.kind === "answered") {
        await ctx.reply(t("support.answered"));
        return;
      }
    }
    const relayed = await deps.payments.support.relay({
      from: user,
      chatId,
      messageId: ctx.message.message_id,
      text: ctx.message.text,
    });
    switch (relayed.kind) {
      case "no_ticket":
        return next();
      case "rate_limited":
        await ctx.reply(
          t("support.rate_limited", { minutes: Math.ceil(relayed.retryInMs / 60_000) }),
        );
        return;
      case "forwarded":
        await ctx.reply(t(relayed.admins === 0 ? "support.recorded" : "support.sent"));
        return;
    }
  });
  return composer;
}
