/**
 * Refunds: asking Telegram to return a payment (`/refund`), applying a refund that happened
 * (ours, or one Telegram reports with `refunded_payment`, or a double payment's refund the outbox
 * sent), and telling the admins about a refund of a payment never recorded here. Applying is
 * idempotent: the payment's `refunded_at` is set once, and only the call that sets it reverses
 * credits (ledger key `refund:<chargeId>`), refunds the order and the subscription, and queues
 * the user's notice. Whoever comes second finds it done. Duplicate and orphan payments granted
 * nothing, so their refund is only recorded.
 *
 * @example
 * ```ts ignore
 * import { Refunds } from "./refunds.ts";
 * const refunds = new Refunds({ ...parts, onRefunded: () => {}, onRefundSent: () => {} });
 * const outcome = await refunds.refund("ch_1", { by: "admin" }); // the admin's /refund
 * await refunds.apply("ch_1", "telegram"); // a refunded_payment update: already_refunded
 * ```
 * @module
 */
import type { SqlRunner } from "../ports.ts";
import type { OutboxItem } from "../delivery/outbox.ts";
import type { TelegramRefund } from "../reconciliation/transactions.ts";
import { isChargeAlreadyRefunded } from "./bot_api.ts";
import { findProduct, messageCall, type PaymentParts } from "./parts.ts";
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

/** The outcome of {@linkcode Refunds.refund}. */
export type RefundOutcome = AppliedRefund | { kind: "failed"; chargeId: string; error: string };

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
  > {
  /**
   * Called once a refund an admin asked for or Telegram reported is applied and committed,
   * with the credits it took back; never for one found done already.
   */
  onRefunded(refund: { chargeId: string; credits: number }): void;
  /** Called when the outbox made a `refundStarPayment` call: the Stars went back. */
  onRefundSent(chargeId: string): void;
}

/** Payments that granted something a refund takes back; duplicates and orphans granted nothing. */
const GRANTING_KINDS = new Set(["credits", "item", "subscription", "renewal"]);

/**
 * The refunds of one tenant; see the module doc.
 *
 * @example
 * ```ts ignore
 * const refunds = new Refunds({ ...parts, onRefunded, onRefundSent });
 * const outcome = await refunds.refund("ch_1", { by: "admin", adminId: 123 });
 * ```
 */
export class Refunds {
  readonly #parts: RefundsParts;

  constructor(parts: RefundsParts) {
    this.#parts = parts;
  }

  /**
   * The admin's `/refund <chargeId>`: asks Telegram to return the payment, then applies the
   * refund. Telegram answering `CHARGE_ALREADY_REFUNDED` counts as done (the Stars are back);
   * any other API error is returned as `failed` with nothing changed. A payment already refunded
   * here is reported without asking Telegram again. `request.adminId` names who asked, for the
   * log.
   *
   * @example
   * ```ts ignore
   * const outcome = await refunds.refund("ch_1", { by: "admin", adminId: 123 });
   * if (outcome.kind === "failed") await reply(t("refund.failed", { chargeId, error: outcome.error }));
   * ```
   */
  async refund(chargeId: string, request: RefundRequest): Promise<RefundOutcome> {
    const { db, paymentRecords, logger, api, readFailure, redact } = this.#parts;
    const payment = await paymentRecords.get(db, chargeId);
    if (payment === undefined) return { kind: "unknown_charge", chargeId };
    logger.info("Refund of {chargeId} requested by {by} {adminId}.", {
      chargeId,
      by: request.by,
      adminId: request.adminId ?? "(unnamed)",
    });
    if (payment.refundedAt === undefined) {
      try {
        await api.refundStarPayment(payment.userId, chargeId);
      } catch (error) {
        const failure = readFailure(error);
        if (!isChargeAlreadyRefunded(failure)) {
          const text = redact(failure.description);
          logger.warn("Refund of {chargeId} failed: {error}", { chargeId, error: text });
          return { kind: "failed", chargeId, error: text };
        }
      }
    }
    return await this.apply(chargeId, request.by);
  }

  /**
   * Applies a refund of `chargeId` that Telegram has made (see the module doc); for
   * `refunded_payment` updates, `source: "telegram"`. Safe to call any number of times; the
   * first call does the work.
   *
   * @example
   * ```ts ignore
   * bot.on("message:refunded_payment", (c) =>
   *   refunds.apply(c.message.refunded_payment.telegram_payment_charge_id, "telegram"));
   * ```
   */
  async apply(chargeId: string, source: RefundSource): Promise<AppliedRefund> {
    const applied = await this.#apply(chargeId, source);
    if (applied.kind === "refunded") {
      this.#parts.onRefunded({ chargeId: applied.chargeId, credits: applied.credits });
    }
    return applied;
  }

  /**
   * The outbox sender's `onSent` hook: when a queued `refundStarPayment` went through (a
   * double payment's refund), the refund is applied. Other items are ignored. A bound function,
   * to pass as it is.
   *
   * @example
   * ```ts ignore
   * startOutboxSender({ tenantId, db, outbox, clock, call, onSent: refunds.onOutboxSent });
   * ```
   */
  readonly onOutboxSent = async (
    item: Pick<OutboxItem, "id" | "method" | "params">,
  ): Promise<void> => {
    if (item.method !== "refundStarPayment") return;
    const chargeId = item.params.telegram_payment_charge_id;
    if (typeof chargeId !== "string" || chargeId === "") {
      throw new TypeError(`outbox item ${item.id}: refundStarPayment without a charge id`);
    }
    await this.#apply(chargeId, "outbox");
    // The Stars went back to the user when Telegram accepted the call, whether or not the
    // refund had been applied here already.
    this.#parts.onRefundSent(chargeId);
  };

  /**
   * Tells `admins` that Telegram refunded a payment that is not recorded here (so nothing could
   * be reversed), once per charge: the outbox ids are `unmatched_refund:<chargeId>:<adminId>`.
   * Returns true when the notice was queued now, false when it had been already (or there is no
   * admin, which is logged as an error).
   *
   * @example
   * ```ts ignore
   * await refunds.reportUnmatched(refund, tenant.admins); // true, then false
   * ```
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
    const title = product?.title ?? payment.productId ?? chargeId;
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
    const t = texts.forUser(await users.language(tx, userId)).t;
    await outbox.enqueue(
      tx,
      `refunded:${chargeId}`,
      messageCall(chatId, t("payment.refunded", { price: payment.amount, title, chargeId })),
    );
    return credits;
  }
}
