/**
 * The way to a payment: offering a product (an order and its invoice, or a subscription link),
 * answering Telegram's pre-checkout query, the last moment the bot can refuse before the user
 * is charged, and finding the order a user comes back to after buying Stars.
 *
 * @example
 * ```ts ignore
 * import { Checkout } from "./checkout.ts";
 * const checkout = new Checkout(parts);
 * const offer = await checkout.offer(userId, chatId, "credits_100", "en");
 * const answer = await checkout.preCheckout(query); // within Telegram's 10 seconds
 * ```
 * @module
 */
import type { PreCheckoutQuery } from "grammy/types";
import type { Product } from "../../config/tenant_schema.ts";
import type { MoneyTextKey } from "../ports.ts";
import type { Order } from "../stores/orders.ts";
import { checkPreCheckout, type PreCheckoutRefusal } from "./order_machine.ts";
import { findProduct, type PaymentParts } from "./parts.ts";

/** Why an offer is refused. */
export type OfferRefusal = "unknown_product" | "product_disabled" | "stars_disabled";

/** The outcome of {@linkcode Checkout.offer}. */
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

/** The outcome of {@linkcode Checkout.pendingOrder}. */
export type PendingOrder =
  | { kind: "open"; order: Order; product?: Product }
  /** `balance` is the user's credits now. */
  | { kind: "paid"; order: Order; product?: Product; balance: number }
  | { kind: "none" };

/** What a {@linkcode Checkout} uses of the tenant's payment parts. */
export type CheckoutParts = Pick<
  PaymentParts,
  "tenant" | "db" | "clock" | "orders" | "users" | "ledger" | "api" | "texts" | "logger"
>;

/**
 * The checkout of one tenant; see the module doc.
 *
 * @example
 * ```ts ignore
 * const checkout = new Checkout(parts);
 * const result = await checkout.offer(7, 7, "credits_100", "ru");
 * ```
 */
export class Checkout {
  readonly #parts: CheckoutParts;

  constructor(parts: CheckoutParts) {
    this.#parts = parts;
  }

  /**
   * Offers `productId` to the user: records an order and sends its invoice (credits, items) or a
   * message with a subscription link and its button. The order's id is the invoice payload. A
   * product that does not exist or is not on sale is refused with the text to show. A failed Bot
   * API call throws; the order it left behind simply expires.
   *
   * @example
   * ```ts ignore
   * const result = await checkout.offer(7, 7, "credits_100", "ru");
   * if (result.kind === "refused") await reply(result.text);
   * ```
   */
  async offer(
    userId: number,
    chatId: number,
    productId: string,
    languageCode: string | undefined,
  ): Promise<OfferResult> {
    const { tenant, db, orders, users, api, texts } = this.#parts;
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
   * const answer = await checkout.preCheckout(query);
   * await api.answerPreCheckoutQuery(query.id, answer.ok,
   *   answer.ok ? undefined : { error_message: answer.errorMessage });
   * ```
   */
  async preCheckout(query: PreCheckoutQuery): Promise<PreCheckoutAnswer> {
    const { tenant, db, orders, clock, texts, logger } = this.#parts;
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

  /**
   * For "I bought Stars — check": the user's newest order that is open or paid. Open means
   * it can still be paid (re-offer it); paid comes with the user's credits. An older open order
   * that a newer paid one superseded (the user took a fresh invoice) does not count.
   *
   * @example
   * ```ts ignore
   * const pending = await checkout.pendingOrder(7);
   * if (pending.kind === "open") await checkout.offer(7, 7, pending.order.productId, "en");
   * ```
   */
  async pendingOrder(userId: number): Promise<PendingOrder> {
    const { db, orders, tenant, ledger } = this.#parts;
    const newest = await orders.latestForUser(db, userId, ["issued", "approved", "paid"]);
    if (newest === undefined) return { kind: "none" };
    const product = findProduct(tenant, newest.productId);
    if (newest.state !== "paid") return { kind: "open", order: newest, product };
    return { kind: "paid", order: newest, product, balance: await ledger.balance(db, userId) };
  }
}
