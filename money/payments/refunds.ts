/**
 * Refunds: asking Telegram to return a payment (`/refund`), and applying a refund that happened
 * (ours, or one Telegram reports with `refunded_payment`, or a double payment's refund the outbox
 * sent). Applying is idempotent: the payment's `refunded_at` is set once, and only the call that
 * sets it reverses credits (ledger key `refund:<chargeId>`), refunds the order and the
 * subscription, and queues the user's notice. Whoever comes second finds it done. Duplicate and
 * orphan payments granted nothing, so their refund is only recorded.
 *
 * @example
 * ```ts ignore
 * import { applyRefund, refundCharge } from "./refunds.ts";
 * const outcome = await refundCharge(ctx, "ch_1", { by: "admin" }); // the admin's /refund
 * await applyRefund(ctx, "ch_1", "telegram"); // a refunded_payment update: already_refunded
 * ```
 * @module
 */
import type { SqlRunner } from "../ports.ts";
import type { OutboxItem } from "../delivery/outbox.ts";
import { isChargeAlreadyRefunded } from "./bot_api.ts";
import { findProduct, messageCall, type PaymentContext } from "./context.ts";
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

/** Who asks for a refund through {@linkcode refundCharge}: an admin, named for the log. */
export interface RefundRequest {
  by: "admin";
  adminId?: number;
}

/** The outcome of {@linkcode refundCharge}. */
export type RefundOutcome = AppliedRefund | { kind: "failed"; chargeId: string; error: string };

/** Payments that granted something a refund takes back; duplicates and orphans granted nothing. */
const GRANTING_KINDS = new Set(["credits", "item", "subscription", "renewal"]);

/**
 * The credits posted under a ledger idempotency key, as a positive number, or 0. The ledger is
 * the record of what a payment actually credited (the product's configured credits may have
 * changed since), and its API offers no lookup by key, so this one read goes to its table.
 */
async function creditsPostedUnder(
  ctx: PaymentContext,
  q: SqlRunner,
  key: string,
): Promise<number> {
  const row = await q.get<{ amount: number }>(
    "SELECT amount FROM ledger_entries WHERE tenant_id = ? AND idempotency_key = ?",
    [ctx.tenant.id, key],
  );
  return row === undefined ? 0 : Math.abs(Number(row.amount));
}

/**
 * Applies a refund of `chargeId` that Telegram has made (see the module doc). Safe to call any
 * number of times; the first call does the work.
 *
 * @example
 * ```ts ignore
 * bot.on("message:refunded_payment", (c) =>
 *   applyRefund(ctx, c.message.refunded_payment.telegram_payment_charge_id, "telegram"));
 * ```
 */
export async function applyRefund(
  ctx: PaymentContext,
  chargeId: string,
  source: RefundSource,
): Promise<AppliedRefund> {
  const result = await ctx.db.transaction(async (tx): Promise<AppliedRefund> => {
    const payment = await ctx.payments.get(tx, chargeId);
    if (payment === undefined) return { kind: "unknown_charge", chargeId };
    const outcome = { chargeId, userId: payment.userId, price: payment.amount };
    if (!await ctx.payments.markRefunded(tx, chargeId)) {
      const credits = await creditsPostedUnder(ctx, tx, `refund:${chargeId}`);
      return { kind: "already_refunded", ...outcome, credits };
    }
    const credits = GRANTING_KINDS.has(payment.kind) ? await takeBack(ctx, tx, payment) : 0;
    ctx.logger.info("Payment {chargeId} ({kind}) refunded ({source}); {credits} credits back.", {
      chargeId,
      kind: payment.kind,
      source,
      credits,
    });
    return { kind: "refunded", ...outcome, credits };
  });
  if (result.kind === "refunded") ctx.committed();
  return result;
}

/** Undoes what a granting payment gave, inside the refund's transaction; returns the credits. */
async function takeBack(ctx: PaymentContext, tx: SqlRunner, payment: PaymentRecord) {
  const { chargeId, userId } = payment;
  const product = payment.productId === undefined
    ? undefined
    : findProduct(ctx.tenant, payment.productId);
  const title = product?.title ?? payment.productId ?? chargeId;
  const credits = await creditsPostedUnder(ctx, tx, `payment:${chargeId}`);
  if (credits > 0) {
    await ctx.ledger.reverse(tx, userId, credits, {
      idempotencyKey: `refund:${chargeId}`,
      reason: `refund: ${title}`,
    });
  }
  let chatId = userId;
  if (payment.orderId !== undefined) {
    const order = await ctx.orders.get(tx, payment.orderId);
    // A renewal's refund leaves the order alone: the order was paid by the first charge.
    if (order?.state === "paid" && order.chargeId === chargeId) {
      await ctx.orders.apply(tx, order.orderId, "refund");
    }
    if (order !== undefined) chatId = order.chatId;
  }
  if ((payment.kind === "subscription" || payment.kind === "renewal") && payment.productId) {
    // Access ends when the refunded charge started the subscription or paid its running period;
    // a refund of an older period's charge (or of an earlier subscription to the same product)
    // takes back that period's credits and leaves the paid-up present alone.
    const subscription = await ctx.subscriptions.get(tx, userId, payment.productId);
    if (subscription?.firstChargeId === chargeId || subscription?.lastChargeId === chargeId) {
      await ctx.subscriptions.markRefunded(tx, userId, payment.productId);
    }
  }
  const t = ctx.texts.forUser(await ctx.users.language(tx, userId)).t;
  await ctx.outbox.enqueue(
    tx,
    `refunded:${chargeId}`,
    messageCall(chatId, t("payment.refunded", { price: payment.amount, title, chargeId })),
  );
  return credits;
}

/**
 * The admin's `/refund <chargeId>`: asks Telegram to return the payment, then applies the
 * refund. Telegram answering `CHARGE_ALREADY_REFUNDED` counts as done (the Stars are back);
 * any other API error is returned as `failed` with nothing changed. A payment already refunded
 * here is reported without asking Telegram again.
 *
 * @example
 * ```ts ignore
 * const outcome = await refundCharge(ctx, "ch_1", { by: "admin", adminId: 123 });
 * if (outcome.kind === "failed") await reply(t("refund.failed", { chargeId, error: outcome.error }));
 * ```
 */
export async function refundCharge(
  ctx: PaymentContext,
  chargeId: string,
  request: RefundRequest,
): Promise<RefundOutcome> {
  const payment = await ctx.payments.get(ctx.db, chargeId);
  if (payment === undefined) return { kind: "unknown_charge", chargeId };
  ctx.logger.info("Refund of {chargeId} requested by {by} {adminId}.", {
    chargeId,
    by: request.by,
    adminId: request.adminId ?? "(unnamed)",
  });
  if (payment.refundedAt === undefined) {
    try {
      await ctx.api.refundStarPayment(payment.userId, chargeId);
    } catch (error) {
      const failure = ctx.readFailure(error);
      if (!isChargeAlreadyRefunded(failure)) {
        const text = ctx.redact(failure.description);
        ctx.logger.warn("Refund of {chargeId} failed: {error}", { chargeId, error: text });
        return { kind: "failed", chargeId, error: text };
      }
    }
  }
  return await applyRefund(ctx, chargeId, request.by);
}

/**
 * The outbox sender's `onSent` follow-up: when a queued `refundStarPayment` went through (a
 * double payment's refund), the refund is applied. Other items are ignored.
 *
 * @example
 * ```ts ignore
 * startOutboxSender({ …, onSent: (item) => onRefundSent(ctx, item) });
 * ```
 */
export async function onRefundSent(
  ctx: PaymentContext,
  item: Pick<OutboxItem, "id" | "method" | "params">,
): Promise<void> {
  if (item.method !== "refundStarPayment") return;
  const chargeId = item.params.telegram_payment_charge_id;
  if (typeof chargeId !== "string" || chargeId === "") {
    throw new TypeError(`outbox item ${item.id}: refundStarPayment without a charge id`);
  }
  await applyRefund(ctx, chargeId, "outbox");
}
