/**
 * A bot's Telegram Stars book-keeping: every charge (payment) by its telegram_payment_charge_id,
 * the StarTransaction list getStarTransactions pages through (chronological, as the Bot API
 * documents it), and the balance getMyStarBalance reports (payments minus refunds).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StarLedger } from "./star_ledger.ts";
 *
 * const ledger = new StarLedger();
 * const user = { id: 7, is_bot: false, first_name: "Ann" };
 * ledger.recordPayment({ id: "stx1", user, amount: 50, payload: "p", date: 1 });
 * assert.equal(ledger.balance, 50);
 * ledger.recordRefund("stx1", 2);
 * assert.equal(ledger.balance, 0);
 * assert.ok(ledger.isRefunded("stx1"));
 * // Chronological: the payment, then its refund under the same charge id.
 * const ids = ledger.transactions(0, 100).map((transaction) => transaction.id);
 * assert.deepEqual(ids, ["stx1", "stx1"]);
 * ```
 * @module
 */

import type { StarTransaction, TransactionPartnerUser, User } from "grammy/types";
import { badRequest } from "../errors.ts";

/** One successful payment in Stars. */
export interface Charge {
  /** telegram_payment_charge_id. */
  readonly id: string;
  readonly user: User;
  readonly amount: number;
  readonly payload: string;
  /** Unix time of the payment. */
  readonly date: number;
  /** Set for subscription payments (first and renewals). */
  readonly subscriptionPeriod?: number;
  /** The subscription this charge paid for, if any. */
  readonly subscriptionId?: number;
}

interface ChargeState extends Charge {
  refunded: boolean;
}

/** See the module documentation. */
export class StarLedger {
  #balance = 0;
  readonly #transactions: StarTransaction[] = [];
  readonly #charges = new Map<string, ChargeState>();

  /** The bot's Stars: payments received minus refunds. */
  get balance(): number {
    return this.#balance;
  }

  /** A charge by its telegram_payment_charge_id. */
  charge(id: string): Charge | undefined {
    return this.#charges.get(id);
  }

  /** Whether the charge was refunded. */
  isRefunded(id: string): boolean {
    return this.#charges.get(id)?.refunded === true;
  }

  /** Books an incoming payment. */
  recordPayment(charge: Charge): void {
    this.#charges.set(charge.id, { ...charge, refunded: false });
    this.#balance += charge.amount;
    this.#transactions.push({
      id: charge.id,
      amount: charge.amount,
      date: charge.date,
      source: partner(charge),
    });
  }

  /**
   * Books a refund of a whole charge. The refund transaction reuses the charge's id, as the
   * Bot API states for refunds. Throws Telegram's errors for unknown or refunded charges.
   */
  recordRefund(chargeId: string, date: number): Charge {
    const charge = this.#charges.get(chargeId);
    if (!charge) throw badRequest("CHARGE_NOT_FOUND");
    if (charge.refunded) throw badRequest("CHARGE_ALREADY_REFUNDED");
    charge.refunded = true;
    this.#balance -= charge.amount;
    this.#transactions.push({
      id: charge.id,
      amount: charge.amount,
      date,
      receiver: partner(charge),
    });
    return charge;
  }

  /** getStarTransactions: skips `offset`, returns at most `limit`, oldest first. */
  transactions(offset: number, limit: number): StarTransaction[] {
    return this.#transactions.slice(offset, offset + limit);
  }
}

function partner(charge: Charge): TransactionPartnerUser {
  const result: TransactionPartnerUser = {
    type: "user",
    transaction_type: "invoice_payment",
    user: charge.user,
    invoice_payload: charge.payload,
  };
  if (charge.subscriptionPeriod !== undefined) {
    result.subscription_period = charge.subscriptionPeriod;
  }
  return result;
}
