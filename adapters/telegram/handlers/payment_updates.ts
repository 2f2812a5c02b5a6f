/**
 * The updates that move money: `pre_checkout_query`, `successful_payment` and
 * `refunded_payment`. They run in every chat type (money that arrived must be applied wherever
 * its invoice was) and before any plugin, which cannot intercept them.
 *
 * - A pre-checkout query is always answered: approved, refused with the reason in the payer's
 *   language, or — if the checkout throws — refused with `precheckout.error` (the user
 *   can retry), and the error rethrown so it is logged. Telegram cancels the payment after 10 s
 *   without an answer, which would leave the user guessing.
 * - A successful payment is applied by the payment receiver; its errors propagate, so the tenant
 *   keeps the update pending and applies it again. Never swallowed: that would lose money.
 * - A refunded payment (Telegram refunded a charge, e.g. after a dispute) is applied once.
 *
 * @example
 * ```ts ignore
 * import { paymentUpdateHandlers } from "./payment_updates.ts";
 * bot.use(paymentUpdateHandlers(deps));
 * ```
 * @module
 */
import { Composer, type Context } from "grammy";
import type { PreCheckoutAnswer } from "../../../money/payments/checkout.ts";
import { describeError } from "../describe_error.ts";
import { type HandlerDeps, translatorFor } from "./deps.ts";

/**
 * The payment update handlers; see the module doc.
 *
 * @example
 * ```ts ignore
 * composer.use(paymentUpdateHandlers({ config, texts, payments, logger }));
 * ```
 */
export function paymentUpdateHandlers(deps: HandlerDeps): Composer<Context> {
  const { payments, logger } = deps;
  const composer = new Composer<Context>();

  composer.on("pre_checkout_query", async (ctx) => {
    let answer: PreCheckoutAnswer;
    try {
      answer = await payments.checkout.preCheckout(ctx.preCheckoutQuery);
    } catch (error) {
      try {
        await ctx.answerPreCheckoutQuery(false, {
          error_message: translatorFor(deps, ctx).t("precheckout.error"),
        });
      } catch (answerError) {
        // The check's error is the one that matters and is rethrown; this one is only logged.
        logger.error("Refusing pre-checkout query {queryId} failed too: {error}", {
          queryId: ctx.preCheckoutQuery.id,
          error: describeError(answerError),
        });
      }
      throw error;
    }
    await ctx.answerPreCheckoutQuery(
      answer.ok,
      answer.ok ? undefined : { error_message: answer.errorMessage },
    );
  });

  composer.on("message:successful_payment", async (ctx) => {
    const outcome = await payments.receiver.receive(ctx.message);
    logger.info("Payment {chargeId}: {kind}.", { chargeId: outcome.chargeId, kind: outcome.kind });
  });

  composer.on("message:refunded_payment", async (ctx) => {
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
