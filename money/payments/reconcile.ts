/**
 * The payment service's side of reconciliation (`reconciler.ts`): applying a payment that
 * Telegram's transaction list shows but whose `successful_payment` update never arrived, and
 * telling the admins about a refund of a payment we never recorded.
 *
 * A recovered payment goes through the very path of a `successful_payment` update
 * (`receivePayment` in `payment_receive.ts`), rebuilt from the transaction: its id is the charge
 * id, so the payments primary key decides who applies it — reconciliation, the late update, or
 * a second reconciliation — and the others find it done. One credit, one receipt, whatever
 * order they run in.
 *
 * @example
 * ```ts ignore
 * import { recoverPayment } from "./reconcile.ts";
 * const outcome = await recoverPayment(ctx, payment); // "credited", …, or "already_applied"
 * ```
 * @module
 */
import type { SuccessfulPayment } from "grammy/types";
import type { Order } from "../stores/orders.ts";
import { messageCall, type PaymentContext } from "./context.ts";
import { type PaymentOutcome, receivePayment } from "./receive.ts";
import type { IncomingPayment, TelegramRefund } from "../reconciliation/transactions.ts";

/** Whether the order has had its first payment (a refund does not undo that). */
function isPaid(order: Order | undefined): boolean {
  return order?.state === "paid" || order?.state === "refunded";
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

/**
 * Applies a payment found in Telegram's transactions, exactly as its `successful_payment`
 * would have been (see the module doc); `already_applied` when it is recorded already. The
 * receipt goes to the chat the order was issued in, else to the payer's private chat, in the
 * payer's language (from the transaction, else the one last seen from them).
 *
 * @example
 * ```ts ignore
 * const outcome = await recoverPayment(ctx, {
 *   kind: "payment", id: "stx1", user, amount: 50, date: 1_700_000_000, payload: orderId,
 * });
 * ```
 */
export async function recoverPayment(
  ctx: PaymentContext,
  payment: IncomingPayment,
): Promise<PaymentOutcome> {
  // Most transactions were applied long ago: this read spares them the order lookup. It
  // decides nothing — receivePayment's insert into the payments table does.
  if (await ctx.payments.get(ctx.db, payment.id) !== undefined) {
    return { kind: "already_applied", chargeId: payment.id };
  }
  const order = await ctx.orders.get(ctx.db, payment.payload);
  const chatId = order?.userId === payment.user.id ? order.chatId : payment.user.id;
  // The transaction may not carry the payer's language; the one they used to order does.
  const languageCode = payment.user.language_code ??
    await ctx.users.language(ctx.db, payment.user.id);
  const from = languageCode === undefined
    ? payment.user
    : { ...payment.user, language_code: languageCode };
  return await receivePayment(ctx, {
    from,
    chat: { id: chatId },
    successful_payment: successfulPaymentOf(payment, order),
  });
}

/**
 * Tells `admins` that Telegram refunded a payment that is not recorded here (so nothing could
 * be reversed), once per charge: the outbox ids are `unmatched_refund:<chargeId>:<adminId>`.
 * Returns true when the notice was queued now, false when it had been already (or there is no
 * admin, which is logged as an error).
 *
 * @example
 * ```ts ignore
 * await reportUnmatchedRefund(ctx, refund, tenant.admins); // true, then false
 * ```
 */
export async function reportUnmatchedRefund(
  ctx: PaymentContext,
  refund: TelegramRefund,
  admins: readonly number[],
): Promise<boolean> {
  const { tenant, texts, outbox, logger } = ctx;
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
  const queued = await ctx.db.transaction(async (tx) => {
    let any = false;
    for (const adminId of admins) {
      const id = `unmatched_refund:${refund.id}:${adminId}`;
      if (await outbox.enqueue(tx, id, messageCall(adminId, text))) any = true;
    }
    return any;
  });
  if (queued) {
    logger.warn("Telegram refunded unrecorded charge {chargeId}; told {admins} admin(s).", fields);
    ctx.committed();
  }
  return queued;
}
