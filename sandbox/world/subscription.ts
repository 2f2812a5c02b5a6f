/**
 * Star subscriptions of one bot and who may renew them. The Bot API lets the bot cancel
 * extension (`editUserStarSubscription(is_canceled: true)`) and later *allow* the user to
 * re-enable it (`is_canceled: false`); the user can cancel and re-enable their own. A
 * subscription renews at its expiration only while active; otherwise, or when the wallet is
 * short, it ends.
 *
 * The bot hears of the user's side through `subscription` updates
 * ({@linkcode subscriptionUpdate}): `canceled` when the user turns renewal off, `active` when
 * they turn it back on, `failed` when a renewal cannot be paid. The bot's own
 * `editUserStarSubscription` calls produce none: the bot already knows what it did, and the
 * update's documentation names only the user's actions and failed payments.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SubscriptionBook } from "./subscription.ts";
 *
 * const book = new SubscriptionBook();
 * const month = 2_592_000;
 * const vip = book.open({ userId: 7, amount: 100, payload: "vip", period: month, expiresAt: 1 });
 * book.addCharge(vip, "stx1");
 * assert.equal(book.byCharge("stx1"), vip);
 *
 * vip.cancelByBot();
 * assert.equal(vip.renews, false);
 * assert.throws(() => vip.reenableByUser(), /the bot must allow re-enabling first/);
 * vip.allowReenable();
 * assert.equal(vip.reenableByUser(), true);
 * assert.equal(vip.renews, true);
 * assert.equal(vip.cancelByUser(), true);
 * assert.equal(vip.cancelByUser(), false); // a second tap changes nothing
 * ```
 * @module
 */

import type { User } from "grammy/types";
import type { LongTimer } from "./long_timer.ts";
import type { UpdateContent } from "./update_queue.ts";

/** Who last changed whether the subscription renews. */
export type SubscriptionState =
  | "active"
  | "canceled_by_user"
  | "canceled_by_bot"
  /** The bot lifted its cancellation; the user may re-enable. */
  | "reenable_allowed";

/** How a subscription is set up at its first payment. */
export interface SubscriptionTerms {
  userId: number;
  amount: number;
  payload: string;
  /** Seconds. */
  period: number;
  /** Unix time the current period ends. */
  expiresAt: number;
}

/** One subscription; see the module documentation. */
export class Subscription {
  readonly id: number;
  readonly terms: Readonly<Omit<SubscriptionTerms, "expiresAt">>;
  expiresAt: number;
  state: SubscriptionState = "active";
  /** Why it ended, once it has. */
  ended: "expired" | "payment_failed" | undefined;
  /** Every charge id it was paid with, first payment first. */
  readonly chargeIds: string[] = [];
  renewalTimer: LongTimer | undefined;

  constructor(id: number, terms: SubscriptionTerms) {
    const { expiresAt, ...rest } = terms;
    this.id = id;
    this.terms = rest;
    this.expiresAt = expiresAt;
  }

  /** Whether the next period will be charged. */
  get renews(): boolean {
    return this.ended === undefined && this.state === "active";
  }

  /** editUserStarSubscription(is_canceled: true). */
  cancelByBot(): void {
    this.state = "canceled_by_bot";
  }

  /** editUserStarSubscription(is_canceled: false): lifts the bot's own cancellation only. */
  allowReenable(): void {
    if (this.state === "canceled_by_bot") this.state = "reenable_allowed";
  }

  /**
   * The user turns renewal off in their client. Returns whether that changed anything: only a
   * renewing subscription can be canceled, so a second tap (or one after the bot's own
   * cancellation) is a no-op the bot is not told about.
   */
  cancelByUser(): boolean {
    if (this.state !== "active") return false;
    this.state = "canceled_by_user";
    return true;
  }

  /**
   * The user turns renewal back on; refused while the bot's cancellation stands. Returns
   * whether that changed anything (false when it already renews).
   */
  reenableByUser(): boolean {
    if (this.state === "canceled_by_bot") {
      throw new Error(
        `subscription ${this.id} was canceled by the bot; the bot must allow re-enabling first`,
      );
    }
    if (this.state === "active") return false;
    this.state = "active";
    return true;
  }
}

/**
 * The `subscription` update that tells the bot its subscriber's subscription changed: the
 * user canceled it (`canceled`), re-enabled it (`active`), or a renewal could not be paid
 * (`failed`). It names the subscription by its invoice payload, as Telegram does.
 */
export function subscriptionUpdate(
  subscription: Subscription,
  user: User,
  state: "canceled" | "active" | "failed",
): UpdateContent {
  return { subscription: { user, invoice_payload: subscription.terms.payload, state } };
}

/** A bot's subscriptions, findable by any of their charge ids. */
export class SubscriptionBook {
  #nextId = 1;
  readonly #byCharge = new Map<string, Subscription>();
  readonly #all: Subscription[] = [];

  /** Records a new subscription; its charges are added with {@linkcode addCharge}. */
  open(terms: SubscriptionTerms): Subscription {
    const subscription = new Subscription(this.#nextId++, terms);
    this.#all.push(subscription);
    return subscription;
  }

  /** Links a charge (first payment or renewal) to its subscription. */
  addCharge(subscription: Subscription, chargeId: string): void {
    subscription.chargeIds.push(chargeId);
    this.#byCharge.set(chargeId, subscription);
  }

  /** The subscription a charge belongs to. */
  byCharge(chargeId: string): Subscription | undefined {
    return this.#byCharge.get(chargeId);
  }

  /** Cancels every pending renewal timer (sandbox shutdown). */
  stopTimers(): void {
    for (const subscription of this.#all) subscription.renewalTimer?.cancel();
  }
}
