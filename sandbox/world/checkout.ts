/**
 * The user's side of paying an invoice in Stars, step by step as Telegram runs it: the wallet
 * must cover the price (otherwise the client offers to buy Stars and the bot hears nothing),
 * the bot gets a `pre_checkout_query` and has `preCheckoutTimeoutMs` on the sandbox clock to
 * answer it, and only an `ok: true` answer in time moves money. A late answer finds the query
 * gone and gets Telegram's "query is too old" error.
 * @module
 */

import type { Message } from "grammy/types";
import type { BotState, PreCheckoutAnswer } from "./bot_state.ts";
import type { InvoiceTerms } from "./invoice_terms.ts";
import { payInvoice } from "./payments.ts";
import type { UserState } from "./user_state.ts";
import type { World } from "./world.ts";

/** How a payment attempt ended. */
export type PaymentOutcome =
  | {
    status: "paid";
    /** telegram_payment_charge_id. */
    chargeId: string;
    /** The successful_payment service message. */
    message: Message;
    /** The update that carries it to the bot; `undefined` after dropNextSuccessfulPayment. */
    updateId: number | undefined;
  }
  | { status: "rejected"; errorMessage: string }
  | { status: "timeout" }
  | { status: "insufficient_stars" };

function askBot(
  world: World,
  bot: BotState,
  user: UserState,
  terms: InvoiceTerms,
): Promise<PreCheckoutAnswer | "timeout"> {
  const id = world.nextQueryId();
  const askedAt = world.clock.now();
  return new Promise((resolve) => {
    const expire = () => {
      if (bot.preCheckoutQueries.delete(id)) resolve("timeout");
    };
    const timer = world.clock.setTimeout(expire, world.options.preCheckoutTimeoutMs);
    bot.preCheckoutQueries.set(id, {
      answer: (answer) => {
        world.clock.clearTimeout(timer);
        const waitedMs = world.clock.now() - askedAt;
        world.options.onPreCheckoutAnswered?.(bot, { ok: answer.ok, waitedMs });
        resolve(answer);
      },
      cancel: () => {
        world.clock.clearTimeout(timer);
        expire();
      },
    });
    bot.enqueue({
      pre_checkout_query: {
        id,
        from: user.toUser(),
        currency: terms.currency,
        total_amount: terms.amount,
        invoice_payload: terms.payload,
      },
    });
  });
}

/** Runs one payment attempt to its end; see the module documentation. */
export async function checkout(
  world: World,
  bot: BotState,
  user: UserState,
  terms: InvoiceTerms,
  afterApproval?: () => Promise<void>,
): Promise<PaymentOutcome> {
  if (user.stars < terms.amount) return { status: "insufficient_stars" };
  const answer = await askBot(world, bot, user, terms);
  if (answer === "timeout") return { status: "timeout" };
  if (!answer.ok) return { status: "rejected", errorMessage: answer.errorMessage };
  await afterApproval?.();
  // The wallet may have been spent elsewhere while the bot was deciding.
  if (user.stars < terms.amount) return { status: "insufficient_stars" };
  const paid = payInvoice(world, bot, user, terms);
  return {
    status: "paid",
    chargeId: paid.chargeId,
    message: paid.message,
    updateId: paid.update?.update_id,
  };
}
