/**
 * The admins' **Refund** buttons (`stars:rf:…`, `money/payments/refund_button.ts`): on each
 * `/transactions` payment, each `/user` payment, an unmatched-payment notice and a support
 * request. Pressing one asks to confirm, naming the payment (amount, buyer, product, charge,
 * date); confirming refunds it exactly as `/refund` does (`refundByAdmin`: once, the second time
 * says it was done) and writes the result over the question; cancelling says it stands. Only
 * the tenant's admins may press them: anyone else gets `admin.only` and nothing is looked up.
 * Answered here, before the runtime's other buttons (`callbacks.ts`).
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import { encodeCallback, parseCallback } from "../callback_data.ts";
import { answerCallback } from "./answer.ts";
import { refundByAdmin } from "./admin_refund.ts";
import { depsOf, isAdmin, productTitle, senderOf, translatorFor } from "./deps.ts";
import { formatHistoryDate } from "./history.ts";
import { editScreen, keyboard, sendScreen } from "./screen.ts";

/** The Refund buttons' handler; see the module doc. */
export function refundButtons(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.on("callback_query:data", async (ctx, next) => {
    const deps = depsOf(ctx);
    const action = parseCallback(ctx.callbackQuery.data);
    if (action?.kind !== "refund") return await next();
    const translator = translatorFor(deps, ctx);
    const { t, locale } = translator;
    if (ctx.chat?.type !== "private") return await answerCallback(ctx, t("callback.unknown"));
    if (!isAdmin(deps, ctx, "a Refund button")) return await answerCallback(ctx, t("admin.only"));
    const { user } = senderOf(ctx);
    const { chargeId } = action;
    switch (action.step) {
      case "ask": {
        const payment = await deps.payments.purchases.byCharge(chargeId);
        if (payment === undefined) {
          return await answerCallback(ctx, t("refund.unknown_charge", { chargeId }));
        }
        if (payment.refundedAt !== undefined) {
          return await answerCallback(ctx, t("refund.already", { chargeId }));
        }
        await sendScreen(ctx, {
          text: t("refund.confirm", {
            amount: payment.amount,
            userId: String(payment.userId),
            title: productTitle(deps, locale, payment.productId ?? "—"),
            chargeId,
            date: formatHistoryDate(payment.paidAt),
          }),
          reply_markup: keyboard([[
            { text: t("refund.yes"), callback_data: encodeCallback({ ...action, step: "yes" }) },
            { text: t("refund.no"), callback_data: encodeCallback({ ...action, step: "no" }) },
          ]]),
        });
        return await answerCallback(ctx);
      }
      case "yes": {
        // Shown in place of the question, so the buttons cannot be pressed again; pressing an
        // older copy refunds nothing twice (`refund.already`).
        const result = await refundByAdmin(deps, chargeId, user.id, t);
        await editScreen(ctx, { text: result });
        return await answerCallback(ctx);
      }
      case "no":
        await editScreen(ctx, { text: t("refund.kept", { chargeId }) });
        return await answerCallback(ctx);
    }
  });
  return composer;
}
