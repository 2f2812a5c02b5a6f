/**
 * `/balance` (and the menu's balance button): the user's credits — not the bot's Stars, which
 * only admins see (`admin_bot_stars.ts`).
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import { depsOf, type HandlerDeps, senderOf, type Translator, translatorFor } from "./deps.ts";
import { type Screen, sendScreen } from "./screen.ts";

/** The message with the credits of `userId`. */
export async function creditsScreen(
  deps: Pick<HandlerDeps, "payments">,
  { t }: Translator,
  userId: number,
): Promise<Screen> {
  return { text: t("balance.text", { balance: await deps.payments.credits.balance(userId) }) };
}

/** The `/balance` handler. */
export function creditsHandlers(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("balance", async (ctx) => {
    const deps = depsOf(ctx);
    const { user } = senderOf(ctx);
    await sendScreen(ctx, await creditsScreen(deps, translatorFor(deps, ctx), user.id));
  });
  return composer;
}
