/**
 * The way to a payment: offering a product (an order and its invoice, or a subscription link)
 * and answering Telegram's pre-checkout query, the last moment the bot can refuse before the
 * user is charged.
 *
 * @example
 * ```ts ignore
 * import { answerPreCheckout, offerProduct } from "./checkout.ts";
 * const offer = await offerProduct(ctx, userId, chatId, "credits_100", "en");
 * const answer = await answerPreCheckout(ctx, query); // within Telegram's 10 seconds
 * ```
 * @module
 */
import type { PreCheckoutQuery } from "grammy/types";
import type { MoneyTextKey } from "../ports.ts";
import type { Order } from "../stores/orders.ts";
import { checkPreCheckout, type PreCheckoutRefusal } from "./order_machine.ts";
import { findProduct, type PaymentContext } from "./context.ts";

/** Why an offer is refused. */
export type OfferRefusal = "unknown_product" | "product_disabled" | "stars_disabled";

/** The outcome of {@linkcode offerProduct}. */
export type OfferResult =
  | { kind: "invoice"; order: Order; messageId: number }
  | { kind: "subscription_link"; order: Order; url: string; messageId: number }
  | {
    kind: "refused";
    reason: OfferRefusal;
    /** The text to show the user, and its key. */
    textKey: MoneyTextKey;
    text: string;
  };

/** The answer to a pre-checkout query. */
export type PreCheckoutAnswer =
  | { ok: true }
  | {
    ok: false;
    /** `error` when the check itself failed (storage trouble); the user may simply retry. */
    refusal: PreCheckoutRefusal | "error";
    /** For `answerPreCheckoutQuery`'s `error_message`, in the payer's language. */
    errorMessage: string;
  };

/**
 * Offers `productId` to the user: records an order and sends its invoice (credits, items) or a
 * message with a subscription link and its button. The order's id is the invoice payload. A
 * product that does not exist or is not on sale is refused with the text to show. A failed Bot
 * API call throws; the order it left behind simply expires.
 *
 * @example
 * ```ts ignore
 * const result = await offerProduct(ctx, 7, 7, "credits_100", "ru");
 * if (result.kind === "refused") await reply(result.text);
 * ```
 */
export async function offerProduct(
  ctx: PaymentContext,
  userId: number,
  chatId: number,
  productId: string,
  languageCode: string | undefined,
): Promise<OfferResult> {
  const { tenant, db, orders, users, api, texts } = ctx;
  const t = texts.forUser(languageCode).t;
  const refuse = (
    reason: OfferRefusal,
    textKey: MoneyTextKey,
    vars: Record<string, string> = {},
  ): OfferResult => ({ kind: "refused", reason, textKey, text: t(textKey, vars) });
  const product = findProduct(tenant, productId);
  if (product === undefined) {
    return refuse("unknown_product", "start.unknown_product", { product: productId });
  }
  if (!tenant.stars.enabled) return refuse("stars_disabled", "invoice.stars_disabled");
  if (!product.enabled) {
    return refuse("product_disabled", "invoice.product_disabled", { title: product.title });
  }
  const order = await db.transaction(async (tx) => {
    await users.rememberLanguage(tx, userId, languageCode);
    return await orders.issue(tx, {
      userId,
      chatId,
      productId,
      amount: product.price,
      ttlMs: tenant.stars.orderTtlSeconds * 1_000,
    });
  });
  const prices = [{ label: product.title, amount: product.price }];
  if (product.kind !== "subscription") {
    const sent = await api.sendInvoice(
      chatId,
      product.title,
      product.description,
      order.orderId,
      "XTR",
      prices,
      // Stars invoices take an empty provider token.
      { provider_token: "" },
    );
    return { kind: "invoice", order, messageId: sent.message_id };
  }
  const url = await api.createInvoiceLink(
    product.title,
    product.description,
    order.orderId,
    "",
    "XTR",
    prices,
    { subscription_period: tenant.stars.subscriptionPeriod },
  );
  const vars = { title: product.title, price: product.price };
  const sent = await api.sendMessage(chatId, t("invoice.subscription_link", vars), {
    reply_markup: { inline_keyboard: [[{ text: t("invoice.subscribe_button", vars), url }]] },
  });
  return { kind: "subscription_link", order, url, messageId: sent.message_id };
}

/**
 * Checks a pre-checkout query against its order (`checkPreCheckout`) and, when it passes, marks
 * the order approved. One small transaction, so the answer fits Telegram's 10 seconds; a
 * storage failure is logged and answered as a refusal the user can retry.
 *
 * @example
 * ```ts ignore
 * const answer = await answerPreCheckout(ctx, query);
 * await api.answerPreCheckoutQuery(query.id, answer.ok,
 *   answer.ok ? undefined : { error_message: answer.errorMessage });
 * ```
 */
export async function answerPreCheckout(
  ctx: PaymentContext,
  query: PreCheckoutQuery,
): Promise<PreCheckoutAnswer> {
  const { tenant, db, orders, clock, texts, logger } = ctx;
  const t = texts.forUser(query.from.language_code).t;
  try {
    const check = await db.transaction(async (tx) => {
      const order = await orders.get(tx, query.invoice_payload);
      const result = checkPreCheckout({
        order,
        product: order === undefined ? undefined : findProduct(tenant, order.productId),
        starsEnabled: tenant.stars.enabled,
        query: {
          currency: query.currency,
          totalAmount: query.total_amount,
          fromId: query.from.id,
        },
        now: clock.now(),
      });
      if (result.ok) await orders.apply(tx, order!.orderId, "approve");
      return result;
    });
    if (check.ok) return { ok: true };
    logger.info("Pre-checkout of {payload} by {userId} refused: {refusal}.", {
      payload: query.invoice_payload,
      userId: query.from.id,
      refusal: check.refusal,
    });
    return { ok: false, refusal: check.refusal, errorMessage: t(`precheckout.${check.refusal}`) };
  } catch (error) {
    logger.error("Pre-checkout of {payload} failed: {error}", {
      payload: query.invoice_payload,
      error: String(error),
    });
    return { ok: false, refusal: "error", errorMessage: t("precheckout.error") };
  }
}
