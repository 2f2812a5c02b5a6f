/**
 * The few Bot API calls the payment service makes itself, while a user waits for the answer
 * (an invoice, a subscription link, an admin's refund, a renewal switch). Everything that may
 * happen later goes through the outbox instead. The signatures are those of grammY's `Api`
 * (parameter for parameter, narrowed to what Stars payments use), so the tenant passes
 * `bot.api` as it is and tests pass a recording fake.
 *
 * @example grammY's `Api` fits as it is
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api } from "grammy";
 * import type { PaymentsApi } from "./bot_api.ts";
 *
 * // Only built, never called: no request leaves the process.
 * const api: PaymentsApi = new Api("123:token");
 * assert.equal(typeof api.refundStarPayment, "function");
 * ```
 * @module
 */
import type { BotApiFailure } from "../ports.ts";
import type { InlineKeyboardMarkup, LabeledPrice } from "grammy/types";

/**
 * The Bot API methods of Stars payments, as grammY 1.46 declares them. Written as function
 * properties rather than methods so the compiler checks parameters strictly: `bot.api` is
 * assignable only if grammY accepts everything this interface may pass.
 */
export interface PaymentsApi {
  /** Sends an invoice message; `payload` is our order id. */
  sendInvoice: (
    chat_id: number,
    title: string,
    description: string,
    payload: string,
    currency: "XTR",
    prices: LabeledPrice[],
    other?: { provider_token?: string; start_parameter?: string },
  ) => Promise<{ message_id: number }>;
  /** Creates an invoice link; with `subscription_period` it is a subscription link. */
  createInvoiceLink: (
    title: string,
    description: string,
    payload: string,
    provider_token: string,
    currency: "XTR",
    prices: LabeledPrice[],
    other?: { subscription_period?: number },
  ) => Promise<string>;
  /** Sends a text message, here the subscription link with its URL button. */
  sendMessage: (
    chat_id: number,
    text: string,
    other?: { reply_markup?: InlineKeyboardMarkup },
  ) => Promise<{ message_id: number }>;
  /** Returns a Stars payment to the user. */
  refundStarPayment: (user_id: number, telegram_payment_charge_id: string) => Promise<true>;
  /**
   * Switches a subscription's renewal off (`is_canceled: true`) or on again. The charge id names
   * the subscription: it is the charge of its first payment (MTProto's
   * `payments.botCancelStarsSubscription`, which this method wraps, says so).
   */
  editUserStarSubscription: (
    user_id: number,
    telegram_payment_charge_id: string,
    is_canceled: boolean,
  ) => Promise<true>;
}

/**
 * True when `error` is Telegram saying the charge was refunded before: for a refund, that is
 * success (the Stars are back with the user), not a failure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GrammyError } from "grammy";
 * import { readBotApiFailure } from "../../adapters/telegram/bot_api_failure.ts";
 * import { isChargeAlreadyRefunded } from "./bot_api.ts";
 *
 * const error = new GrammyError(
 *   "Call to 'refundStarPayment' failed!",
 *   { ok: false, error_code: 400, description: "Bad Request: CHARGE_ALREADY_REFUNDED" },
 *   "refundStarPayment",
 *   {},
 * );
 * assert.equal(isChargeAlreadyRefunded(readBotApiFailure(error)), true);
 * assert.equal(
 *   isChargeAlreadyRefunded({ kind: "unreachable", description: "network error" }),
 *   false,
 * );
 * ```
 */
export function isChargeAlreadyRefunded(failure: BotApiFailure): boolean {
  return failure.kind === "refused" && failure.description.includes("CHARGE_ALREADY_REFUNDED");
}
