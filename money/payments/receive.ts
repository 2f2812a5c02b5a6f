/**
 * Applying a `successful_payment`: the moment money has arrived. Everything it causes happens
 * in ONE transaction that starts by recording the payment under its charge id, so a handler that
 * runs twice (the inbox re-runs unfinished updates) finds the payment and changes nothing:
 * exactly one credit, one receipt, one delivery.
 *
 * What the payment does depends on its order:
 * - an unpaid order (`issued`, `approved`, even `expired`: see `payment_machine.ts`) is paid, and
 *   the product is granted: credits deposited, an item's content sent, a subscription started;
 * - a paid subscription order with a recurring charge is a renewal: the subscription extended;
 * - any other second charge for a paid order is a double payment: recorded as `duplicate` and
 *   refunded through the outbox, never granted;
 * - a payload that names no order, an order of another user, or a product no longer configured:
 *   recorded as `orphan`, nothing granted automatically, the admins told.
 *
 * Messages go to the outbox (receipt, content, notices), worded in the payer's language.
 *
 * @example
 * ```ts ignore
 * import { receivePayment } from "./receive.ts";
 * bot.on("message:successful_payment", async (c) => {
 *   const outcome = await receivePayment(ctx, c.message);
 *   logger.info("Payment {kind}", { kind: outcome.kind });
 * });
 * ```
 * @module
 */
import type { SuccessfulPayment, User } from "grammy/types";
import type { SqlRunner } from "../ports.ts";
import type { MoneyTextKey } from "../ports.ts";
import type {
  CreditsProduct,
  ItemProduct,
  Product,
  SubscriptionProduct,
} from "../../config/tenant_schema.ts";
import type { Order } from "../stores/orders.ts";
import { findProduct, formatMoment, messageCall, type PaymentContext } from "./context.ts";
import type { PaymentKind } from "../stores/payment_records.ts";

/** The part of a Telegram message that reports a payment; grammY's `Message` has it. */
export interface PaymentMessage {
  from?: User;
  chat: { id: number };
  successful_payment: SuccessfulPayment;
}

/** Why a payment could not be matched to something to grant. */
export type OrphanReason = "unknown_order" | "foreign_payer" | "unknown_product";

/** What applying a payment did. */
export type PaymentOutcome =
  | {
    kind: "credited";
    chargeId: string;
    userId: number;
    orderId: string;
    productId: string;
    credits: number;
    balance: number;
  }
  | { kind: "delivered"; chargeId: string; userId: number; orderId: string; productId: string }
  | {
    kind: "subscribed" | "renewed";
    chargeId: string;
    userId: number;
    orderId: string;
    productId: string;
    /** End of the paid period, in milliseconds. */
    expiresAt: number;
    /** Credits deposited with this period (0 for a subscription without credits). */
    credits: number;
  }
  | { kind: "double_payment_refunding"; chargeId: string; userId: number; orderId: string }
  | { kind: "already_applied"; chargeId: string }
  | { kind: "unknown_order_recorded"; chargeId: string; userId: number; reason: OrphanReason };

/** What a payment will do, decided from its order before anything is written. */
type Plan =
  | { kind: "orphan"; reason: OrphanReason; order?: Order }
  | { kind: "duplicate"; order: Order; product: Product }
  | { kind: "credits"; order: Order; product: CreditsProduct }
  | { kind: "item"; order: Order; product: ItemProduct }
  | { kind: "subscription" | "renewal"; order: Order; product: SubscriptionProduct };

function plan(
  ctx: PaymentContext,
  order: Order | undefined,
  payerId: number,
  payment: SuccessfulPayment,
): Plan {
  if (order === undefined) return { kind: "orphan", reason: "unknown_order" };
  if (order.userId !== payerId) return { kind: "orphan", reason: "foreign_payer", order };
  const product = findProduct(ctx.tenant, order.productId);
  if (product === undefined) return { kind: "orphan", reason: "unknown_product", order };
  const alreadyPaid = order.state === "paid" || order.state === "refunded";
  if (product.kind === "subscription") {
    // A first recurring charge on a paid order is the user subscribing again through the same
    // link after the earlier subscription ended: a new subscription, not a double payment.
    if (!alreadyPaid || payment.is_first_recurring) {
      return { kind: "subscription", order, product };
    }
    if (payment.is_recurring) return { kind: "renewal", order, product };
    return { kind: "duplicate", order, product };
  }
  if (alreadyPaid) return { kind: "duplicate", order, product };
  return product.kind === "credits"
    ? { kind: "credits", order, product }
    : { kind: "item", order, product };
}

/**
 * Applies a `successful_payment` message (see the module doc). Throws for a message without a
 * sender; storage errors propagate and roll everything back, so the update can be re-run.
 *
 * @example
 * ```ts ignore
 * const outcome = await receivePayment(ctx, message);
 * if (outcome.kind === "credited") console.log(`balance ${outcome.balance}`);
 * ```
 */
export async function receivePayment(
  ctx: PaymentContext,
  message: PaymentMessage,
): Promise<PaymentOutcome> {
  const payment = message.successful_payment;
  const payer = message.from;
  if (payer === undefined) {
    throw new TypeError(
      `successful_payment ${payment.telegram_payment_charge_id} has no "from": cannot tell who paid`,
    );
  }
  const chargeId = payment.telegram_payment_charge_id;
  const outcome = await ctx.db.transaction(async (tx): Promise<PaymentOutcome> => {
    const order = await ctx.orders.get(tx, payment.invoice_payload);
    const decided = plan(ctx, order, payer.id, payment);
    const kind: PaymentKind = decided.kind;
    const recorded = await ctx.payments.record(tx, {
      chargeId,
      orderId: order?.orderId,
      userId: payer.id,
      productId: order?.productId,
      amount: payment.total_amount,
      kind,
    });
    if (!recorded) return { kind: "already_applied", chargeId };
    await ctx.users.rememberLanguage(tx, payer.id, payer.language_code);
    const apply = new Application(ctx, tx, message, payer);
    switch (decided.kind) {
      case "credits":
        return await apply.credits(decided.order, decided.product);
      case "item":
        return await apply.item(decided.order, decided.product);
      case "subscription":
      case "renewal":
        return await apply.subscription(decided.kind, decided.order, decided.product);
      case "duplicate":
        return await apply.duplicate(decided.order);
      case "orphan":
        return await apply.orphan(decided.reason, decided.order);
    }
  });
  if (outcome.kind !== "already_applied") ctx.committed();
  return outcome;
}

/** The effects of one payment, inside its transaction. */
class Application {
  readonly #ctx: PaymentContext;
  readonly #tx: SqlRunner;
  readonly #chatId: number;
  readonly #payer: User;
  readonly #payment: SuccessfulPayment;
  readonly #chargeId: string;
  readonly #t: ReturnType<PaymentContext["texts"]["forUser"]>["t"];

  constructor(ctx: PaymentContext, tx: SqlRunner, message: PaymentMessage, payer: User) {
    this.#ctx = ctx;
    this.#tx = tx;
    this.#chatId = message.chat.id;
    this.#payer = payer;
    this.#payment = message.successful_payment;
    this.#chargeId = message.successful_payment.telegram_payment_charge_id;
    this.#t = ctx.texts.forUser(payer.language_code).t;
  }

  async credits(order: Order, product: CreditsProduct): Promise<PaymentOutcome> {
    await this.#ctx.orders.apply(this.#tx, order.orderId, "pay", { chargeId: this.#chargeId });
    const balance = await this.#deposit(product.credits, product.title);
    await this.#send(
      `receipt:${this.#chargeId}`,
      this.#t("receipt.credits", {
        price: this.#payment.total_amount,
        title: product.title,
        credits: product.credits,
        balance,
        chargeId: this.#chargeId,
      }),
    );
    return {
      kind: "credited",
      chargeId: this.#chargeId,
      userId: this.#payer.id,
      orderId: order.orderId,
      productId: product.id,
      credits: product.credits,
      balance,
    };
  }

  async item(order: Order, product: ItemProduct): Promise<PaymentOutcome> {
    await this.#ctx.orders.apply(this.#tx, order.orderId, "pay", { chargeId: this.#chargeId });
    await this.#send(
      `receipt:${this.#chargeId}`,
      this.#t("receipt.item", {
        price: this.#payment.total_amount,
        title: product.title,
        chargeId: this.#chargeId,
      }),
    );
    await this.#send(`content:${this.#chargeId}`, product.content);
    return {
      kind: "delivered",
      chargeId: this.#chargeId,
      userId: this.#payer.id,
      orderId: order.orderId,
      productId: product.id,
    };
  }

  async subscription(
    kind: "subscription" | "renewal",
    order: Order,
    product: SubscriptionProduct,
  ): Promise<PaymentOutcome> {
    const { orders, subscriptions, clock, tenant } = this.#ctx;
    if (order.state !== "paid" && order.state !== "refunded") {
      await orders.apply(this.#tx, order.orderId, "pay", { chargeId: this.#chargeId });
    }
    // Telegram says until when the charge pays; without it (it is documented for recurring
    // payments only) the configured period from now is the best estimate.
    const expiresAt = this.#payment.subscription_expiration_date !== undefined
      ? this.#payment.subscription_expiration_date * 1_000
      : clock.now() + tenant.stars.subscriptionPeriod * 1_000;
    const period = {
      userId: this.#payer.id,
      productId: product.id,
      chargeId: this.#chargeId,
      expiresAt,
    };
    const subscription = kind === "subscription"
      ? await subscriptions.activate(this.#tx, period)
      : await subscriptions.renew(this.#tx, period);
    const credits = product.credits ?? 0;
    if (credits > 0) await this.#deposit(credits, product.title);
    const key = kind === "subscription" ? "receipt.subscription" : "receipt.renewal";
    await this.#send(
      `receipt:${this.#chargeId}`,
      this.#t(key, {
        title: product.title,
        until: formatMoment(subscription.expiresAt),
        chargeId: this.#chargeId,
      }),
    );
    return {
      kind: kind === "subscription" ? "subscribed" : "renewed",
      chargeId: this.#chargeId,
      userId: this.#payer.id,
      orderId: order.orderId,
      productId: product.id,
      expiresAt: subscription.expiresAt,
      credits,
    };
  }

  async duplicate(order: Order): Promise<PaymentOutcome> {
    await this.#ctx.outbox.enqueue(this.#tx, `refund:${this.#chargeId}`, {
      method: "refundStarPayment",
      params: { user_id: this.#payer.id, telegram_payment_charge_id: this.#chargeId },
    });
    await this.#send(
      `double:${this.#chargeId}`,
      this.#t("payment.double_refunded", {
        price: this.#payment.total_amount,
        chargeId: this.#chargeId,
      }),
    );
    this.#ctx.logger.warn(
      "Order {orderId} was paid again (charge {chargeId}); the second payment is being refunded.",
      { orderId: order.orderId, chargeId: this.#chargeId },
    );
    return {
      kind: "double_payment_refunding",
      chargeId: this.#chargeId,
      userId: this.#payer.id,
      orderId: order.orderId,
    };
  }

  async orphan(reason: OrphanReason, order: Order | undefined): Promise<PaymentOutcome> {
    const { tenant, outbox, logger, texts } = this.#ctx;
    // Admins are the operators: they read the tenant's own language.
    const t = (key: MoneyTextKey, vars: Record<string, string | number>) =>
      texts.t(tenant.locale, key, vars);
    const why = reason === "unknown_order"
      ? t("admin.orphan.unknown_order", { payload: JSON.stringify(this.#payment.invoice_payload) })
      : reason === "foreign_payer"
      ? t("admin.orphan.foreign_payer", { orderId: order!.orderId, owner: order!.userId })
      : t("admin.orphan.unknown_product", { productId: JSON.stringify(order!.productId) });
    const text = t("admin.orphan", {
      price: this.#payment.total_amount,
      userId: this.#payer.id,
      chargeId: this.#chargeId,
      why,
    });
    for (const adminId of tenant.admins) {
      await outbox.enqueue(
        this.#tx,
        `orphan:${this.#chargeId}:${adminId}`,
        messageCall(adminId, text),
      );
    }
    const fields = { chargeId: this.#chargeId, reason, admins: tenant.admins.length };
    if (tenant.admins.length === 0) {
      logger.error("Unmatched payment {chargeId} ({reason}), and no admin to tell.", fields);
    } else {
      logger.warn("Unmatched payment {chargeId} ({reason}); told {admins} admin(s).", fields);
    }
    return {
      kind: "unknown_order_recorded",
      chargeId: this.#chargeId,
      userId: this.#payer.id,
      reason,
    };
  }

  /** Deposits the credits a payment bought; returns the new balance. */
  async #deposit(credits: number, title: string): Promise<number> {
    const { ledger, users, tenant } = this.#ctx;
    const posted = await ledger.deposit(this.#tx, this.#payer.id, credits, {
      idempotencyKey: `payment:${this.#chargeId}`,
      reason: title,
    });
    const balance = posted.entry.balanceAfter;
    // Above the threshold the balance is healthy again, so the next dip deserves a notice.
    if (balance > tenant.stars.lowBalanceThreshold) {
      await users.clearLowBalanceNotice(this.#tx, this.#payer.id);
    }
    return balance;
  }

  async #send(id: string, text: string): Promise<void> {
    await this.#ctx.outbox.enqueue(this.#tx, id, messageCall(this.#chatId, text));
  }
}
