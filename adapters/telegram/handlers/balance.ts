/**
 * `/balance` (and the menu's balance button): the user's credit balance.
 *
 * @example
 * ```ts ignore
 * import { balanceHandlers } from "./balance.ts";
 * bot.chatType("private").use(balanceHandlers(deps));
 * // "/balance" → "Your balance: 100 credits."
 * ```
 * @module
 */
import { Composer, type Context } from "grammy";
import { type HandlerDeps, senderOf, type Translator, translatorFor } from "./deps.ts";
import { type Screen, sendScreen } from "./screen.ts";

/**
 * The balance message of `userId`.
 *
 * @example
 * ```ts ignore
 * await sendScreen(ctx, await balanceScreen(deps, translatorFor(deps, ctx), user.id));
 * ```
 */
export async function balanceScreen(
  deps: Pick<HandlerDeps, "payments">,
  { t }: Translator,
  userId: number,
): Promise<Screen> {
  return { text: t("balance.text", { balance: await deps.payments.balance(userId) }) };
}

/**
 * The `/balance` handler.
 *
 * @example
 * ```ts ignore
 * composer.use(balanceHandlers({ config, texts, payments, logger }));
 * ```
 */
export function balanceHandlers(deps: HandlerDeps): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("balance", async (ctx) => {
    const { user } = senderOf(ctx);
    await sendScreen(ctx, await balanceScreen(deps, translatorFor(deps, ctx), user.id));
  });
  return composer;
}
