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
 * @example Renewal switched off by the bot, on again by the user
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { paymentServicesOptions } from "../../tests/support/payment_world.ts";
 * import { parseTestTenant } from "../../tests/support/tenant_configs.ts";
 * import { MONTHLY } from "../../tests/support/shop_products.ts";
 * import type { PaymentsApi } from "./bot_api.ts";
 * import { createPaymentServices } from "./services.ts";
 *
 * const tenant = parseTestTenant({ products: [MONTHLY] }, { token: "123:abc" });
 * const db = await openDatabase("sqlite::memory:");
 * const calls: string[] = []; // the Bot API calls made, by method
 * const answer = <T>(method: string, result: T) => () => {
 *   calls.push(method);
 *   return Promise.resolve(result);
 * };
 * const api: PaymentsApi = {
 *   sendInvoice: answer("sendInvoice", { message_id: 1 }),
 *   createInvoiceLink: answer("createInvoiceLink", "https://t.me/$link"),
 *   sendMessage: answer("sendMessage", { message_id: 2 }),
 *   refundStarPayment: answer("refundStarPayment", true as const),
 *   editUserStarSubscription: answer("editUserStarSubscription", true as const),
 * };
 * const payments = createPaymentServices(
 *   paymentServicesOptions({ tenant, db, clock: new ManualClock(0), api }),
 * );
 *
 * const offer = await payments.checkout.offer(7, 7, "monthly", "en");
 * assert(offer.kind === "subscription_link");
 * const user = { id: 7, is_bot: false, first_name: "Ann" };
 * const payload = offer.order.orderId;
 * await payments.receiver.receive({
 *   from: user,
 *   chat: { id: 7 },
 *   successful_payment: {
 *     currency: "XTR",
 *     total_amount: 150,
 *     invoice_payload: payload,
 *     telegram_payment_charge_id: "ch_1",
 *     provider_payment_charge_id: "",
 *     is_recurring: true,
 *     is_first_recurring: true,
 *     subscription_expiration_date: 2_592_000,
 *   },
 * });
 *
 * const change = await payments.subscriptions.setRenewal(7, "monthly", true);
 * assert(change.kind === "canceled" && change.subscription.state === "canceled");
 * assert.equal(calls.at(-1), "editUserStarSubscription");
 * // The user turns renewal back on in Telegram, which sends a `subscription` update.
 * const reported = { user, invoice_payload: payload, state: "active" as const };
 * const outcome = await payments.subscriptions.applyUpdate(reported);
 * assert(outcome.kind === "updated" && outcome.changed);
 * const [monthly] = await payments.subscriptions.list(7);
 * assert.equal(monthly.state, "active");
 * assert.equal(monthly.expiresAt, 2_592_000_000);
 * await db.close();
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

/** The users' subscriptions of one tenant; see the module doc. */
export class Subscriptions {
  readonly #parts: SubscriptionsParts;

  constructor(parts: SubscriptionsParts) {
    this.#parts = parts;
  }

  /** Every subscription of the user, the one running longest first. */
  list(userId: number): Promise<Subscription[]> {
    return this.#parts.subscriptionRecords.listForUser(this.#parts.db, userId);
  }

  /** Page `page` (from 1) of every subscriber, `size` a page, the latest to end first. */
  subscribers(
    page: number,
    size: number,
  ): Promise<{ subscriptions: Subscription[]; total: number }> {
    return this.#parts.subscriptionRecords.page(this.#parts.db, (page - 1) * size, size);
  }

  /**
   * Switches the renewal of the user's subscription off (`canceled: true`) or on: tells
   * Telegram (`editUserStarSubscription` with the subscription's first charge id, which names
   * it), then records it. Only a running subscription can switch; an API error throws and
   * changes nothing here.
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
