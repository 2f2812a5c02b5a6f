/**
 * A user's Stars subscriptions: listing them, switching a running one's renewal off or on, and
 * applying Telegram's `subscription` updates — a subscriber canceled their subscription's
 * renewal (`canceled`), re-enabled it (`active`), or the renewal payment failed (`failed`).
 * Paying for a subscription and its renewals is the payment receiver's (`receive.ts`); what is
 * stored is the `subscriptions` table (`../stores/subscription_records.ts`).
 *
 * An update names the subscription by its invoice payload, which is our order id; the order
 * leads to the (user, product) row. The update is only believed when it fits what we know: the
 * order exists, belongs to the update's user, and is the order that started the subscription we
 * hold now (an update about an older subscription to the same product, bought through another
 * invoice, must not touch the current one). Anything else is `unknown_subscription`, with a
 * warning, and changes nothing.
 *
 * The change is idempotent (see `SubscriptionRecords.applyReported`), so a handler that runs
 * twice — the inbox re-runs unfinished updates — finds it done. It queues no messages (for
 * `canceled` and `active` the user made the change themselves); `/subscriptions` shows the new
 * state.
 *
 * @example
 * ```ts ignore
 * import { Subscriptions } from "./subscriptions.ts";
 * const subscriptions = new Subscriptions(parts);
 * bot.on("subscription", async (c) => {
 *   const outcome = await subscriptions.applyUpdate(c.update.subscription);
 *   logger.info("Subscription update: {kind}", { kind: outcome.kind });
 * });
 * ```
 * @module
 */
import type { BotSubscriptionUpdated } from "grammy/types";
import type { PaymentParts } from "./parts.ts";
import type { ReportedSubscriptionState, Subscription } from "../stores/subscription_records.ts";

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

/** The outcome of {@linkcode Subscriptions.setRenewal}. */
export type RenewalChange =
  | { kind: "canceled" | "resumed"; subscription: Subscription }
  | { kind: "not_running"; subscription: Subscription }
  | { kind: "unknown_subscription" };

const reportedStates: readonly string[] = ["canceled", "active", "failed"];

/** What {@linkcode Subscriptions} uses of the tenant's payment parts. */
export type SubscriptionsParts = Pick<
  PaymentParts,
  "db" | "api" | "orders" | "paymentRecords" | "subscriptionRecords" | "logger"
>;

/**
 * The users' subscriptions of one tenant; see the module doc.
 *
 * @example
 * ```ts ignore
 * const subscriptions = new Subscriptions(parts);
 * for (const s of await subscriptions.list(7)) console.log(s.productId, s.state);
 * ```
 */
export class Subscriptions {
  readonly #parts: SubscriptionsParts;

  constructor(parts: SubscriptionsParts) {
    this.#parts = parts;
  }

  /**
   * Every subscription of the user, the one running longest first.
   *
   * @example
   * ```ts ignore
   * for (const s of await subscriptions.list(7)) console.log(s.productId, s.state);
   * ```
   */
  list(userId: number): Promise<Subscription[]> {
    return this.#parts.subscriptionRecords.listForUser(this.#parts.db, userId);
  }

  /**
   * Switches the renewal of the user's subscription off (`canceled: true`) or on: tells
   * Telegram (`editUserStarSubscription` with the subscription's first charge id, which names
   * it), then records it. Only a running subscription can switch; an API error throws and
   * changes nothing here.
   *
   * @example
   * ```ts ignore
   * const change = await subscriptions.setRenewal(7, "monthly", true);
   * ```
   */
  async setRenewal(userId: number, productId: string, canceled: boolean): Promise<RenewalChange> {
    const { db, subscriptionRecords, api } = this.#parts;
    const current = await subscriptionRecords.get(db, userId, productId);
    if (current === undefined) return { kind: "unknown_subscription" };
    if (current.state !== "active" && current.state !== "canceled") {
      return { kind: "not_running", subscription: current };
    }
    await api.editUserStarSubscription(userId, current.firstChargeId, canceled);
    const subscription = await db.transaction((tx) =>
      subscriptionRecords.setRenewalCanceled(tx, userId, productId, canceled)
    );
    return { kind: canceled ? "canceled" : "resumed", subscription };
  }

  /**
   * Applies a `subscription` update in one transaction; see the module doc. A payload of no
   * subscription of this user gives `unknown_subscription` (and a warning), a state not known
   * yet `unknown_state`. Storage errors propagate and roll everything back, so the update can
   * be re-run.
   *
   * @example
   * ```ts ignore
   * const outcome = await subscriptions.applyUpdate({
   *   user: { id: 7, is_bot: false, first_name: "Ann" },
   *   invoice_payload: "Zb3k…",
   *   state: "canceled",
   * });
   * if (outcome.kind === "updated") console.log(outcome.subscription.state); // "canceled"
   * ```
   */
  async applyUpdate(change: BotSubscriptionUpdated): Promise<SubscriptionChangeOutcome> {
    const { db, orders, paymentRecords, subscriptionRecords, logger } = this.#parts;
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
    return await db.transaction(async (tx): Promise<SubscriptionChangeOutcome> => {
      const unknown = (why: string, fields: Record<string, unknown>) => {
        logger.warn(
          `Subscription update ({state}) from user {userId} for payload {payload} ignored: ${why}.`,
          { state: reported, userId, payload: JSON.stringify(payload), ...fields },
        );
        return { kind: "unknown_subscription" } as const;
      };
      const order = await orders.get(tx, payload);
      if (order === undefined) return unknown("no order has this payload", {});
      if (order.userId !== userId) {
        return unknown("the order belongs to user {owner}", { owner: order.userId });
      }
      const current = await subscriptionRecords.get(tx, userId, order.productId);
      if (current === undefined) {
        return unknown("the user has no subscription to {productId}", {
          productId: order.productId,
        });
      }
      const started = await paymentRecords.get(tx, current.firstChargeId);
      if (started?.orderId !== order.orderId) {
        return unknown(
          "the subscription to {productId} was started by another invoice (charge {chargeId})",
          { productId: order.productId, chargeId: current.firstChargeId },
        );
      }
      const applied = await subscriptionRecords.applyReported(tx, current, reported);
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
}
