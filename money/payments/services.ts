/**
 * The payment services of one tenant, built together over one set of parts (`parts.ts`):
 * selling products for Telegram Stars and keeping the users' credits. Callers use the service
 * they need:
 *
 * - {@linkcode Checkout} (`checkout`): offers a product (an invoice or a subscription link),
 *   answers pre-checkout queries, finds the order a user comes back to;
 * - {@linkcode PaymentReceiver} (`receiver`): applies a `successful_payment` exactly once, and a
 *   payment reconciliation found whose update was lost;
 * - {@linkcode Refunds} (`refunds`): an admin's refund, a refund Telegram reports, a double
 *   payment's refund the outbox sent, a refund of a payment never recorded;
 * - {@linkcode Credits} (`credits`): a user's credit balance, history and spending;
 * - {@linkcode Subscriptions} (`subscriptions`): a user's subscriptions, their renewal switch,
 *   and Telegram's `subscription` updates.
 *
 * The tenant drives two more things itself: {@linkcode PaymentServices.expireDue}, its periodic
 * housekeeping, and {@linkcode PaymentServices.onOutboxSent}, its outbox sender's hook.
 *
 * Calls the user waits for (an invoice, a subscription link, a refund an admin asked for) go to
 * the Bot API directly; everything else that must reach Telegram (receipts, deliveries,
 * notices, a double payment's refund) is written to the outbox in the transaction that causes
 * it, and `onCommitted` tells the tenant to send it. `onMoneyMoved` tells it that the bot's own
 * Stars changed (a payment, a renewal, a refund), so a cached Stars balance can be dropped.
 *
 * @example A purchase, from the offer to the credits
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { tenantLogger } from "../../adapters/observability/logging.ts";
 * import { redactTokens } from "../../adapters/observability/redact.ts";
 * import { readBotApiFailure } from "../../adapters/telegram/bot_api_failure.ts";
 * import { Texts } from "../../adapters/telegram/texts.ts";
 * import { parseTestTenant } from "../../tests/support/tenant_configs.ts";
 * import { CREDITS_100 } from "../../tests/support/shop_products.ts";
 * import { Outbox } from "../delivery/outbox.ts";
 * import { Ledger } from "../stores/ledger.ts";
 * import type { PaymentsApi } from "./bot_api.ts";
 * import { createPaymentServices } from "./services.ts";
 *
 * const tenant = parseTestTenant({ products: [CREDITS_100] }, { token: "123:abc" });
 * const db = await openDatabase("sqlite::memory:");
 * const clock = new ManualClock(0);
 * // The tenant passes `bot.api`; this stand-in answers like Telegram would.
 * const api: PaymentsApi = {
 *   sendInvoice: () => Promise.resolve({ message_id: 1 }),
 *   createInvoiceLink: () => Promise.resolve("https://t.me/$link"),
 *   sendMessage: () => Promise.resolve({ message_id: 2 }),
 *   refundStarPayment: () => Promise.resolve(true),
 *   editUserStarSubscription: () => Promise.resolve(true),
 * };
 * let kicks = 0;
 * const moved: string[] = [];
 * const payments = createPaymentServices({
 *   tenant,
 *   db,
 *   clock,
 *   ledger: new Ledger(tenant.id, clock),
 *   outbox: new Outbox(tenant.id, clock, redactTokens),
 *   api,
 *   texts: new Texts(tenant.texts, tenant.locale),
 *   logger: tenantLogger(tenant.id).getChild("payments"),
 *   redact: redactTokens,
 *   readFailure: readBotApiFailure,
 *   onCommitted: () => kicks++, // the tenant wakes its outbox sender here
 *   onMoneyMoved: (movement) => moved.push(movement.kind), // and drops its cached Stars balance
 * });
 *
 * const offer = await payments.checkout.offer(7, 7, "credits_100", "en");
 * assert(offer.kind === "invoice");
 * const from = { id: 7, is_bot: false, first_name: "Ann" };
 * const payload = offer.order.orderId;
 * const query = { id: "q1", from, currency: "XTR", total_amount: 50, invoice_payload: payload };
 * assert.deepEqual(await payments.checkout.preCheckout(query), { ok: true });
 *
 * const message = {
 *   from,
 *   chat: { id: 7 },
 *   successful_payment: {
 *     currency: "XTR",
 *     total_amount: 50,
 *     invoice_payload: payload,
 *     telegram_payment_charge_id: "ch_1",
 *     provider_payment_charge_id: "",
 *   },
 * };
 * assert.equal((await payments.receiver.receive(message)).kind, "credited");
 * // The same update handled again (after a crash, say) changes nothing.
 * assert.equal((await payments.receiver.receive(message)).kind, "already_applied");
 * assert.equal(await payments.credits.balance(7), 100);
 * assert.equal(kicks, 1); // the receipt is in the outbox
 * assert.deepEqual(moved, ["payment"]);
 * await db.close();
 * ```
 * @module
 */
import type { OutboxItem } from "../delivery/outbox.ts";
import { Checkout } from "./checkout.ts";
import { Credits } from "./credits.ts";
import { createPaymentParts, type PaymentPartsOptions } from "./parts.ts";
import { type AppliedPayment, PaymentReceiver } from "./receive.ts";
import { Purchases } from "./purchases.ts";
import { Refunds } from "./refunds.ts";
import { Subscriptions } from "./subscriptions.ts";
import { SupportDesk } from "../support/support_desk.ts";

/**
 * What a tenant gives its payment services: the shared parts (`parts.ts`) and the hook for
 * Stars movements.
 */
export interface PaymentServicesOptions extends PaymentPartsOptions {
  /**
   * Called after the bot's own Stars changed and the change is committed: a payment or renewal
   * applied (whatever it granted, the Stars arrived), a refund applied, or a refund the outbox
   * sent. The tenant drops its cached Stars balance and transactions here. Never for a repeat
   * that changed nothing.
   */
  onMoneyMoved?: (movement: StarsMovement) => void;
}

/**
 * A change of the bot's own Stars, as reported to `onMoneyMoved`: a payment applied (with what
 * it did), a refund applied (with the credits it took back), or a refund call the outbox made.
 */
export type StarsMovement =
  /** `stars`: the Stars the payment brought. */
  | { kind: "payment"; outcome: AppliedPayment; stars: number }
  /** `stars`: the Stars given back. */
  | { kind: "refund"; chargeId: string; credits: number; stars: number }
  /** `stars`: the Stars given back when this call applied the refund, else counted already. */
  | { kind: "refund_sent"; chargeId: string; stars?: number };

/** The payment services of one tenant; see the module doc. */
export interface PaymentServices {
  readonly checkout: Checkout;
  readonly receiver: PaymentReceiver;
  readonly refunds: Refunds;
  readonly credits: Credits;
  readonly subscriptions: Subscriptions;
  /** What buyers bought: their lists, one charge, an item's content again. */
  readonly purchases: Purchases;
  /** Payment support: tickets, buyers' messages to the admins and their answers. */
  readonly support: SupportDesk;
  /**
   * Expires the orders and subscriptions whose time has come; the tenant calls it
   * periodically. Returns how many of each.
   */
  expireDue(): Promise<{ orders: number; subscriptions: number }>;
  /**
   * The outbox sender's `onSent` hook ({@linkcode Refunds.onOutboxSent}): applies the refund of
   * a double payment once its `refundStarPayment` went through. A bound function.
   */
  readonly onOutboxSent: (item: Pick<OutboxItem, "id" | "method" | "params">) => Promise<void>;
}

/** Builds the payment services of one tenant over one set of parts. */
export function createPaymentServices(options: PaymentServicesOptions): PaymentServices {
  const parts = createPaymentParts(options);
  /** Tells the tenant that the bot's Stars changed; never throws (see `onMoneyMoved`). */
  const moneyMoved = (movement: StarsMovement): void => {
    try {
      options.onMoneyMoved?.(movement);
    } catch (error) {
      // The change is committed; a stale cached balance only lives until its TTL.
      parts.logger.error("Reporting a Stars movement failed: {error}", { error: String(error) });
    }
  };
  const refunds = new Refunds({
    ...parts,
    onRefunded: ({ chargeId, credits, stars }) =>
      moneyMoved({ kind: "refund", chargeId, credits, stars }),
    onRefundSent: (chargeId, stars) => moneyMoved({ kind: "refund_sent", chargeId, stars }),
  });
  return {
    checkout: new Checkout(parts),
    receiver: new PaymentReceiver({
      ...parts,
      onApplied: (outcome, stars) => moneyMoved({ kind: "payment", outcome, stars }),
    }),
    refunds,
    credits: new Credits(parts),
    subscriptions: new Subscriptions(parts),
    purchases: new Purchases(parts),
    support: new SupportDesk(parts),
    expireDue() {
      const { db, orders, subscriptionRecords, clock } = parts;
      const now = clock.now();
      return db.transaction(async (tx) => ({
        orders: await orders.expireDue(tx, now),
        subscriptions: await subscriptionRecords.expireDue(tx, now),
      }));
    },
    onOutboxSent: refunds.onOutboxSent,
  };
}
