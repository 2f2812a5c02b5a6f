/**
 * Refunds: asking Telegram to return a payment (`/refund`), applying a refund that happened
 * (ours, or one Telegram reports with `refunded_payment`, or a double payment's refund the outbox
 * sent), and telling the admins about a refund of a payment never recorded here. Applying is
 * idempotent: the payment's `refunded_at` is set once, and only the call that sets it reverses
 * credits (ledger key `refund:<chargeId>`), refunds the order and the subscription, and queues
 * the user's notice. Whoever comes second finds it done. Duplicate and orphan payments granted
 * nothing, so their refund is only recorded.
 *
 * @example An admin's refund, then Telegram's report of it
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
 * const tenant = parseTestTenant({ products: [CREDITS_100] }, { token: "123:abc" });
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
 * const offer = await payments.checkout.offer(7, 7, "credits_100", "en");
 * assert(offer.kind === "invoice");
 * await payments.receiver.receive({
 *   from: { id: 7, is_bot: false, first_name: "Ann" },
 *   chat: { id: 7 },
 *   successful_payment: {
 *     currency: "XTR",
 *     total_amount: 50,
 *     invoice_payload: offer.order.orderId,
 *     telegram_payment_charge_id: "ch_1",
 *     provider_payment_charge_id: "",
 *   },
 * });
 * assert.equal(await payments.credits.balance(7), 100);
 *
 * const refunded = await payments.refunds.refund("ch_1", { by: "admin", adminId: 1 });
 * assert(refunded.kind === "refunded" && refunded.credits === 100);
 * // Telegram's refunded_payment update for the same charge finds it done.
 * assert.equal((await payments.refunds.apply("ch_1", "telegram")).kind, "already_refunded");
 * assert.deepEqual(calls, ["sendInvoice", "refundStarPayment"]);
 * assert.equal(await payments.credits.balance(7), 0);
 * assert.equal((await payments.refunds.refund("ch_9", { by: "admin" })).kind, "unknown_charge");
 * await db.close();
 * ```
 * @module
 */
import type { BotApiFailure, SqlRunner } from "../ports.ts";
import type { OutboxItem } from "../delivery/outbox.ts";
import type { TelegramRefund } from "../reconciliation/transactions.ts";
import { isChargeAlreadyRefunded } from "./bot_api.ts";
import { findProduct, messageCall, type PaymentParts } from "./parts.ts";
import { localized } from "../../config/localized.ts";
import type { PaymentRecord } from "../stores/payment_records.ts";

/** Who learned of the refund: an admin's `/refund`, Telegram's update, or the outbox sender. */
export type RefundSource = "admin" | "telegram" | "outbox";

/** What applying a refund found. */
export type AppliedRefund =
  | {
    kind: "refunded" | "already_refunded";
    chargeId: string;
    userId: number;
    /** Stars returned to the user. */
    price: number;
    /** Credits the refund took back (0 when the payment granted none). */
    credits: number;
  }
  | { kind: "unknown_charge"; chargeId: string };

/** Who asks for a refund through {@linkcode Refunds.refund}: an admin, named for the log. */
export interface RefundRequest {
  by: "admin";
  adminId?: number;
}

/**
 * The outcome of {@linkcode Refunds.refund}: applied, `failed` (Telegram refused: nothing
 * changed), or `unanswered` (Telegram never answered: whether the Stars went back is not known,
 * and nothing changed here).
 */
export type RefundOutcome =
  | AppliedRefund
  | { kind: "failed" | "unanswered"; chargeId: string; error: string };

/**
 * The waits before asking Telegram again about a refund whose answer was lost: at once (a
 * dropped connection usually is just that), then after a second, for a server that is
 * restarting. Three asks in all; an admin is waiting for the answer.
 */
const REFUND_ASK_DELAYS_MS = [0, 1_000];

/** What a {@linkcode Refunds} uses of the tenant's payment parts, and its hooks. */
export interface RefundsParts extends
  Pick<
    PaymentParts,
    | "tenant"
    | "db"
    | "ledger"
    | "orders"
    | "paymentRecords"
    | "subscriptionRecords"
    | "users"
    | "outbox"
    | "api"
    | "texts"
    | "logger"
    | "redact"
    | "readFailure"
    | "committed"
    | "clock"
  > {
  /**
   * Called once a refund an admin asked for or Telegram reported is applied and committed,
   * with the credits it took back; never for one found done already.
   */
  onRefunded(refund: { chargeId: string; credits: number; stars: number }): void;
  /**
   * Called when the outbox made a `refundStarPayment` call: the Stars went back. `stars` is the
   * amount when this call applied the refund (a double payment's), absent when it was applied
   * already (and reported through `onRefunded` then).
   */
  onRefundSent(chargeId: string, stars?: number): void;
}

/** Payments that granted something a refund takes back; duplicates and orphans granted nothing. */
const GRANTING_KINDS = new Set(["credits", "item", "subscription", "renewal"]);

/** The refunds of one tenant; see the module doc. */
export class Refunds {
  readonly #parts: RefundsParts;

  constructor(parts: RefundsParts) {
    this.#parts = parts;
  }

  /**
   * The admin's `/refund <chargeId>`: asks Telegram to return the payment, then applies the
   * refund. Telegram answering `CHARGE_ALREADY_REFUNDED` counts as done (the Stars are back).
   * When no answer comes back (a dropped connection, a deadline, a 5xx), the refund may have
   * happened, so Telegram is asked again: `CHARGE_ALREADY_REFUNDED` then says the lost one did.
   * If every ask goes unanswered, the outcome is `unanswered` with nothing changed here, for the
   * caller to settle from Telegram's transactions; any other API error is `failed`, with nothing
   * changed. A payment already refunded here is reported without asking Telegram again.
   * `request.adminId` names who asked, for the log.
   */
  async refund(chargeId: string, request: RefundRequest): Promise<RefundOutcome> {
    const { db, paymentRecords, logger } = this.#parts;
    const payment = await paymentRecords.get(db, chargeId);
    if (payment === undefined) return { kind: "unknown_charge", chargeId };
    logger.info("Refund of {chargeId} requested by {by} {adminId}.", {
      chargeId,
      by: request.by,
      adminId: request.adminId ?? "(unnamed)",
    });
    let madeHere = false;
    if (payment.refundedAt === undefined) {
      const asked = await this.#askTelegram(payment.userId, chargeId);
      if (typeof asked === "object") return asked;
      madeHere = asked === "made";
    }
    const applied = await this.apply(chargeId, request.by);
    // Telegram made the refund this request asked for; the tenant may have applied it from
    // Telegram's `refunded_payment` update in the meantime, but this request still made it.
    return madeHere && applied.kind === "already_refunded"
      ? { ...applied, kind: "refunded" }
      : applied;
  }

  /**
   * What is recorded here about the refund of `chargeId`, without asking Telegram:
   * `already_refunded` (with the credits it took back) once a refund is applied, else
   * `not_refunded`; `unknown_charge` for a payment never recorded.
   */
  async recorded(
    chargeId: string,
  ): Promise<AppliedRefund | { kind: "not_refunded"; chargeId: string }> {
    const { db, paymentRecords } = this.#parts;
    const payment = await paymentRecords.get(db, chargeId);
    if (payment === undefined) return { kind: "unknown_charge", chargeId };
    if (payment.refundedAt === undefined) return { kind: "not_refunded", chargeId };
    const credits = await this.#creditsPostedUnder(db, `refund:${chargeId}`);
    return {
      kind: "already_refunded",
      chargeId,
      userId: payment.userId,
      price: payment.amount,
      credits,
    };
  }

  /**
   * Asks Telegram to refund, again while no answer comes back: `made` when this call made the
   * refund, `made_before` when the charge was refunded already (`CHARGE_ALREADY_REFUNDED`, also
   * after a lost answer to an earlier ask of this call), or why not.
   */
  async #askTelegram(
    userId: number,
    chargeId: string,
  ): Promise<Extract<RefundOutcome, { kind: "failed" | "unanswered" }> | "made" | "made_before"> {
    const { api, readFailure, redact, logger, clock } = this.#parts;
    for (let ask = 1;; ask++) {
      let failure: BotApiFailure;
      try {
        await api.refundStarPayment(userId, chargeId);
        return "made";
      } catch (error) {
        failure = readFailure(error);
      }
      // After an ask whose answer was lost, the refund may be this call's own.
      if (isChargeAlreadyRefunded(failure)) return ask > 1 ? "made" : "made_before";
      const error = redact(failure.description);
      const fields = { chargeId, ask, error };
      const unanswered = failure.kind === "unreachable" ||
        (failure.kind === "refused" && failure.code >= 500);
      if (!unanswered) {
        logger.warn("Refund of {chargeId} failed: {error}", fields);
        return { kind: "failed", chargeId, error };
      }
      if (ask === REFUND_ASK_DELAYS_MS.length + 1) {
        logger.warn("Refund of {chargeId} got no answer after {ask} asks: {error}", fields);
        return { kind: "unanswered", chargeId, error };
      }
      logger.warn("Refund of {chargeId} got no answer ({error}); asking again.", fields);
      const delay = REFUND_ASK_DELAYS_MS[ask - 1];
      if (delay > 0) await clock.sleep(delay);
    }
  }

  /**
   * Applies a refund of `chargeId` that Telegram has made (see the module doc); for
   * `refunded_payment` updates, `source: "telegram"`. Safe to call any number of times; the
   * first call does the work.
   */
  async apply(chargeId: string, source: RefundSource): Promise<AppliedRefund> {
    const applied = await this.#apply(chargeId, source);
    if (applied.kind === "refunded") {
      this.#parts.onRefunded({
        chargeId: applied.chargeId,
        credits: applied.credits,
        stars: applied.price,
      });
    }
    return applied;
  }

  /**
   * The outbox sender's `onSent` hook: when a queued `refundStarPayment` went through (a
   * double payment's refund), the refund is applied. Other items are ignored. A bound function,
   * to pass as it is.
   */
  readonly onOutboxSent = async (
    item: Pick<OutboxItem, "id" | "method" | "params">,
  ): Promise<void> => {
    if (item.method !== "refundStarPayment") return;
    const chargeId = item.params.telegram_payment_charge_id;
    if (typeof chargeId !== "string" || chargeId === "") {
      throw new TypeError(`outbox item ${item.id}: refundStarPayment without a charge id`);
    }
    const applied = await this.#apply(chargeId, "outbox");
    // The Stars went back to the user when Telegram accepted the call, whether or not the
    // refund had been applied here already.
    this.#parts.onRefundSent(chargeId, applied.kind === "refunded" ? applied.price : undefined);
  };

  /**
   * Tells `admins` that Telegram refunded a payment that is not recorded here (so nothing could
   * be reversed), once per charge: the outbox ids are `unmatched_refund:<chargeId>:<adminId>`.
   * Returns true when the notice was queued now, false when it had been already (or there is no
   * admin, which is logged as an error).
   */
  async reportUnmatched(refund: TelegramRefund, admins: readonly number[]): Promise<boolean> {
    const { db, tenant, texts, outbox, logger } = this.#parts;
    const fields = { chargeId: refund.id, userId: refund.user.id, admins: admins.length };
    if (admins.length === 0) {
      logger.error("Telegram refunded unrecorded charge {chargeId}, and no admin to tell.", fields);
      return false;
    }
    // Admins are the operators: they read the tenant's own language.
    const text = texts.t(tenant.locale, "admin.unmatched_refund", {
      price: refund.amount,
      userId: refund.user.id,
      chargeId: refund.id,
    });
    const queued = await db.transaction(async (tx) => {
      let any = false;
      for (const adminId of admins) {
        const id = `unmatched_refund:${refund.id}:${adminId}`;
        if (await outbox.enqueue(tx, id, messageCall(adminId, text))) any = true;
      }
      return any;
    });
    if (queued) {
      logger.warn(
        "Telegram refunded unrecorded charge {chargeId}; told {admins} admin(s).",
        fields,
      );
      this.#parts.committed();
    }
    return queued;
  }

  /** Applies the refund (see {@linkcode Refunds.apply}) without telling `onRefunded`. */
  async #apply(chargeId: string, source: RefundSource): Promise<AppliedRefund> {
    const { db, paymentRecords, logger } = this.#parts;
    const result = await db.transaction(async (tx): Promise<AppliedRefund> => {
      const payment = await paymentRecords.get(tx, chargeId);
      if (payment === undefined) return { kind: "unknown_charge", chargeId };
      const outcome = { chargeId, userId: payment.userId, price: payment.amount };
      if (!await paymentRecords.markRefunded(tx, chargeId)) {
        const credits = await this.#creditsPostedUnder(tx, `refund:${chargeId}`);
        return { kind: "already_refunded", ...outcome, credits };
      }
      const credits = GRANTING_KINDS.has(payment.kind) ? await this.#takeBack(tx, payment) : 0;
      logger.info("Payment {chargeId} ({kind}) refunded ({source}); {credits} credits back.", {
        chargeId,
        kind: payment.kind,
        source,
        credits,
      });
      return { kind: "refunded", ...outcome, credits };
    });
    if (result.kind === "refunded") this.#parts.committed();
    return result;
  }

  /**
   * The credits posted under a ledger idempotency key, as a positive number, or 0. The ledger
   * is the record of what a payment actually credited (the product's configured credits may
   * have changed since).
   */
  async #creditsPostedUnder(q: SqlRunner, key: string): Promise<number> {
    const entry = await this.#parts.ledger.entryUnder(q, key);
    return entry === undefined ? 0 : Math.abs(entry.amount);
  }

  /** Undoes what a granting payment gave, inside the refund's transaction; returns the credits. */
  async #takeBack(tx: SqlRunner, payment: PaymentRecord): Promise<number> {
    const { tenant, ledger, orders, subscriptionRecords, users, texts, outbox } = this.#parts;
    const { chargeId, userId } = payment;
    const product = payment.productId === undefined
      ? undefined
      : findProduct(tenant, payment.productId);
    const { locale, t } = texts.forUser(await users.language(tx, userId));
    const title = product === undefined
      ? payment.productId ?? chargeId
      : localized(product.title, locale, tenant.locale);
    const credits = await this.#creditsPostedUnder(tx, `payment:${chargeId}`);
    if (credits > 0) {
      await ledger.reverse(tx, userId, credits, {
        idempotencyKey: `refund:${chargeId}`,
        reason: `refund: ${title}`,
      });
    }
    let chatId = userId;
    if (payment.orderId !== undefined) {
      const order = await orders.get(tx, payment.orderId);
      // A renewal's refund leaves the order alone: the order was paid by the first charge.
      if (order?.state === "paid" && order.chargeId === chargeId) {
        await orders.apply(tx, order.orderId, "refund");
      }
      if (order !== undefined) chatId = order.chatId;
    }
    if ((payment.kind === "subscription" || payment.kind === "renewal") && payment.productId) {
      // Access ends when the refunded charge started the subscription or paid its running
      // period; a refund of an older period's charge (or of an earlier subscription to the same
      // product) takes back that period's credits and leaves the paid-up present alone.
      const subscription = await subscriptionRecords.get(tx, userId, payment.productId);
      if (subscription?.firstChargeId === chargeId || subscription?.lastChargeId === chargeId) {
        await subscriptionRecords.markRefunded(tx, userId, payment.productId);
      }
    }
    await outbox.enqueue(
      tx,
      `refunded:${chargeId}`,
      messageCall(chatId, t("payment.refunded", { price: payment.amount, title, chargeId })),
    );
    return credits;
  }
}
