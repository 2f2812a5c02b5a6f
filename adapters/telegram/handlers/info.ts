/**
 * `/paysupport` and `/terms`: Telegram requires every bot that accepts payments to answer both.
 * The texts come from the tenant's config overrides or the defaults.
 *
 * @example
 * ```ts ignore
 * import { infoHandlers } from "./info.ts";
 * bot.chatType("private").use(infoHandlers(deps));
 * ```
 * @module
 */
import { Composer, type Context } from "grammy";
import { type HandlerDeps, translatorFor } from "./deps.ts";

/**
 * The `/paysupport` and `/terms` handlers.
 *
 * @example
 * ```ts ignore
 * composer.use(infoHandlers({ config, texts, payments, logger }));
 * ```
 */
export function infoHandlers(deps: Pick<HandlerDeps, "texts">): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("paysupport", async (ctx) => {
    await ctx.reply(translatorFor(deps, ctx).t("paysupport.text"));
  });
  composer.command("terms", async (ctx) => {
    await ctx.reply(translatorFor(deps, ctx).t("terms.text"));
  });
  return composer;
}
