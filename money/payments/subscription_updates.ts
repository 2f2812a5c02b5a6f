/**
 * Applying a `subscription` update: Telegram telling the bot that a subscriber canceled their
 * subscription's renewal (`canceled`), re-enabled it (`active`), or that the renewal payment
 * failed (`failed`). The update names the subscription by its invoice payload, which is our
 * order id; the order leads to the (user, product) row in the `subscriptions` table.
 *
 * The update is only believed when it fits what we know: the order exists, belongs to the
 * update's user, and is the order that started the subscription we hold now (an update about
 * an older subscription to the same product, bought through another invoice, must not touch the
 * current one). Anything else is `unknown_subscription`, with a warning, and changes nothing.
 *
 * The change is idempotent (see `Subscriptions.applyReported`), so a handler that runs twice —
 * the inbox re-runs unfinished updates — finds it done. It queues no messages (for `canceled`
 * and `active` the user made the change themselves); `/subscriptions` shows the new state.
 *
 * @example
 * ```ts ignore
 * import { applySubscriptionChange } from "./subscription_updates.ts";
 * bot.on("subscription", async (c) => {
 *   const outcome = await applySubscriptionChange(ctx, c.update.subscription);
 *   logger.info("Subscription update: {kind}", { kind: outcome.kind });
 * });
 * ```
 * @module
 */
import type { BotSubscriptionUpdated } from "grammy/types";
import type { PaymentContext } from "./context.ts";
import type { ReportedSubscriptionState, Subscription } from "../stores/subscriptions.ts";

/** What applying a `subscription` update did. */
export type SubscriptionChangeOutcome =
  | {
    kind: "updated";
    /** The subscription as it is now. */
    subscription: Subscription;
    /** False when the update changed nothing: a repeat, or not applicable in this state. */
    changed: boolean;
  }
  /** No subscription of this user matches the payload; nothing changed. */
  | { kind: "unknown_subscription" }
  /** A state this code does not know (Telegram may add some); nothing changed. */
  | { kind: "unknown_state"; state: string };

const reportedStates: readonly string[] = ["canceled", "active", "failed"];

/**
 * Applies a `subscription` update in one transaction; see the module doc. Storage errors
 * propagate and roll everything back, so the update can be re-run.
 *
 * @example
 * ```ts ignore
 * const outcome = await applySubscriptionChange(ctx, {
 *   user: { id: 7, is_bot: false, first_name: "Ann" },
 *   invoice_payload: "Zb3k…",
 *   state: "canceled",
 * });
 * if (outcome.kind === "updated") console.log(outcome.subscription.state); // "canceled"
 * ```
 */
export async function applySubscriptionChange(
  ctx: PaymentContext,
  change: BotSubscriptionUpdated,
): Promise<SubscriptionChangeOutcome> {
  const { logger } = ctx;
  const userId = change.user.id;
  const payload = change.invoice_payload;
  // Typed as three states, but the field comes from Telegram, which documents it as "currently"
  // one of them: a new state is logged and left alone rather than guessed at or retried forever.
  if (!reportedStates.includes(change.state)) {
    logger.warn(
      "Subscription update for user {userId} has an unknown state {state}; ignored.",
      { userId, state: JSON.stringify(change.state) },
    );
    return { kind: "unknown_state", state: String(change.state) };
  }
  const reported = change.state as ReportedSubscriptionState;
  return await ctx.db.transaction(async (tx): Promise<SubscriptionChangeOutcome> => {
    const unknown = (why: string, fields: Record<string, unknown>) => {
      logger.warn(
        `Subscription update ({state}) from user {userId} for payload {payload} ignored: ${why}.`,
        { state: reported, userId, payload: JSON.stringify(payload), ...fields },
      );
      return { kind: "unknown_subscription" } as const;
    };
    const order = await ctx.orders.get(tx, payload);
    if (order === undefined) return unknown("no order has this payload", {});
    if (order.userId !== userId) {
      return unknown("the order belongs to user {owner}", { owner: order.userId });
    }
    const current = await ctx.subscriptions.get(tx, userId, order.productId);
    if (current === undefined) {
      return unknown("the user has no subscription to {productId}", {
        productId: order.productId,
      });
    }
    const started = await ctx.payments.get(tx, current.firstChargeId);
    if (started?.orderId !== order.orderId) {
      return unknown(
        "the subscription to {productId} was started by another invoice (charge {chargeId})",
        { productId: order.productId, chargeId: current.firstChargeId },
      );
    }
    const applied = await ctx.subscriptions.applyReported(tx, current, reported);
    const fields = {
      userId,
      productId: order.productId,
      reported,
      state: applied.subscription.state,
    };
    if (applied.changed) {
      logger.info(
        "Subscription of user {userId} to {productId} is now {state} (Telegram: {reported}).",
        fields,
      );
    } else {
      logger.debug(
        "Subscription of user {userId} to {productId} stays {state} (Telegram: {reported}).",
        fields,
      );
    }
    return { kind: "updated", subscription: applied.subscription, changed: applied.changed };
  });
}
