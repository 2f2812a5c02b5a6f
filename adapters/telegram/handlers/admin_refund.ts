/**
 * `/refund <charge_id>`, for the tenant's admins (`config.admins`) only: returns a payment's
 * Stars to the user and reverses what it granted (`Refunds.refund`). Anyone else is
 * refused and nothing is looked up. Refunding twice is safe: the second time says it was
 * already done.
 *
 * The admin is told what really happened. When Telegram's answer was lost every time it was
 * asked, the refund may or may not exist; then Telegram's transactions settle it: a
 * reconciliation run applies a refund Telegram lists (reversing the credits, once), and the
 * admin hears "refunded" or "not made". Without a reconciler, or when that fails too, the admin
 * hears that the outcome is not known yet — never that Telegram refused.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import { depsOf, type HandlerDeps, senderOf, type Translator, translatorFor } from "./deps.ts";
import { describeError } from "../describe_error.ts";

/** The `/refund` handler. */
export function adminRefundHandlers(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("refund", async (ctx) => {
    const deps = depsOf(ctx);
    const { user } = senderOf(ctx);
    const { t } = translatorFor(deps, ctx);
    if (!deps.config.admins.includes(user.id)) {
      deps.logger.warn("User {userId} tried /refund but is not an admin.", { userId: user.id });
      await ctx.reply(t("refund.not_admin"));
      return;
    }
    const args = ctx.match.trim().split(/\s+/).filter((arg) => arg !== "");
    if (args.length !== 1) {
      await ctx.reply(t("refund.usage"));
      return;
    }
    await ctx.reply(await refundByAdmin(deps, args[0], user.id, t));
  });
  return composer;
}

/**
 * Refunds `chargeId` for the admin `adminId` (once: a second time says it was done) and says
 * what happened; shared by `/refund` and the Refund buttons (`refund_buttons.ts`).
 */
export async function refundByAdmin(
  deps: HandlerDeps,
  chargeId: string,
  adminId: number,
  t: Translator["t"],
): Promise<string> {
  const outcome = await deps.payments.refunds.refund(chargeId, { by: "admin", adminId });
  switch (outcome.kind) {
    case "refunded":
      return t("refund.done", {
        price: outcome.price,
        userId: outcome.userId,
        chargeId,
        credits: outcome.credits,
      });
    case "already_refunded":
      return t("refund.already", { chargeId });
    case "unknown_charge":
      return t("refund.unknown_charge", { chargeId });
    case "failed":
      return t("refund.failed", { chargeId, error: outcome.error });
    case "unanswered":
      return await settledByTransactions(deps, chargeId, outcome.error, t);
  }
}

/**
 * What to tell the admin about a refund Telegram never answered: reconciliation reads Telegram's
 * transactions and applies the refund if Telegram lists it; what is recorded afterwards is the
 * outcome.
 */
async function settledByTransactions(
  deps: HandlerDeps,
  chargeId: string,
  error: string,
  t: Translator["t"],
): Promise<string> {
  const unknown = t("refund.unanswered", { chargeId, error });
  if (!deps.reconciler) return unknown;
  try {
    await deps.reconciler.run();
  } catch (reconcileError) {
    deps.logger.warn("Could not settle the unanswered refund of {chargeId}: {error}", {
      chargeId,
      error: describeError(reconcileError),
    });
    return unknown;
  }
  const recorded = await deps.payments.refunds.recorded(chargeId);
  switch (recorded.kind) {
    case "already_refunded":
    case "refunded":
      return t("refund.done", {
        price: recorded.price,
        userId: recorded.userId,
        chargeId,
        credits: recorded.credits,
      });
    case "not_refunded":
      return t("refund.not_made", { chargeId });
    case "unknown_charge":
      return unknown;
  }
}
