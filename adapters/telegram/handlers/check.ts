/**
 * "I bought Stars — check": a user who went to buy Stars because their wallet could not cover
 * an invoice comes back and presses this. If their newest order can still be paid, they get it
 * again as a fresh invoice (the old message may be far up the chat); if it is paid, they see
 * so with their credits; otherwise they are told there is no open order.
 *
 * @module
 */
import type { Context } from "grammy";
import { type HandlerDeps, productTitle, senderOf, translatorFor } from "./deps.ts";

/** Answers "I bought Stars — check" in the update's chat; see the module doc. */
export async function checkPurchase(deps: HandlerDeps, ctx: Context): Promise<void> {
  const { user, chatId } = senderOf(ctx);
  const { t, locale } = translatorFor(deps, ctx);
  const pending = await deps.payments.checkout.pendingOrder(user.id);
  switch (pending.kind) {
    case "none":
      await ctx.reply(t("check.nothing"));
      return;
    case "paid":
      await ctx.reply(t("check.paid", {
        title: productTitle(deps, locale, pending.order.productId),
        balance: pending.balance,
      }));
      return;
    case "open": {
      const { product } = pending;
      // Announce the invoice only when it can be sent; otherwise the refusal says why not.
      if (product !== undefined && product.enabled && deps.config.stars.enabled) {
        const title = productTitle(deps, locale, product.id);
        await ctx.reply(t("check.pending", { title, price: product.price }));
      }
      const offer = await deps.payments.checkout.offer(
        user.id,
        chatId,
        pending.order.productId,
        user.language_code,
      );
      if (offer.kind === "refused") await ctx.reply(offer.text);
      return;
    }
  }
}
