/**
 * `/terms`: Telegram requires every bot that accepts payments to answer it (and `/paysupport`,
 * which `support.ts` answers). The text comes from the tenant's config overrides or the defaults.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import { depsOf, translatorFor } from "./deps.ts";

/** The `/terms` handler. */
export function infoHandlers(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("terms", async (ctx) => {
    const deps = depsOf(ctx);
    await ctx.reply(translatorFor(deps, ctx).t("terms.text"));
  });
  return composer;
}
