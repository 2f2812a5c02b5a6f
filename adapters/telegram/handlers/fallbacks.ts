/**
 * What runs last, after the runtime's handlers and the tenant's plugin: a callback query that
 * nobody answered (a plugin button the plugin no longer knows, or any other stray data) gets
 * `callback.unknown`, so the user's button never spins until Telegram gives up.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import type { Texts } from "../texts.ts";
import { answerCallback } from "./answer.ts";
import { translatorFor } from "./deps.ts";

/** The fallback handlers; install them after everything else. */
export function fallbackHandlers(texts: Texts): Composer<Context> {
  const composer = new Composer<Context>();
  composer.on("callback_query", async (ctx) => {
    await answerCallback(ctx, translatorFor({ texts }, ctx).t("callback.unknown"));
  });
  return composer;
}
