/**
 * The life of an order (one invoice we issued), as an explicit transition table, and the pure
 * pre-checkout check. Nothing here touches storage or the network, so every edge can be tested
 * on its own and the stores (`orders.ts`) only persist what this table allows.
 *
 * ```text
 * issued   --approve--> approved   (pre-checkout accepted)
 * approved --approve--> approved   (the user retries a failed payment)
 * issued, approved, expired --pay--> paid   (charge id recorded)
 * paid     --refund-->  refunded
 * issued, approved --expire--> expired
 * ```
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statesAccepting, transition } from "./order_machine.ts";
 *
 * assert.deepEqual(transition("issued", "approve"), { ok: true, next: "approved" });
 * // A payment that arrives after the expiry sweep is still money received.
 * assert.deepEqual(transition("expired", "pay"), { ok: true, next: "paid" });
 * assert.deepEqual(transition("expired", "approve"), {
 *   ok: false,
 *   reason: 'an order in state "expired" cannot take event "approve" (it accepts: pay)',
 * });
 * assert.deepEqual(statesAccepting("expire"), ["issued", "approved"]);
 * ```
 * @module
 */

/** Where an order is in its life. */
export type OrderState = "issued" | "approved" | "paid" | "refunded" | "expired";

/** What can happen to an order. */
export type OrderEvent = "approve" | "pay" | "refund" | "expire";

/** Every state, in the order of an order's life. */
export const orderStates: readonly OrderState[] = [
  "issued",
  "approved",
  "paid",
  "refunded",
  "expired",
];

/** Every event. */
export const orderEvents: readonly OrderEvent[] = ["approve", "pay", "refund", "expire"];

/**
 * The transition table: `transitions[state][event]` is the next state, or absent when the event
 * is refused in that state. The edges that are not obvious:
 *
 * - `approved --approve--> approved`: a user whose payment failed (card declined, not enough
 *   Stars) retries the same invoice, and Telegram asks again before charging.
 * - `issued --pay--> paid`: Telegram only charges after we approved the pre-checkout query, so
 *   a payment for an order still `issued` means the approval was lost (a crash between answering
 *   and committing). The charge is real money, so it is honoured.
 * - `expired --pay--> paid`: pre-checkout refuses expired orders, so a payment for one was
 *   approved before it expired and arrived after the expiry sweep. Honoured for the same reason.
 * - `paid --pay-->` is refused: a second charge for one order is a double payment or a
 *   subscription renewal, which the payment service tells apart and handles without touching the
 *   order.
 * - `refunded` and `paid --expire-->`: money that was paid is settled only by a refund, and a
 *   refunded order is final.
 */
export const transitions: Readonly<
  Record<OrderState, Readonly<Partial<Record<OrderEvent, OrderState>>>>
> = {
  issued: { approve: "approved", pay: "paid", expire: "expired" },
  approved: { approve: "approved", pay: "paid", expire: "expired" },
  paid: { refund: "refunded" },
  refunded: {},
  expired: { pay: "paid" },
};

/** The outcome of {@linkcode transition}. */
export type TransitionResult =
  | { ok: true; next: OrderState }
  | { ok: false; reason: string };

/**
 * Looks `event` up in {@linkcode transitions} for an order in `state`.
 */
export function transition(state: OrderState, event: OrderEvent): TransitionResult {
  const row = transitions[state];
  const next = row[event];
  if (next !== undefined) return { ok: true, next };
  const accepted = Object.keys(row);
  return {
    ok: false,
    reason: `an order in state "${state}" cannot take event "${event}" (it accepts: ${
      accepted.length === 0 ? "nothing, it is final" : accepted.join(", ")
    })`,
  };
}

/**
 * The states in which `event` is accepted; lets the stores write set-based updates (such as
 * the expiry sweep) from the table instead of repeating it.
 */
export function statesAccepting(event: OrderEvent): OrderState[] {
  return orderStates.filter((state) => transitions[state][event] !== undefined);
}

/** Why a pre-checkout query is refused; each maps to the text key `precheckout.<refusal>`. */
export type PreCheckoutRefusal =
  | "unknown_order"
  | "expired"
  | "wrong_currency"
  | "wrong_amount"
  | "wrong_payer"
  | "product_disabled"
  | "already_paid";

/** The facts of an order that the pre-checkout check needs. */
export interface PreCheckoutOrder {
  userId: number;
  amount: number;
  state: OrderState;
  expiresAt: number;
}

/** What {@linkcode checkPreCheckout} looks at. */
export interface PreCheckoutInput {
  /** The order named by the invoice payload; absent when no order has that id. */
  order?: PreCheckoutOrder;
  /** The order's product as configured now; absent when it was removed from the config. */
  product?: { enabled: boolean };
  /** Whether the tenant sells for Stars at all (`stars.enabled`); a switched-off shop refuses. */
  starsEnabled: boolean;
  /** The query as Telegram sent it. */
  query: { currency: string; totalAmount: number; fromId: number };
  /** The current time, in milliseconds. */
  now: number;
}

/** The outcome of {@linkcode checkPreCheckout}. */
export type PreCheckoutCheck = { ok: true } | { ok: false; refusal: PreCheckoutRefusal };

/**
 * Decides whether Telegram may charge the user for an order. The checks run in this order, and
 * the first that fails names the refusal:
 *
 * 1. `unknown_order`: no such order (a forged or foreign payload).
 * 2. `wrong_payer`: the order belongs to someone else. Checked before anything about the order's
 *    state, so a stranger learns nothing about another user's order.
 * 3. `already_paid`: the order is `paid` or `refunded`; a second charge would be a double payment.
 * 4. `expired`: the order is `expired`, or `now` has reached its expiry and the sweep has not run.
 * 5. `wrong_currency`: not Telegram Stars (`XTR`).
 * 6. `wrong_amount`: the total differs from the order's amount.
 * 7. `product_disabled`: the product was disabled or removed, or Stars sales were switched off,
 *    after the invoice was issued. Checked last: it is the only refusal about the shop rather than
 *    the invoice, and the invoice itself being wrong is the more useful thing to tell the user.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPreCheckout } from "./order_machine.ts";
 *
 * const order = { userId: 7, amount: 50, state: "issued" as const, expiresAt: 10_000 };
 * const query = { currency: "XTR", totalAmount: 50, fromId: 7 };
 * const input = { order, product: { enabled: true }, starsEnabled: true, query, now: 1 };
 * assert.deepEqual(checkPreCheckout(input), { ok: true });
 * assert.deepEqual(checkPreCheckout({ ...input, now: 10_000 }), { ok: false, refusal: "expired" });
 * // A stranger learns only that the order is not theirs, not that it expired.
 * assert.deepEqual(
 *   checkPreCheckout({ ...input, now: 10_000, query: { ...query, fromId: 8 } }),
 *   { ok: false, refusal: "wrong_payer" },
 * );
 * ```
 */
export function checkPreCheckout(input: PreCheckoutInput): PreCheckoutCheck {
  const { order, product, query, now } = input;
  const refuse = (refusal: PreCheckoutRefusal): PreCheckoutCheck => ({ ok: false, refusal });
  if (order === undefined) return refuse("unknown_order");
  if (order.userId !== query.fromId) return refuse("wrong_payer");
  if (order.state === "paid" || order.state === "refunded") return refuse("already_paid");
  if (order.state === "expired" || now >= order.expiresAt) return refuse("expired");
  if (query.currency !== "XTR") return refuse("wrong_currency");
  if (query.totalAmount !== order.amount) return refuse("wrong_amount");
  if (product === undefined || !product.enabled || !input.starsEnabled) {
    return refuse("product_disabled");
  }
  return { ok: true };
}
