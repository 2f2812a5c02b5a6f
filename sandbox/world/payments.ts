/**
 * What happens to money once a payment is decided: debiting the wallet, booking the charge,
 * the `successful_payment` service message and its update (lost on purpose after
 * `dropNextSuccessfulPayment`), subscription renewals on the sandbox clock (with a `failed`
 * `subscription` update when the wallet cannot pay one), and refunds with their
 * `refunded_payment` message.
 * @module
 */

import type { Message, SuccessfulPayment, Update } from "grammy/types";
import { badRequest } from "../errors.ts";
import type { BotState } from "./bot_state.ts";
import type { InvoiceTerms } from "./invoice_terms.ts";
import { scheduleAt } from "./long_timer.ts";
import { type Subscription, subscriptionUpdate } from "./subscription.ts";
import type { UserState } from "./user_state.ts";
import { randomToken, type World } from "./world.ts";

/** A completed payment. */
export interface PaidCharge {
  /** telegram_payment_charge_id. */
  chargeId: string;
  /** The successful_payment service message in the user's chat with the bot. */
  message: Message;
  /** The update carrying it, or `undefined` when it was dropped on purpose. */
  update: Update | undefined;
}

interface Recurrence {
  subscription: Subscription;
  first: boolean;
}

/** Debits, books, and tells the bot; the common core of first payments and renewals. */
function settle(
  world: World,
  bot: BotState,
  user: UserState,
  charge: { amount: number; payload: string; period?: number },
  recurrence: Recurrence | undefined,
): PaidCharge {
  const chargeId = `stx${randomToken(40)}`;
  const date = world.nowSeconds();
  user.stars -= charge.amount;
  bot.ledger.recordPayment({
    id: chargeId,
    user: user.toUser(),
    amount: charge.amount,
    payload: charge.payload,
    date,
    ...(charge.period !== undefined ? { subscriptionPeriod: charge.period } : {}),
  });
  const payment: SuccessfulPayment = {
    currency: "XTR",
    total_amount: charge.amount,
    invoice_payload: charge.payload,
    telegram_payment_charge_id: chargeId,
    // Stars payments have no external provider; Telegram still sends the required field.
    provider_payment_charge_id: "",
  };
  if (recurrence) {
    payment.subscription_expiration_date = recurrence.subscription.expiresAt;
    payment.is_recurring = true;
    if (recurrence.first) payment.is_first_recurring = true;
  }
  const chat = bot.chatWith(user);
  const message = {
    message_id: chat.nextMessageId(),
    from: user.toUser(),
    chat: chat.chat,
    date,
    successful_payment: payment,
  };
  chat.addFromUser(message);
  let update: Update | undefined;
  if (bot.droppedSuccessfulPayments > 0) {
    bot.droppedSuccessfulPayments--;
  } else {
    update = bot.enqueue({ message });
  }
  return { chargeId, message, update };
}

function scheduleRenewal(world: World, bot: BotState, user: UserState, sub: Subscription): void {
  sub.renewalTimer = scheduleAt(world.clock, sub.expiresAt * 1000, () => {
    sub.renewalTimer = undefined;
    if (!sub.renews) {
      sub.ended = "expired";
    } else if (user.stars < sub.terms.amount) {
      sub.ended = "payment_failed";
      bot.enqueue(subscriptionUpdate(sub, user.toUser(), "failed"));
    } else {
      sub.expiresAt += sub.terms.period;
      const { chargeId } = settle(
        world,
        bot,
        user,
        { amount: sub.terms.amount, payload: sub.terms.payload, period: sub.terms.period },
        { subscription: sub, first: false },
      );
      bot.subscriptions.addCharge(sub, chargeId);
      scheduleRenewal(world, bot, user, sub);
    }
  });
}

/**
 * Completes an approved checkout: the wallet must already be known to cover the price. For a
 * subscription invoice this opens the subscription and schedules its renewal.
 */
export function payInvoice(
  world: World,
  bot: BotState,
  user: UserState,
  terms: InvoiceTerms,
): PaidCharge {
  const charge = { amount: terms.amount, payload: terms.payload, period: terms.subscriptionPeriod };
  if (terms.subscriptionPeriod === undefined) return settle(world, bot, user, charge, undefined);
  const subscription = bot.subscriptions.open({
    userId: user.id,
    amount: terms.amount,
    payload: terms.payload,
    period: terms.subscriptionPeriod,
    expiresAt: world.nowSeconds() + terms.subscriptionPeriod,
  });
  const paid = settle(world, bot, user, charge, { subscription, first: true });
  bot.subscriptions.addCharge(subscription, paid.chargeId);
  scheduleRenewal(world, bot, user, subscription);
  return paid;
}

/**
 * Refunds a whole charge to the user's wallet and sends the bot a `refunded_payment` message.
 * Throws 400 CHARGE_NOT_FOUND / CHARGE_ALREADY_REFUNDED as Telegram does.
 */
export function refundCharge(world: World, bot: BotState, userId: number, chargeId: string): void {
  const charge = bot.ledger.charge(chargeId);
  const user = world.users.get(userId);
  if (!charge || !user || charge.user.id !== userId) throw badRequest("CHARGE_NOT_FOUND");
  bot.ledger.recordRefund(chargeId, world.nowSeconds());
  user.stars += charge.amount;
  const chat = bot.chatWith(user);
  const message = {
    message_id: chat.nextMessageId(),
    from: user.toUser(),
    chat: chat.chat,
    date: world.nowSeconds(),
    refunded_payment: {
      currency: "XTR" as const,
      total_amount: charge.amount,
      invoice_payload: charge.payload,
      telegram_payment_charge_id: charge.id,
    },
  };
  chat.addFromUser(message);
  bot.enqueue({ message });
}
