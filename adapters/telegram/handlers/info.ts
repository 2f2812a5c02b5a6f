/**
 * `/paysupport` and `/terms`: Telegram requires every bot that accepts payments to answer both.
 * The texts come from the tenant's config overrides or the defaults.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import { type HandlerDeps, translatorFor } from "./deps.ts";

/** The `/paysupport` and `/terms` handlers. */
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
