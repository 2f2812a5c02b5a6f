/**
 * The way to a payment: offering a product (an order and its invoice, or a subscription link),
 * answering Telegram's pre-checkout query, the last moment the bot can refuse before the user
 * is charged (and making sure the answer reaches Telegram within its 10 seconds), and finding
 * the order a user comes back to after buying Stars.
 *
 * @example Offers, and the check before Telegram charges
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { paymentServicesOptions } from "../../tests/support/payment_world.ts";
 * import { parseTestTenant } from "../../tests/support/tenant_configs.ts";
 * import { CREDITS_100, MONTHLY } from "../../tests/support/shop_products.ts";
 * import type { PaymentsApi } from "./bot_api.ts";
 * import { createPaymentServices } from "./services.ts";
 *
 * const tenant = parseTestTenant({ products: [CREDITS_100, MONTHLY] }, { token: "123:abc" });
 * const db = await openDatabase("sqlite::memory:");
 * const calls: string[] = []; // the Bot API calls made, by method
 * const answer = <T>(method: string, result: T) => () => {
 *   calls.push(method);
 *   return Promise.resolve(result);
 * };
 * const api: PaymentsApi = {
 *   sendInvoice: answer("sendInvoice", { message_id: 1 }),
 *   createInvoiceLink: answer("createInvoiceLink", "https://t.me/$link"),
 *   sendMessage: answer("sendMessage", { message_id: 2 }),
 *   refundStarPayment: answer("refundStarPayment", true as const),
 *   editUserStarSubscription: answer("editUserStarSubscription", true as const),
 * };
 * const payments = createPaymentServices(
 *   paymentServicesOptions({ tenant, db, clock: new ManualClock(0), api }),
 * );
 *
 * const invoice = await payments.checkout.offer(7, 7, "credits_100", "en");
 * assert(invoice.kind === "invoice");
 * // A subscription is sold through a link, sent in a message with a button.
 * assert.equal((await payments.checkout.offer(7, 7, "monthly", "en")).kind, "subscription_link");
 * assert.deepEqual(calls, ["sendInvoice", "createInvoiceLink", "sendMessage"]);
 * const gold = await payments.checkout.offer(7, 7, "gold", "en");
 * assert(gold.kind === "refused" && gold.reason === "unknown_product");
 *
 * const from = { id: 7, is_bot: false, first_name: "Ann", language_code: "en" };
 * const payload = invoice.order.orderId;
 * const query = { id: "q1", from, currency: "XTR", total_amount: 49, invoice_payload: payload };
 * const refused = await payments.checkout.preCheckout(query);
 * assert(!refused.ok && refused.refusal === "wrong_amount"); // with an error message for Ann
 * const approved = await payments.checkout.preCheckout({ ...query, total_amount: 50 });
 * assert.deepEqual(approved, { ok: true });
 *
 * // "I bought Stars — check": the newest order that can still be paid.
 * const pending = await payments.checkout.pendingOrder(7);
 * assert(pending.kind === "open" && pending.order.productId === "monthly");
 * await db.close();
 * ```
 * @module
 */
import type { PreCheckoutQuery } from "grammy/types";
import type { Product } from "../../config/tenant_schema.ts";
import { localized } from "../../config/localized.ts";
import type { BotApiFailure, MoneyTextKey } from "../ports.ts";
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

/**
 * Makes one attempt at telling Telegram the answer to a pre-checkout query, given up when
 * `signal` aborts; the handler passes `ctx.answerPreCheckoutQuery`. It throws what the Bot API
 * client throws, which {@linkcode ReadBotApiFailure} reads.
 */
export type SendPreCheckoutAnswer = (
  answer: PreCheckoutAnswer,
  signal: AbortSignal,
) => Promise<unknown>;

/**
 * How long the answer to a pre-checkout query may keep being retried. Telegram cancels the
 * payment 10 s after the buyer pressed Pay; this leaves room for the way the query came and the
 * way the last answer goes.
 */
const PRE_CHECKOUT_ANSWER_BUDGET_MS = 8_000;
/** One attempt's deadline: a lost attempt must leave time for another within the budget. */
const PRE_CHECKOUT_ATTEMPT_MS = 3_000;
/**
 * The waits before each retry: at once (a dropped connection usually is just that), then a
 * little longer each time, for a Bot API server that is restarting.
 */
const PRE_CHECKOUT_RETRY_DELAYS_MS = [0, 250, 500, 1_000];

/** The outcome of {@linkcode Checkout.pendingOrder}. */
export type PendingOrder =
  | { kind: "open"; order: Order; product?: Product }
  /** `balance` is the user's credits now. */
  | { kind: "paid"; order: Order; product?: Product; balance: number }
  | { kind: "none" };

/** What a {@linkcode Checkout} uses of the tenant's payment parts. */
export type CheckoutParts = Pick<
  PaymentParts,
  | "tenant"
  | "db"
  | "clock"
  | "orders"
  | "users"
  | "ledger"
  | "api"
  | "texts"
  | "logger"
  | "readFailure"
>;

/** The checkout of one tenant; see the module doc. */
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
   */
  async offer(
    userId: number,
    chatId: number,
    productId: string,
    languageCode: string | undefined,
  ): Promise<OfferResult> {
    const { tenant, db, orders, users, api, texts } = this.#parts;
    const { locale, t } = texts.forUser(languageCode);
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
    const title = localized(product.title, locale, tenant.locale);
    const description = localized(product.description, locale, tenant.locale);
    if (!product.enabled) return refuse("product_disabled", "invoice.product_disabled", { title });
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
    const prices = [{ label: title, amount: product.price }];
    if (product.kind !== "subscription") {
      const sent = await api.sendInvoice(
        chatId,
        title,
        description,
        order.orderId,
        "XTR",
        prices,
        // Stars invoices take an empty provider token.
        { provider_token: "" },
      );
      return { kind: "invoice", order, messageId: sent.message_id };
    }
    const url = await api.createInvoiceLink(
      title,
      description,
      order.orderId,
      "",
      "XTR",
      prices,
      { subscription_period: tenant.stars.subscriptionPeriod },
    );
    const vars = { title, price: product.price };
    const sent = await api.sendMessage(chatId, t("invoice.subscription_link", vars), {
      reply_markup: { inline_keyboard: [[{ text: t("invoice.subscribe_button", vars), url }]] },
    });
    return { kind: "subscription_link", order, url, messageId: sent.message_id };
  }

  /**
   * Checks a pre-checkout query against its order (`checkPreCheckout`) and, when it passes, marks
   * the order approved. One small transaction, so the answer fits Telegram's 10 seconds; a
   * storage failure is logged and answered as a refusal the user can retry.
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
   * Tells Telegram the answer to a pre-checkout query through `send`, retrying within
   * Telegram's 10 seconds when the attempt got no answer (a dropped connection, a deadline) or a
   * 5xx or 429: without an answer Telegram cancels the payment, and the buyer is left guessing.
   * Each attempt has a deadline of its own. A `400` after an attempt that may have arrived means
   * that one did (the query is answered, or too old to answer): nothing is left to do. Any other
   * refusal, or running out of time, throws the last error.
   */
  async answerPreCheckout(
    query: Pick<PreCheckoutQuery, "id">,
    answer: PreCheckoutAnswer,
    send: SendPreCheckoutAnswer,
  ): Promise<void> {
    const { clock, logger } = this.#parts;
    const giveUpAt = clock.now() + PRE_CHECKOUT_ANSWER_BUDGET_MS;
    let mayHaveArrived = false;
    for (let attempt = 0;; attempt++) {
      const attemptMs = Math.min(PRE_CHECKOUT_ATTEMPT_MS, giveUpAt - clock.now());
      const failed = await this.#tryToAnswer(answer, send, attemptMs);
      if (failed === undefined) return;
      const { failure } = failed;
      if (mayHaveArrived && failure.kind === "refused" && failure.code === 400) {
        logger.info("Pre-checkout query {queryId} was answered by an earlier attempt ({error}).", {
          queryId: query.id,
          error: failure.description,
        });
        return;
      }
      const transient = failure.kind === "unreachable" ||
        (failure.kind === "refused" && (failure.code >= 500 || failure.code === 429));
      const delay = PRE_CHECKOUT_RETRY_DELAYS_MS[
        Math.min(attempt, PRE_CHECKOUT_RETRY_DELAYS_MS.length - 1)
      ];
      if (!transient || clock.now() + delay >= giveUpAt) throw failed.error;
      // A lost answer or a 5xx may have been acted on; a 429 certainly was not.
      mayHaveArrived ||= failure.kind === "unreachable" || failure.code >= 500;
      logger.warn("Answering pre-checkout query {queryId} failed ({error}); retrying.", {
        queryId: query.id,
        error: failure.description,
      });
      if (delay > 0) await clock.sleep(delay);
    }
  }

  /** One attempt of {@linkcode Checkout.answerPreCheckout}; returns how it failed, if it did. */
  async #tryToAnswer(
    answer: PreCheckoutAnswer,
    send: SendPreCheckoutAnswer,
    deadlineMs: number,
  ): Promise<{ error: unknown; failure: BotApiFailure } | undefined> {
    const { clock, readFailure } = this.#parts;
    const deadline = new AbortController();
    const timer = clock.setTimeout(() => deadline.abort(), deadlineMs);
    try {
      await send(answer, deadline.signal);
      return undefined;
    } catch (error) {
      const failure: BotApiFailure = deadline.signal.aborted
        ? { kind: "unreachable", description: `no answer within ${deadlineMs} ms`, timedOut: true }
        : readFailure(error);
      return { error, failure };
    } finally {
      clock.clearTimeout(timer);
    }
  }

  /**
   * For "I bought Stars — check": the user's newest order that is open or paid. Open means
   * it can still be paid (re-offer it); paid comes with the user's credits. An older open order
   * that a newer paid one superseded (the user took a fresh invoice) does not count.
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
