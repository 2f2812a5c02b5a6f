/**
 * The updates that move money: `pre_checkout_query`, `successful_payment` and
 * `refunded_payment`. They run in every chat type (money that arrived must be applied wherever
 * its invoice was) and before any plugin, which cannot intercept them.
 *
 * - A pre-checkout query is always answered: approved, refused with the reason in the payer's
 *   language, or — if the checkout throws — refused with `precheckout.error` (the user
 *   can retry), and the error rethrown so it is logged. Telegram cancels the payment after 10 s
 *   without an answer, which would leave the user guessing, so an answer lost to a dropped
 *   connection, a deadline or a 5xx is sent again within those 10 s (`Checkout.answerPreCheckout`).
 * - A successful payment is applied by the payment receiver; its errors propagate, so the tenant
 *   keeps the update pending and applies it again. Never swallowed: that would lose money.
 * - A refunded payment (Telegram refunded a charge, e.g. after a dispute) is applied once.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import type { PreCheckoutAnswer, SendPreCheckoutAnswer } from "../../../money/payments/checkout.ts";
import { describeError } from "../describe_error.ts";
import { depsOf, translatorFor } from "./deps.ts";

/** grammY's npm build declares its signals with a polyfill's type; at run time they are real. */
type GrammySignal = Parameters<Context["answerPreCheckoutQuery"]>[2];

/** The payment update handlers; see the module doc. */
export function paymentUpdateHandlers(): Composer<Context> {
  const composer = new Composer<Context>();

  composer.on("pre_checkout_query", async (ctx) => {
    const deps = depsOf(ctx);
    const { payments, logger } = deps;
    const query = ctx.preCheckoutQuery;
    // One attempt; the checkout retries it within Telegram's 10 s when no answer came back.
    const send: SendPreCheckoutAnswer = (answer, signal) =>
      ctx.answerPreCheckoutQuery(
        answer.ok,
        answer.ok ? undefined : { error_message: answer.errorMessage },
        signal as GrammySignal,
      );
    let answer: PreCheckoutAnswer;
    try {
      answer = await payments.checkout.preCheckout(query);
    } catch (error) {
      try {
        await payments.checkout.answerPreCheckout(query, {
          ok: false,
          refusal: "error",
          errorMessage: translatorFor(deps, ctx).t("precheckout.error"),
        }, send);
      } catch (answerError) {
        // The check's error is the one that matters and is rethrown; this one is only logged.
        logger.error("Refusing pre-checkout query {queryId} failed too: {error}", {
          queryId: ctx.preCheckoutQuery.id,
          error: describeError(answerError),
        });
      }
      throw error;
    }
    await payments.checkout.answerPreCheckout(query, answer, send);
  });

  composer.on("message:successful_payment", async (ctx) => {
    const { payments, logger } = depsOf(ctx);
    const outcome = await payments.receiver.receive(ctx.message);
    logger.info("Payment {chargeId}: {kind}.", { chargeId: outcome.chargeId, kind: outcome.kind });
  });

  composer.on("message:refunded_payment", async (ctx) => {
    const { payments, logger } = depsOf(ctx);
    const chargeId = ctx.message.refunded_payment.telegram_payment_charge_id;
    const applied = await payments.refunds.apply(chargeId, "telegram");
    logger.info("Refund of {chargeId} reported by Telegram: {kind}.", {
      chargeId,
      kind: applied.kind,
    });
  });

  // Telegram tells the bot when a user cancels or re-enables a subscription, or its renewal
  // payment fails; the stored state follows.
  composer.on("subscription", async (ctx) => {
    const { payments, logger } = depsOf(ctx);
    const change = ctx.update.subscription;
    const outcome = await payments.subscriptions.applyUpdate(change);
    logger.info("Subscription of user {userId} reported {state}: {kind}.", {
      userId: change.user.id,
      state: change.state,
      kind: outcome.kind,
    });
  });

  return composer;
}
