/**
 * `/stars`: the Stars menu — the user's credits in the title, and buttons for the credits, the
 * shop, the history, the subscriptions, Telegram's "Buy Stars" page and "I bought Stars —
 * check". The shop lists one button per product on sale; pressing one sends its invoice.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import { encodeCallback, type StarsCallback } from "../callback_data.ts";
import type { TextKey } from "../texts.ts";
import { localized } from "../../../config/localized.ts";
import { depsOf, type HandlerDeps, senderOf, type Translator, translatorFor } from "./deps.ts";
import { keyboard, type Screen, sendScreen } from "./screen.ts";

/** Telegram's page where users buy Stars; it opens inside the Telegram app. */
export const BUY_STARS_URL = "https://t.me/stars/buy";

/** The Stars menu of `userId`. */
export async function menuScreen(
  deps: Pick<HandlerDeps, "payments">,
  { t }: Translator,
  userId: number,
): Promise<Screen> {
  const credits = await deps.payments.credits.balance(userId);
  const button = (key: TextKey, data: StarsCallback) => ({
    text: t(key),
    callback_data: encodeCallback(data),
  });
  return {
    text: t("menu.title", { balance: credits }),
    reply_markup: keyboard([
      [button("menu.balance", { kind: "balance" }), button("menu.products", { kind: "products" })],
      [
        button("menu.history", { kind: "history", page: 1 }),
        button("menu.subscriptions", { kind: "subscriptions" }),
      ],
      [{ text: t("menu.buy_stars"), url: BUY_STARS_URL }],
      [button("menu.check", { kind: "check" })],
    ]),
  };
}

/** The shop: one button per product on sale, or why nothing can be bought. */
export function productsScreen(
  deps: Pick<HandlerDeps, "config">,
  { t, locale }: Translator,
): Screen {
  const { config } = deps;
  if (!config.stars.enabled) return { text: t("invoice.stars_disabled") };
  const onSale = config.products.filter((product) => product.enabled);
  if (onSale.length === 0) return { text: t("menu.no_products") };
  return {
    text: t("menu.products_title"),
    reply_markup: keyboard(onSale.map((product) => [{
      text: t("menu.product_button", {
        title: localized(product.title, locale, config.locale),
        price: product.price,
      }),
      callback_data: encodeCallback({ kind: "buy", productId: product.id }),
    }])),
  };
}

/**
 * A shop button was pressed: sends the product's invoice. Returns the text for the callback
 * answer: nothing when the invoice went out, the reason when the product is not on sale, and
 * `callback.unknown` when the product no longer exists (the button is stale).
 */
export async function buyFromButton(
  deps: HandlerDeps,
  ctx: Context,
  productId: string,
): Promise<string | undefined> {
  const { user, chatId } = senderOf(ctx);
  const offer = await deps.payments.checkout.offer(user.id, chatId, productId, user.language_code);
  if (offer.kind !== "refused") return undefined;
  return offer.reason === "unknown_product"
    ? translatorFor(deps, ctx).t("callback.unknown")
    : offer.text;
}

/** The `/stars` handler. */
export function starsMenuHandlers(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("stars", async (ctx) => {
    const deps = depsOf(ctx);
    const { user } = senderOf(ctx);
    await sendScreen(ctx, await menuScreen(deps, translatorFor(deps, ctx), user.id));
  });
  return composer;
}
