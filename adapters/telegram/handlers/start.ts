/**
 * `/start`: the greeting, or with a deep link `t.me/<bot>?start=buy_<productId>` the invoice of
 * that product (a subscription gets a message with its link instead; `Checkout.offer`
 * decides and makes the API calls). A product that does not exist or is not on sale gets the
 * reason as a reply.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import { depsOf, senderOf, translatorFor } from "./deps.ts";

/** The start parameter of a purchase deep link is this prefix and the product id. */
export const BUY_DEEP_LINK_PREFIX = "buy_";

/** The `/start` handler; see the module doc. */
export function startHandlers(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("start", async (ctx) => {
    const deps = depsOf(ctx);
    const { user, chatId } = senderOf(ctx);
    const payload = ctx.match.trim();
    if (!payload.startsWith(BUY_DEEP_LINK_PREFIX)) {
      const { t } = translatorFor(deps, ctx);
      await ctx.reply(t("start.greeting", { name: user.first_name, bot: ctx.me.username }));
      return;
    }
    const productId = payload.slice(BUY_DEEP_LINK_PREFIX.length);
    const offer = await deps.payments.checkout.offer(
      user.id,
      chatId,
      productId,
      user.language_code,
    );
    if (offer.kind === "refused") await ctx.reply(offer.text);
  });
  return composer;
}
