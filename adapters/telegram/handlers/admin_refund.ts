/**
 * `/refund <charge_id>`, for the tenant's admins (`config.admins`) only: returns a payment's
 * Stars to the user and reverses what it granted (`Refunds.refund`). Anyone else is
 * refused and nothing is looked up. Refunding twice is safe: the second time says it was
 * already done.
 *
 * @example
 * ```ts ignore
 * import { adminRefundHandlers } from "./admin_refund.ts";
 * bot.chatType("private").use(adminRefundHandlers(deps));
 * // admin: "/refund stxAbc…" → "Refunded 50 ⭐ to user 1001 (charge stxAbc…); 100 credits reversed."
 * ```
 * @module
 */
import { Composer, type Context } from "grammy";
import { type HandlerDeps, senderOf, translatorFor } from "./deps.ts";

/**
 * The `/refund` handler.
 *
 * @example
 * ```ts ignore
 * composer.use(adminRefundHandlers({ config, texts, payments, logger }));
 * ```
 */
export function adminRefundHandlers(deps: HandlerDeps): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("refund", async (ctx) => {
    const { user } = senderOf(ctx);
    const { t } = translatorFor(deps, ctx);
    if (!deps.config.admins.includes(user.id)) {
      deps.logger.warn("User {userId} tried /refund but is not an admin.", { userId: user.id });
      await ctx.reply(t("refund.not_admin"));
      return;
    }
    const args = ctx.match.trim().split(/\s+/).filter((arg) => arg !== "");
    if (args.length !== 1) {
      await ctx.reply(t("refund.usage"));
      return;
    }
    const [chargeId] = args;
    const outcome = await deps.payments.refunds.refund(chargeId, { by: "admin", adminId: user.id });
    switch (outcome.kind) {
      case "refunded":
        await ctx.reply(t("refund.done", {
          price: outcome.price,
          userId: outcome.userId,
          chargeId,
          credits: outcome.credits,
        }));
        return;
      case "already_refunded":
        await ctx.reply(t("refund.already", { chargeId }));
        return;
      case "unknown_charge":
        await ctx.reply(t("refund.unknown_charge", { chargeId }));
        return;
      case "failed":
        await ctx.reply(t("refund.failed", { chargeId, error: outcome.error }));
        return;
    }
  });
  return composer;
}
