/**
 * Payments in Telegram Stars: sendInvoice, createInvoiceLink, answerPreCheckoutQuery,
 * refundStarPayment, getStarTransactions, getMyStarBalance and editUserStarSubscription.
 * @module
 */

import type { StarAmount, StarTransactions } from "grammy/types";
import { badRequest } from "../errors.ts";
import { parseInvoiceTerms } from "../world/invoice_terms.ts";
import { refundCharge } from "../world/payments.ts";
import { parseInlineKeyboard } from "../world/reply_markup.ts";
import { randomToken } from "../world/world.ts";
import { chatForSending } from "./chat_target.ts";
import type { CallContext, Handler } from "./handler.ts";
import { storeBotMessage } from "./messages.ts";

const QUERY_GONE = "query is too old and response timeout expired or query ID is invalid";

/** The subscription a bot-side call names by user and charge, with Telegram's errors. */
function subscriptionOf({ world, bot, params }: CallContext) {
  const userId = params.integer("user_id");
  const chargeId = params.string("telegram_payment_charge_id");
  const charge = bot.ledger.charge(chargeId);
  if (!charge || charge.user.id !== userId || !world.users.has(userId)) {
    throw badRequest("CHARGE_NOT_FOUND");
  }
  const subscription = bot.subscriptions.byCharge(chargeId);
  if (!subscription) throw badRequest(`charge ${chargeId} did not pay for a subscription`);
  if (subscription.ended) throw badRequest(`the subscription has already ended`);
  return subscription;
}

/** Handlers by method name. */
export const paymentHandlers: Record<string, Handler> = {
  sendInvoice: (call) => {
    const chat = chatForSending(call);
    const terms = parseInvoiceTerms(call.params, {
      subscriptions: false,
      testEnvironment: call.bot.identity.testEnvironment,
    });
    const raw = call.params.optionalObject("reply_markup");
    const keyboard = raw === undefined ? undefined : parseInlineKeyboard(raw, "invoice");
    const message = storeBotMessage(call, chat, {
      invoice: {
        title: terms.title,
        description: terms.description,
        start_parameter: terms.startParameter,
        currency: terms.currency,
        total_amount: terms.amount,
      },
      ...(keyboard ? { reply_markup: keyboard } : {}),
    });
    chat.addInvoice(message.message_id, terms);
    return message;
  },

  createInvoiceLink: ({ bot, params }) => {
    if (params.has("business_connection_id")) {
      throw badRequest("business connections are not emulated by the Constellation sandbox");
    }
    const terms = parseInvoiceTerms(params, {
      subscriptions: true,
      testEnvironment: bot.identity.testEnvironment,
    });
    const slug = randomToken(24);
    bot.invoiceLinks.set(slug, terms);
    return `https://t.me/$${slug}`;
  },

  answerPreCheckoutQuery: ({ bot, params }) => {
    const id = params.string("pre_checkout_query_id");
    const ok = params.boolean("ok");
    const errorMessage = params.optionalString("error_message") ?? "";
    const pending = bot.preCheckoutQueries.get(id);
    if (!pending) throw badRequest(QUERY_GONE);
    if (!ok && errorMessage === "") {
      throw badRequest("error_message is required when ok is False");
    }
    bot.preCheckoutQueries.delete(id);
    pending.answer(ok ? { ok: true } : { ok: false, errorMessage });
    return true;
  },

  refundStarPayment: ({ world, bot, params }) => {
    refundCharge(
      world,
      bot,
      params.integer("user_id"),
      params.string("telegram_payment_charge_id"),
    );
    return true;
  },

  getStarTransactions: ({ bot, params }): StarTransactions => {
    const offset = Math.max(0, params.optionalInteger("offset") ?? 0);
    const limit = Math.min(100, Math.max(1, params.optionalInteger("limit") ?? 100));
    return { transactions: bot.ledger.transactions(offset, limit) };
  },

  getMyStarBalance: ({ bot }): StarAmount => ({ amount: bot.ledger.balance }),

  editUserStarSubscription: (call) => {
    const subscription = subscriptionOf(call);
    if (call.params.boolean("is_canceled")) subscription.cancelByBot();
    else subscription.allowReenable();
    return true;
  },
};
