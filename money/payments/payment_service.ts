/**
 * The payment service of one tenant: selling products for Telegram Stars and keeping the
 * user's credits. It issues invoices (`offer`), answers pre-checkout queries (`preCheckout`),
 * applies payments and refunds exactly once (`successfulPayment`, `refund`, `applyRefund`) and
 * the subscription changes Telegram reports (`subscriptionChanged`), lets plugins spend credits
 * (`deduct`) and answers the user's questions (balance, history, subscriptions, "I bought Stars
 * — check").
 *
 * Calls the user waits for (an invoice, a subscription link, a refund an admin asked for) go to
 * the Bot API directly; everything else that must reach Telegram (receipts, deliveries,
 * notices, a double payment's refund) is written to the outbox in the transaction that causes
 * it, and `onCommitted` tells the tenant to send it. `onMoneyMoved` tells it that the bot's own
 * Stars changed (a payment, a renewal, a refund), so a cached Stars balance can be dropped.
 *
 * Reconciliation (`reconciler.ts`) recovers payments whose update was lost through
 * `recoverPayment`, the same idempotent path as `successfulPayment`.
 *
 * @example
 * ```ts ignore
 * import { PaymentService } from "./payment_service.ts";
 * const payments = new PaymentService({ tenant, db, clock, ledger, outbox, api: bot.api, texts,
 *   onCommitted: () => sender.ref.tell({ type: "Kick" }) });
 * bot.on("pre_checkout_query", async (c) => {
 *   const answer = await payments.preCheckout(c.preCheckoutQuery);
 *   await c.answerPreCheckoutQuery(answer.ok, answer.ok ? undefined : { error_message: answer.errorMessage });
 * });
 * bot.on("message:successful_payment", (c) => payments.successfulPayment(c.message));
 * ```
 * @module
 */
import type { BotSubscriptionUpdated, PreCheckoutQuery } from "grammy/types";
import type { Product } from "../../config/tenant_schema.ts";
import type { LedgerEntry } from "../stores/ledger.ts";
import type { Order } from "../stores/orders.ts";
import type { OutboxItem } from "../delivery/outbox.ts";
import {
  answerPreCheckout,
  offerProduct,
  type OfferResult,
  type PreCheckoutAnswer,
} from "./checkout.ts";
import {
  createPaymentContext,
  findProduct,
  type PaymentContext,
  type PaymentServiceOptions as PaymentContextOptions,
} from "./context.ts";
import { deductCredits, type DeductOutcome, type DeductRequest } from "./deduct.ts";
import { type PaymentMessage, type PaymentOutcome, receivePayment } from "./receive.ts";
import { recoverPayment, reportUnmatchedRefund } from "./reconcile.ts";
import {
  type AppliedRefund,
  applyRefund,
  onRefundSent,
  refundCharge,
  type RefundOutcome,
  type RefundRequest,
  type RefundSource,
} from "./refunds.ts";
import { applySubscriptionChange, type SubscriptionChangeOutcome } from "./subscription_updates.ts";
import type { IncomingPayment, TelegramRefund } from "../reconciliation/transactions.ts";
import type { Subscription } from "../stores/subscriptions.ts";

export type { OfferRefusal, OfferResult, PreCheckoutAnswer } from "./checkout.ts";
export { type DeductOutcome, type DeductRequest, TOP_UP_CALLBACK } from "./deduct.ts";
export type { PaymentMessage, PaymentOutcome } from "./receive.ts";
export type { SubscriptionChangeOutcome } from "./subscription_updates.ts";
export type { AppliedRefund, RefundOutcome, RefundRequest, RefundSource } from "./refunds.ts";

/**
 * What a tenant gives its payment service: the shared parts (`payment_context.ts`) and the
 * hook for Stars movements.
 *
 * @example
 * ```ts ignore
 * const options: PaymentServiceOptions = { tenant, db, clock, ledger, outbox, api: bot.api, texts,
 *   onMoneyMoved: (movement) => balances.invalidate(tenant.id) };
 * ```
 */
export interface PaymentServiceOptions extends PaymentContextOptions {
  /**
   * Called after the bot's own Stars changed and the change is committed: a payment or renewal
   * applied (whatever it granted, the Stars arrived), a refund applied, or a refund the outbox
   * sent. The tenant drops its cached Stars balance and transactions here. Never for a repeat
   * that changed nothing.
   */
  onMoneyMoved?: (movement: StarsMovement) => void;
}

/**
 * A change of the bot's own Stars, as reported to `onMoneyMoved`: a payment applied (with what
 * it did), a refund applied (with the credits it took back), or a refund call the outbox made.
 */
export type StarsMovement =
  | { kind: "payment"; outcome: Exclude<PaymentOutcome, { kind: "already_applied" }> }
  | { kind: "refund"; chargeId: string; credits: number }
  | { kind: "refund_sent"; chargeId: string };

/** One page of {@linkcode PaymentService.history}; `page` counts from 1. */
export interface HistoryPage {
  entries: LedgerEntry[];
  total: number;
  page: number;
  pages: number;
}

/** The outcome of {@linkcode PaymentService.pendingOrder}. */
export type PendingOrder =
  | { kind: "open"; order: Order; product?: Product }
  | { kind: "paid"; order: Order; product?: Product; balance: number }
  | { kind: "none" };

/** The outcome of {@linkcode PaymentService.setSubscriptionRenewal}. */
export type RenewalChange =
  | { kind: "canceled" | "resumed"; subscription: Subscription }
  | { kind: "not_running"; subscription: Subscription }
  | { kind: "unknown_subscription" };

/** Ledger entries per history page. */
export const HISTORY_PAGE_SIZE = 10;

/**
 * The payment service of one tenant; see the module doc.
 *
 * @example
 * ```ts ignore
 * const payments = new PaymentService({ tenant, db, clock, ledger, outbox, api: bot.api, texts });
 * const offer = await payments.offer(userId, chatId, "credits_100", "en");
 * ```
 */
export class PaymentService {
  readonly #ctx: PaymentContext;
  readonly #onMoneyMoved: ((movement: StarsMovement) => void) | undefined;

  constructor(options: PaymentServiceOptions) {
    this.#ctx = createPaymentContext(options);
    this.#onMoneyMoved = options.onMoneyMoved;
  }

  /** Tells the tenant that the bot's Stars changed; never throws (see `onMoneyMoved`). */
  #moneyMoved(movement: StarsMovement): void {
    try {
      this.#onMoneyMoved?.(movement);
    } catch (error) {
      // The change is committed; a stale cached balance only lives until its TTL.
      this.#ctx.logger.error("Reporting a Stars movement failed: {error}", {
        error: String(error),
      });
    }
  }

  /** Passes `outcome` on, after telling the tenant when a payment was applied now. */
  #afterPayment(outcome: PaymentOutcome): PaymentOutcome {
    if (outcome.kind !== "already_applied") this.#moneyMoved({ kind: "payment", outcome });
    return outcome;
  }

  /** Passes `outcome` on, after telling the tenant when the refund was applied now. */
  #afterRefund<T extends { kind: string; chargeId: string; credits?: number }>(outcome: T): T {
    if (outcome.kind === "refunded") {
      this.#moneyMoved({
        kind: "refund",
        chargeId: outcome.chargeId,
        credits: outcome.credits ?? 0,
      });
    }
    return outcome;
  }

  /**
   * Offers `productId` to the user: an order and its invoice, or a subscription link. See
   * `offerProduct` in `payment_checkout.ts`.
   *
   * @example
   * ```ts ignore
   * const result = await payments.offer(7, 7, "credits_100", "ru");
   * if (result.kind === "refused") await ctx.reply(result.text);
   * ```
   */
  offer(
    userId: number,
    chatId: number,
    productId: string,
    languageCode: string | undefined,
  ): Promise<OfferResult> {
    return offerProduct(this.#ctx, userId, chatId, productId, languageCode);
  }

  /**
   * Answers a pre-checkout query and approves its order; see `answerPreCheckout` in
   * `payment_checkout.ts`.
   *
   * @example
   * ```ts ignore
   * const answer = await payments.preCheckout(c.preCheckoutQuery);
   * ```
   */
  preCheckout(query: PreCheckoutQuery): Promise<PreCheckoutAnswer> {
    return answerPreCheckout(this.#ctx, query);
  }

  /**
   * Applies a `successful_payment` exactly once; see `payment_receive.ts` for every case.
   *
   * @example
   * ```ts ignore
   * const outcome = await payments.successfulPayment(c.message);
   * ```
   */
  async successfulPayment(message: PaymentMessage): Promise<PaymentOutcome> {
    return this.#afterPayment(await receivePayment(this.#ctx, message));
  }

  /**
   * Applies a payment found in Telegram's transaction list whose `successful_payment` never
   * arrived, through the same idempotent path; `already_applied` when it is recorded. See
   * `payment_reconcile.ts` for how the update is rebuilt.
   *
   * @example
   * ```ts ignore
   * const found = classifyTransaction(transaction);
   * if (found?.kind === "payment") await payments.recoverPayment(found);
   * ```
   */
  async recoverPayment(payment: IncomingPayment): Promise<PaymentOutcome> {
    return this.#afterPayment(await recoverPayment(this.#ctx, payment));
  }

  /**
   * Tells `admins`, once per charge, that Telegram refunded a payment that is not recorded
   * here; true when the notice was queued now. See `payment_reconcile.ts`.
   *
   * @example
   * ```ts ignore
   * await payments.reportUnmatchedRefund(refund, config.admins);
   * ```
   */
  reportUnmatchedRefund(refund: TelegramRefund, admins: readonly number[]): Promise<boolean> {
    return reportUnmatchedRefund(this.#ctx, refund, admins);
  }

  /**
   * An admin's `/refund <chargeId>`; see `refundCharge` in `payment_refunds.ts`. `adminId`
   * names who asked, for the log.
   *
   * @example
   * ```ts ignore
   * const outcome = await payments.refund("ch_1", { by: "admin", adminId: 123 });
   * ```
   */
  async refund(chargeId: string, request: RefundRequest): Promise<RefundOutcome> {
    return this.#afterRefund(await refundCharge(this.#ctx, chargeId, request));
  }

  /**
   * Applies a refund Telegram has made, once; for `refunded_payment` updates (`source:
   * "telegram"`). See `applyRefund` in `payment_refunds.ts`.
   *
   * @example
   * ```ts ignore
   * await payments.applyRefund(c.message.refunded_payment.telegram_payment_charge_id, "telegram");
   * ```
   */
  async applyRefund(chargeId: string, source: RefundSource): Promise<AppliedRefund> {
    return this.#afterRefund(await applyRefund(this.#ctx, chargeId, source));
  }

  /**
   * The outbox sender's `onSent` hook: applies the refund of a double payment once its
   * `refundStarPayment` went through. A bound function, to pass as it is.
   *
   * @example
   * ```ts ignore
   * startOutboxSender({ tenantId, db, outbox, clock, call, onSent: payments.onOutboxSent });
   * ```
   */
  readonly onOutboxSent = async (
    item: Pick<OutboxItem, "id" | "method" | "params">,
  ): Promise<void> => {
    await onRefundSent(this.#ctx, item);
    // The Stars went back to the user when Telegram accepted the call, whether or not the
    // refund had been applied here already.
    if (item.method === "refundStarPayment") {
      this.#moneyMoved({
        kind: "refund_sent",
        chargeId: String(item.params.telegram_payment_charge_id),
      });
    }
  };

  /**
   * Spends credits for a plugin, with the low-balance notice and a pack to suggest when short;
   * see `deductCredits` in `payment_deduct.ts`.
   *
   * @example
   * ```ts ignore
   * const spent = await payments.deduct(userId, 3, { reason: "image", idempotencyKey: `use:${updateId}` });
   * if (!spent.ok) await ctx.reply(`need ${spent.shortfall} more`);
   * ```
   */
  deduct(userId: number, amount: number, request: DeductRequest): Promise<DeductOutcome> {
    return deductCredits(this.#ctx, userId, amount, request);
  }

  /**
   * The user's credit balance.
   *
   * @example
   * ```ts ignore
   * await payments.balance(7); // 100
   * ```
   */
  balance(userId: number): Promise<number> {
    return this.#ctx.ledger.balance(this.#ctx.db, userId);
  }

  /**
   * One page (from 1) of the user's ledger, newest first, with the page count (at least 1, so
   * "page 1 of 1" reads right for an empty history).
   *
   * @example
   * ```ts ignore
   * const { entries, page, pages } = await payments.history(7, 1);
   * ```
   */
  async history(userId: number, page = 1): Promise<HistoryPage> {
    if (!Number.isSafeInteger(page) || page < 1) {
      throw new RangeError(`history page must be an integer >= 1, got ${page}`);
    }
    const { entries, total } = await this.#ctx.ledger.history(this.#ctx.db, userId, {
      limit: HISTORY_PAGE_SIZE,
      offset: (page - 1) * HISTORY_PAGE_SIZE,
    });
    return { entries, total, page, pages: Math.max(1, Math.ceil(total / HISTORY_PAGE_SIZE)) };
  }

  /**
   * Every subscription of the user.
   *
   * @example
   * ```ts ignore
   * for (const s of await payments.subscriptions(7)) console.log(s.productId, s.state);
   * ```
   */
  subscriptions(userId: number): Promise<Subscription[]> {
    return this.#ctx.subscriptions.listForUser(this.#ctx.db, userId);
  }

  /**
   * Switches the renewal of the user's subscription off (`canceled: true`) or on: tells
   * Telegram (`editUserStarSubscription` with the subscription's first charge id, which names
   * it), then records it. Only a running subscription can switch; an API error throws and
   * changes nothing here.
   *
   * @example
   * ```ts ignore
   * const change = await payments.setSubscriptionRenewal(7, "monthly", true);
   * ```
   */
  async setSubscriptionRenewal(
    userId: number,
    productId: string,
    canceled: boolean,
  ): Promise<RenewalChange> {
    const { db, subscriptions, api } = this.#ctx;
    const current = await subscriptions.get(db, userId, productId);
    if (current === undefined) return { kind: "unknown_subscription" };
    if (current.state !== "active" && current.state !== "canceled") {
      return { kind: "not_running", subscription: current };
    }
    await api.editUserStarSubscription(userId, current.firstChargeId, canceled);
    const subscription = await db.transaction((tx) =>
      subscriptions.setRenewalCanceled(tx, userId, productId, canceled)
    );
    return { kind: canceled ? "canceled" : "resumed", subscription };
  }

  /**
   * Applies a `subscription` update — the user canceled renewal, re-enabled it, or the renewal
   * payment failed — to the subscription its invoice payload names, once; see
   * `payment_subscription_updates.ts`. A payload of no subscription of this user gives
   * `unknown_subscription` (and a warning), a state not known yet `unknown_state`.
   *
   * @example
   * ```ts ignore
   * bot.on("subscription", (c) => payments.subscriptionChanged(c.update.subscription));
   * ```
   */
  subscriptionChanged(change: BotSubscriptionUpdated): Promise<SubscriptionChangeOutcome> {
    return applySubscriptionChange(this.#ctx, change);
  }

  /**
   * For "I bought Stars — check": the user's newest order that is open or paid. Open means
   * it can still be paid (re-offer it); paid comes with the balance. An older open order that
   * a newer paid one superseded (the user took a fresh invoice) does not count.
   *
   * @example
   * ```ts ignore
   * const pending = await payments.pendingOrder(7);
   * if (pending.kind === "open") await payments.offer(7, 7, pending.order.productId, "en");
   * ```
   */
  async pendingOrder(userId: number): Promise<PendingOrder> {
    const { db, orders, tenant, ledger } = this.#ctx;
    const newest = await orders.latestForUser(db, userId, ["issued", "approved", "paid"]);
    if (newest === undefined) return { kind: "none" };
    const product = findProduct(tenant, newest.productId);
    if (newest.state !== "paid") return { kind: "open", order: newest, product };
    return { kind: "paid", order: newest, product, balance: await ledger.balance(db, userId) };
  }

  /**
   * Expires the orders and subscriptions whose time has come; the tenant calls it
   * periodically. Returns how many of each.
   *
   * @example
   * ```ts ignore
   * const { orders, subscriptions } = await payments.expireDue();
   * ```
   */
  expireDue(): Promise<{ orders: number; subscriptions: number }> {
    const { db, orders, subscriptions, clock } = this.#ctx;
    const now = clock.now();
    return db.transaction(async (tx) => ({
      orders: await orders.expireDue(tx, now),
      subscriptions: await subscriptions.expireDue(tx, now),
    }));
  }
}
