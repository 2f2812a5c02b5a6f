/**
 * Applying a `successful_payment`: the moment money has arrived. Everything it causes happens
 * in ONE transaction that starts by recording the payment under its charge id, so a handler that
 * runs twice (the inbox re-runs unfinished updates) finds the payment and changes nothing:
 * exactly one credit, one receipt, one delivery.
 *
 * What the payment does depends on its order:
 * - an unpaid order (`issued`, `approved`, even `expired`: see `order_machine.ts`) is paid, and
 *   the product is granted: credits deposited, an item's content sent, a subscription started;
 * - a paid subscription order with a recurring charge is a renewal: the subscription extended;
 * - any other second charge for a paid order is a double payment: recorded as `duplicate` and
 *   refunded through the outbox, never granted;
 * - a payload that names no order, an order of another user, or a product no longer configured:
 *   recorded as `orphan`, nothing granted automatically, the admins told.
 *
 * Messages go to the outbox (receipt, content, notices), worded in the payer's language.
 *
 * Reconciliation (`reconciler.ts`) recovers payments whose update was lost through
 * {@linkcode PaymentReceiver.recover}: the update is rebuilt from Telegram's transaction and goes
 * the very same way, so the payments primary key decides who applies it — reconciliation, the
 * late update, or a second reconciliation — and the others find it done. One credit, one
 * receipt, whatever order they run in.
 *
 * @example Exactly once, whichever way the payment arrives
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { paymentServicesOptions } from "../../tests/support/payment_world.ts";
 * import { parseTestTenant } from "../../tests/support/tenant_configs.ts";
 * import { CREDITS_100 } from "../../tests/support/shop_products.ts";
 * import type { PaymentsApi } from "./bot_api.ts";
 * import { createPaymentServices } from "./services.ts";
 *
 * const tenant = parseTestTenant({ admins: [1], products: [CREDITS_100] }, { token: "123:abc" });
 * const db = await openDatabase("sqlite::memory:");
 * const api: PaymentsApi = {
 *   sendInvoice: () => Promise.resolve({ message_id: 1 }),
 *   createInvoiceLink: () => Promise.resolve("https://t.me/$link"),
 *   sendMessage: () => Promise.resolve({ message_id: 2 }),
 *   refundStarPayment: () => Promise.resolve(true),
 *   editUserStarSubscription: () => Promise.resolve(true),
 * };
 * const options = paymentServicesOptions({ tenant, db, clock: new ManualClock(0), api });
 * const payments = createPaymentServices(options);
 *
 * const offer = await payments.checkout.offer(7, 7, "credits_100", "en");
 * assert(offer.kind === "invoice");
 * const from = { id: 7, is_bot: false, first_name: "Ann" };
 * const paid = (chargeId: string, payload = offer.order.orderId) => ({
 *   from,
 *   chat: { id: 7 },
 *   successful_payment: {
 *     currency: "XTR",
 *     total_amount: 50,
 *     invoice_payload: payload,
 *     telegram_payment_charge_id: chargeId,
 *     provider_payment_charge_id: "",
 *   },
 * });
 * assert.equal((await payments.receiver.receive(paid("ch_1"))).kind, "credited");
 * assert.equal((await payments.receiver.receive(paid("ch_1"))).kind, "already_applied");
 * // A second charge for the same order (a double tap) is refunded, not credited.
 * assert.equal((await payments.receiver.receive(paid("ch_2"))).kind, "double_payment_refunding");
 * assert.equal((await options.outbox.get(db, "refund:ch_2"))?.method, "refundStarPayment");
 * // A payload that names no order: recorded, nothing granted, the admin told.
 * const orphan = await payments.receiver.receive(paid("ch_3", "forged"));
 * assert(orphan.kind === "unknown_order_recorded" && orphan.reason === "unknown_order");
 * assert.equal((await options.outbox.get(db, "orphan:ch_3:1"))?.chatId, 1);
 *
 * // A payment whose update was lost, as reconciliation finds it in Telegram's transactions.
 * const next = await payments.checkout.offer(7, 7, "credits_100", "en");
 * assert(next.kind === "invoice");
 * const payload = next.order.orderId;
 * const lost = { kind: "payment" as const, id: "ch_4", user: from, amount: 50, date: 0, payload };
 * assert.equal((await payments.receiver.recover(lost)).kind, "credited");
 * assert.equal((await payments.receiver.receive(paid("ch_4", payload))).kind, "already_applied");
 * assert.equal(await payments.credits.balance(7), 200);
 * await db.close();
 * ```
 * @module
 */
import type { SuccessfulPayment, User } from "grammy/types";
import type { MoneyTextKey, SqlRunner } from "../ports.ts";
import { localized } from "../../config/localized.ts";
import type {
  CreditsProduct,
  ItemProduct,
  Product,
  SubscriptionProduct,
} from "../../config/tenant_schema.ts";
import type { Order } from "../stores/orders.ts";
import { findProduct, formatMoment, messageCall, type PaymentParts } from "./parts.ts";
import { refundButtonRow } from "./refund_button.ts";
import type { PaymentKind } from "../stores/payment_records.ts";
import type { IncomingPayment } from "../reconciliation/transactions.ts";

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
    /** Credits deposited. */
    credits: number;
    /** The payer's credits after the deposit. */
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

/** A payment applied now: every outcome but a repeat's. */
export type AppliedPayment = Exclude<PaymentOutcome, { kind: "already_applied" }>;

/** What a {@linkcode PaymentReceiver} uses of the tenant's payment parts, and its hook. */
export interface ReceiverParts extends
  Pick<
    PaymentParts,
    | "tenant"
    | "db"
    | "clock"
    | "orders"
    | "paymentRecords"
    | "subscriptionRecords"
    | "users"
    | "ledger"
    | "outbox"
    | "texts"
    | "logger"
    | "committed"
  > {
  /**
   * Called once a payment is applied and committed — whatever it granted, the Stars arrived —
   * and never for a repeat that changed nothing.
   */
  onApplied(outcome: AppliedPayment, stars: number): void;
}

/** What a payment will do, decided from its order before anything is written. */
type Plan =
  | { kind: "orphan"; reason: OrphanReason; order?: Order }
  | { kind: "duplicate"; order: Order; product: Product }
  | { kind: "credits"; order: Order; product: CreditsProduct }
  | { kind: "item"; order: Order; product: ItemProduct }
  | { kind: "subscription" | "renewal"; order: Order; product: SubscriptionProduct };

/** Whether the order has had its first payment (a refund does not undo that). */
function isPaid(order: Order | undefined): boolean {
  return order?.state === "paid" || order?.state === "refunded";
}

function plan(
  parts: Pick<PaymentParts, "tenant">,
  order: Order | undefined,
  payerId: number,
  payment: SuccessfulPayment,
): Plan {
  if (order === undefined) return { kind: "orphan", reason: "unknown_order" };
  if (order.userId !== payerId) return { kind: "orphan", reason: "foreign_payer", order };
  const product = findProduct(parts.tenant, order.productId);
  if (product === undefined) return { kind: "orphan", reason: "unknown_product", order };
  const alreadyPaid = isPaid(order);
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
 * The `successful_payment` Telegram would have sent for `payment`.
 *
 * A subscription charge carries `subscription_period`, but the transaction does not say
 * whether it was the first charge or a renewal; the order does, since Telegram bills every
 * renewal under the payload of the first invoice: an unpaid order is paid by its first charge,
 * a paid one is being renewed. Reconciliation walks the transactions oldest first, so a
 * renewal's first charge has always been applied before it. One case reads differently than
 * the update would: a user who subscribes again through the same link after the subscription
 * ended is taken as a renewal — still credited once, and the subscription revived.
 *
 * The paid period ends one `subscription_period` after the charge.
 */
function successfulPaymentOf(payment: IncomingPayment, order: Order | undefined) {
  const successful: SuccessfulPayment = {
    currency: "XTR",
    total_amount: payment.amount,
    invoice_payload: payment.payload,
    telegram_payment_charge_id: payment.id,
    // Stars payments have no external provider; the field is required and empty.
    provider_payment_charge_id: "",
  };
  if (payment.subscriptionPeriod !== undefined) {
    successful.is_recurring = true;
    successful.subscription_expiration_date = payment.date + payment.subscriptionPeriod;
    if (!isPaid(order)) successful.is_first_recurring = true;
  }
  return successful;
}

/** Applies the payments of one tenant; see the module doc. */
export class PaymentReceiver {
  readonly #parts: ReceiverParts;

  constructor(parts: ReceiverParts) {
    this.#parts = parts;
  }

  /**
   * Applies a `successful_payment` message (see the module doc). Throws for a message without a
   * sender; storage errors propagate and roll everything back, so the update can be re-run.
   */
  async receive(message: PaymentMessage): Promise<PaymentOutcome> {
    const parts = this.#parts;
    const payment = message.successful_payment;
    const payer = message.from;
    if (payer === undefined) {
      throw new TypeError(
        `successful_payment ${payment.telegram_payment_charge_id} has no "from": cannot tell who paid`,
      );
    }
    const chargeId = payment.telegram_payment_charge_id;
    const outcome = await parts.db.transaction(async (tx): Promise<PaymentOutcome> => {
      const order = await parts.orders.get(tx, payment.invoice_payload);
      const decided = plan(parts, order, payer.id, payment);
      const kind: PaymentKind = decided.kind;
      const recorded = await parts.paymentRecords.record(tx, {
        chargeId,
        orderId: order?.orderId,
        userId: payer.id,
        productId: order?.productId,
        amount: payment.total_amount,
        kind,
      });
      if (!recorded) return { kind: "already_applied", chargeId };
      await parts.users.rememberLanguage(tx, payer.id, payer.language_code);
      await parts.users.rememberUsername(tx, payer.id, payer.username);
      const apply = new Application(parts, tx, message, payer);
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
    if (outcome.kind !== "already_applied") {
      parts.committed();
      parts.onApplied(outcome, payment.total_amount);
    }
    return outcome;
  }

  /**
   * Applies a payment found in Telegram's transactions whose `successful_payment` never
   * arrived, exactly as that update would have been (see the module doc); `already_applied`
   * when it is recorded already. The receipt goes to the chat the order was issued in, else to
   * the payer's private chat, in the payer's language (from the transaction, else the one last
   * seen from them).
   */
  async recover(payment: IncomingPayment): Promise<PaymentOutcome> {
    const { db, paymentRecords, orders, users } = this.#parts;
    // Most transactions were applied long ago: this read spares them the order lookup. It
    // decides nothing — the insert into the payments table in `receive` does.
    if (await paymentRecords.get(db, payment.id) !== undefined) {
      return { kind: "already_applied", chargeId: payment.id };
    }
    const order = await orders.get(db, payment.payload);
    const chatId = order?.userId === payment.user.id ? order.chatId : payment.user.id;
    // The transaction may not carry the payer's language; the one they used to order does.
    const languageCode = payment.user.language_code ?? await users.language(db, payment.user.id);
    const from = languageCode === undefined
      ? payment.user
      : { ...payment.user, language_code: languageCode };
    return await this.receive({
      from,
      chat: { id: chatId },
      successful_payment: successfulPaymentOf(payment, order),
    });
  }
}

/** The effects of one payment, inside its transaction. */
class Application {
  readonly #parts: ReceiverParts;
  readonly #tx: SqlRunner;
  readonly #chatId: number;
  readonly #payer: User;
  readonly #payment: SuccessfulPayment;
  readonly #chargeId: string;
  readonly #t: ReturnType<PaymentParts["texts"]["forUser"]>["t"];
  /** The product's title in the payer's language. */
  readonly #title: (product: Product) => string;

  constructor(parts: ReceiverParts, tx: SqlRunner, message: PaymentMessage, payer: User) {
    this.#parts = parts;
    this.#tx = tx;
    this.#chatId = message.chat.id;
    this.#payer = payer;
    this.#payment = message.successful_payment;
    this.#chargeId = message.successful_payment.telegram_payment_charge_id;
    const { locale, t } = parts.texts.forUser(payer.language_code);
    this.#t = t;
    this.#title = (product) => localized(product.title, locale, parts.tenant.locale);
  }

  async credits(order: Order, product: CreditsProduct): Promise<PaymentOutcome> {
    await this.#pay(order);
    const balance = await this.#deposit(product.credits, this.#title(product));
    await this.#sendReceipt("receipt.credits", {
      price: this.#payment.total_amount,
      title: this.#title(product),
      credits: product.credits,
      balance,
    });
    return { kind: "credited", ...this.#granted(order), credits: product.credits, balance };
  }

  async item(order: Order, product: ItemProduct): Promise<PaymentOutcome> {
    await this.#pay(order);
    await this.#sendReceipt("receipt.item", {
      price: this.#payment.total_amount,
      title: this.#title(product),
    });
    await this.#send(`content:${this.#chargeId}`, product.content);
    return { kind: "delivered", ...this.#granted(order) };
  }

  async subscription(
    kind: "subscription" | "renewal",
    order: Order,
    product: SubscriptionProduct,
  ): Promise<PaymentOutcome> {
    const { subscriptionRecords, clock, tenant } = this.#parts;
    if (!isPaid(order)) await this.#pay(order);
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
      ? await subscriptionRecords.activate(this.#tx, period)
      : await subscriptionRecords.renew(this.#tx, period);
    const credits = product.credits ?? 0;
    if (credits > 0) await this.#deposit(credits, this.#title(product));
    await this.#sendReceipt(kind === "subscription" ? "receipt.subscription" : "receipt.renewal", {
      title: this.#title(product),
      until: formatMoment(subscription.expiresAt),
    });
    return {
      kind: kind === "subscription" ? "subscribed" : "renewed",
      ...this.#granted(order),
      expiresAt: subscription.expiresAt,
      credits,
    };
  }

  async duplicate(order: Order): Promise<PaymentOutcome> {
    await this.#parts.outbox.enqueue(this.#tx, `refund:${this.#chargeId}`, {
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
    this.#parts.logger.warn(
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
    const { tenant, outbox, logger, texts } = this.#parts;
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
    // With a Refund button, so the admin need not copy the charge id (`refund_button.ts`).
    const refund = refundButtonRow(
      t("refund.orphan_button", { amount: this.#payment.total_amount }),
      this.#chargeId,
    );
    const buttons = refund.length === 0 ? undefined : { inline_keyboard: [refund] };
    for (const adminId of tenant.admins) {
      await outbox.enqueue(
        this.#tx,
        `orphan:${this.#chargeId}:${adminId}`,
        messageCall(adminId, text, buttons),
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

  /** Marks the order paid by this charge. */
  async #pay(order: Order): Promise<void> {
    await this.#parts.orders.apply(this.#tx, order.orderId, "pay", { chargeId: this.#chargeId });
  }

  /** What every outcome that granted a product says: which charge, payer, order and product. */
  #granted(order: Order) {
    return {
      chargeId: this.#chargeId,
      userId: this.#payer.id,
      orderId: order.orderId,
      productId: order.productId,
    };
  }

  /** Deposits the credits a payment bought; returns the new balance. */
  async #deposit(credits: number, title: string): Promise<number> {
    const { ledger, users, tenant } = this.#parts;
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

  /** Queues the payer's receipt, the text `key` with the charge id added to `vars`. */
  async #sendReceipt(key: MoneyTextKey, vars: Record<string, string | number>): Promise<void> {
    await this.#send(
      `receipt:${this.#chargeId}`,
      this.#t(key, { ...vars, chargeId: this.#chargeId }),
    );
  }

  async #send(id: string, text: string): Promise<void> {
    await this.#parts.outbox.enqueue(this.#tx, id, messageCall(this.#chatId, text));
  }
}
