/**
 * `/balance` (and the menu's balance button): the user's credits — not the bot's Stars, which
 * only admins see (`admin_bot_stars.ts`).
 *
 * @example
 * ```ts ignore
 * import { creditsHandlers } from "./credits.ts";
 * bot.chatType("private").use(creditsHandlers(deps));
 * // "/balance" → "Your balance: 100 credits."
 * ```
 * @module
 */
import { Composer, type Context } from "grammy";
import { type HandlerDeps, senderOf, type Translator, translatorFor } from "./deps.ts";
import { type Screen, sendScreen } from "./screen.ts";

/**
 * The message with the credits of `userId`.
 *
 * @example
 * ```ts ignore
 * await sendScreen(ctx, await creditsScreen(deps, translatorFor(deps, ctx), user.id));
 * ```
 */
export async function creditsScreen(
  deps: Pick<HandlerDeps, "payments">,
  { t }: Translator,
  userId: number,
): Promise<Screen> {
  return { text: t("balance.text", { balance: await deps.payments.credits.balance(userId) }) };
}

/**
 * The `/balance` handler.
 *
 * @example
 * ```ts ignore
 * composer.use(creditsHandlers({ config, texts, payments, logger }));
 * ```
 */
export function creditsHandlers(deps: HandlerDeps): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("balance", async (ctx) => {
    const { user } = senderOf(ctx);
    await sendScreen(ctx, await creditsScreen(deps, translatorFor(deps, ctx), user.id));
  });
  return composer;
}
