/**
 * `/terms`: Telegram requires every bot that accepts payments to answer it (and `/paysupport`,
 * which `support.ts` answers). The text comes from the tenant's config overrides or the defaults.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import { type HandlerDeps, translatorFor } from "./deps.ts";

/** The `/terms` handler. */
export function infoHandlers(deps: Pick<HandlerDeps, "texts">): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("terms", async (ctx) => {
    await ctx.reply(translatorFor(deps, ctx).t("terms.text"));
  });
  return composer;
}
