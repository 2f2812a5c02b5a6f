/**
 * Which of the bot's Telegram Stars transactions concern our payments ledger, and what they
 * say. `getStarTransactions` lists every movement of the bot's Stars; only two kinds are ours:
 *
 * - an incoming invoice payment from a user (`source` is a `TransactionPartnerUser` with
 *   `transaction_type: "invoice_payment"`): its id is the `telegram_payment_charge_id` the
 *   `successful_payment` update carries;
 * - the refund of such a payment (`receiver` is that user): its id is the refunded payment's id.
 *
 * Everything else — paid media, gifts and Premium bought by the bot, Fragment withdrawals, ads,
 * affiliate commissions — never went through an invoice of ours, so reconciliation leaves it
 * alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { StarTransaction } from "grammy/types";
 * import { classifyTransaction } from "./transactions.ts";
 *
 * const user = { id: 7, is_bot: false, first_name: "Ann" };
 * const partner = { type: "user", transaction_type: "invoice_payment", user } as const;
 * const payment: StarTransaction = {
 *   id: "ch_1",
 *   amount: 50,
 *   date: 1_700_000_000,
 *   source: { ...partner, invoice_payload: "o1" },
 * };
 * assert.deepEqual(classifyTransaction(payment), {
 *   kind: "payment",
 *   id: "ch_1",
 *   user,
 *   amount: 50,
 *   date: 1_700_000_000,
 *   payload: "o1",
 * });
 * // Its refund has the user as receiver, and the payment's id.
 * const refund: StarTransaction = { ...payment, source: undefined, receiver: partner };
 * assert.equal(classifyTransaction(refund)?.kind, "refund");
 * // A withdrawal to Fragment is not a payment of ours.
 * const withdrawal: StarTransaction = {
 *   id: "w1",
 *   amount: 500,
 *   date: 1_700_000_000,
 *   receiver: { type: "fragment" },
 * };
 * assert.equal(classifyTransaction(withdrawal), undefined);
 * ```
 * @module
 */
import type { StarTransaction, User } from "grammy/types";

/**
 * A user's payment of one of the bot's invoices, as Telegram's transaction list shows it.
 * `date` is Unix time in seconds; `subscriptionPeriod` (seconds) is set for subscription
 * charges, first and renewals alike.
 */
export interface IncomingPayment {
  kind: "payment";
  /** The transaction id: the payment's `telegram_payment_charge_id`. */
  id: string;
  user: User;
  amount: number;
  date: number;
  /**
   * The invoice payload (our order id). Telegram documents it as optional; a payment without
   * one names no order and is handled like any unmatched payload.
   */
  payload: string;
  subscriptionPeriod?: number;
}

/** The refund of a user's invoice payment; `id` is the refunded payment's charge id. */
export interface TelegramRefund {
  kind: "refund";
  id: string;
  user: User;
  amount: number;
  date: number;
}

/** A transaction reconciliation acts on. */
export type ReconcilableTransaction = IncomingPayment | TelegramRefund;

/**
 * What `transaction` means for the payments ledger, or `undefined` when it is not an invoice
 * payment or its refund (see the module doc).
 */
export function classifyTransaction(
  transaction: StarTransaction,
): ReconcilableTransaction | undefined {
  const { id, amount, date, source, receiver } = transaction;
  if (source?.type === "user" && source.transaction_type === "invoice_payment") {
    const payment: IncomingPayment = {
      kind: "payment",
      id,
      user: source.user,
      amount,
      date,
      payload: source.invoice_payload ?? "",
    };
    if (source.subscription_period !== undefined) {
      payment.subscriptionPeriod = source.subscription_period;
    }
    return payment;
  }
  if (receiver?.type === "user" && receiver.transaction_type === "invoice_payment") {
    return { kind: "refund", id, user: receiver.user, amount, date };
  }
  return undefined;
}
