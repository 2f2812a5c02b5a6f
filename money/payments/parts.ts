/**
 * What the payment services of one tenant share, built once by {@linkcode createPaymentParts}:
 * the tenant's settings, its database, its stores and outbox, the Bot API calls a user waits
 * for, its texts and logger, and `committed()`, which wakes the tenant's outbox sender. Each
 * service takes only the parts it uses (a `Pick` of {@linkcode PaymentParts} in its
 * constructor), so what it depends on reads off its signature. Also the small helpers the
 * services share: finding a product, writing a moment, queueing a message.
 *
 * @example Moments and messages as the receipts write them
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatMoment, messageCall } from "./parts.ts";
 *
 * assert.equal(formatMoment(Date.UTC(2025, 0, 31, 12, 0)), "2025-01-31 12:00 UTC");
 * assert.deepEqual(messageCall(7, "Hi"), {
 *   method: "sendMessage",
 *   params: { chat_id: 7, text: "Hi" },
 * });
 * ```
 * @module
 */
import type { InlineKeyboardMarkup } from "grammy/types";
import type { Database, Logger, ReadBotApiFailure, Redact, Texts } from "../ports.ts";
import type { Product, TenantConfig } from "../../config/tenant_schema.ts";
import type { Clock } from "../../actors/kernel/clock.ts";
import type { Ledger } from "../stores/ledger.ts";
import type { Outbox, OutboxCall } from "../delivery/outbox.ts";
import { Orders } from "../stores/orders.ts";
import type { PaymentsApi } from "./bot_api.ts";
import { PaymentRecords } from "../stores/payment_records.ts";
import { UserState } from "../stores/user_state.ts";
import { SubscriptionRecords } from "../stores/subscription_records.ts";

/** What a tenant gives its payment services. */
export interface PaymentPartsOptions {
  tenant: TenantConfig;
  db: Database;
  clock: Clock;
  /** The tenant's ledger (same tenant id). */
  ledger: Ledger;
  /** The tenant's outbox (same tenant id). */
  outbox: Outbox;
  /** The synchronous Bot API calls; the tenant passes `bot.api`. */
  api: PaymentsApi;
  texts: Texts;
  /** The tenant's logger, sub-category `payments`. */
  logger: Logger;
  /** Removes bot tokens from error texts shown to admins. */
  redact: Redact;
  /** Reads a failed Bot API call (a refund Telegram refused, or one it already made). */
  readFailure: ReadBotApiFailure;
  /**
   * Called after a transaction that queued outbox rows has committed; the tenant kicks its
   * outbox sender here. Before the commit the sender would find nothing.
   */
  onCommitted?: () => void;
}

/**
 * The shared parts of one tenant's payment services: what the tenant gave them, plus the
 * tenant's stores.
 */
export interface PaymentParts extends Omit<PaymentPartsOptions, "onCommitted"> {
  orders: Orders;
  subscriptionRecords: SubscriptionRecords;
  paymentRecords: PaymentRecords;
  users: UserState;
  /** Tells the tenant that outbox rows were committed; never throws. */
  committed(): void;
}

/** Builds the parts: the stores of the tenant, and `committed()` over `onCommitted`. */
export function createPaymentParts(options: PaymentPartsOptions): PaymentParts {
  const { tenant, clock, logger } = options;
  return {
    tenant,
    db: options.db,
    clock,
    ledger: options.ledger,
    outbox: options.outbox,
    api: options.api,
    texts: options.texts,
    logger,
    redact: options.redact,
    readFailure: options.readFailure,
    orders: new Orders(tenant.id, clock),
    subscriptionRecords: new SubscriptionRecords(tenant.id, clock),
    paymentRecords: new PaymentRecords(tenant.id, clock),
    users: new UserState(tenant.id),
    committed() {
      try {
        options.onCommitted?.();
      } catch (error) {
        // The rows are committed and the sender finds them at its next pass anyway.
        logger.error("Kicking the outbox sender failed: {error}", { error: String(error) });
      }
    },
  };
}

/** The configured product with this id, or `undefined` (never existed, or removed since). */
export function findProduct(tenant: TenantConfig, productId: string): Product | undefined {
  return tenant.products.find((product) => product.id === productId);
}

/**
 * A moment as people read it in a receipt: `2025-01-31 12:00 UTC`. UTC because the bot does
 * not know the user's time zone, and saying which zone beats silently using the server's.
 */
export function formatMoment(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The outbox call that sends `text` to `chatId`, with an inline keyboard when given. */
export function messageCall(
  chatId: number,
  text: string,
  replyMarkup?: InlineKeyboardMarkup,
): OutboxCall {
  const params: Record<string, unknown> = { chat_id: chatId, text };
  if (replyMarkup !== undefined) params.reply_markup = replyMarkup;
  return { method: "sendMessage", params };
}
