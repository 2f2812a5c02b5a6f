/**
 * What the parts of a tenant's payment service share: the tenant's settings, its database and
 * stores, its outbox, its texts, and a few helpers to word and queue messages. Built once by
 * `PaymentService` and handed to `payment_receive.ts` and `payment_refunds.ts`.
 *
 * @example
 * ```ts ignore
 * import { createPaymentContext } from "./context.ts";
 * const ctx = createPaymentContext({ tenant, db, clock, ledger, outbox, api, texts });
 * await ctx.db.transaction((tx) => ctx.orders.expireDue(tx));
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
import { Subscriptions } from "../stores/subscriptions.ts";

/** What a tenant gives its payment service. */
export interface PaymentServiceOptions {
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
 * The shared state of one tenant's payment service: what the tenant gave it, with the logger's
 * default filled in, plus the tenant's stores.
 *
 * @example
 * ```ts ignore
 * const ctx: PaymentContext = createPaymentContext(options);
 * await ctx.db.transaction((tx) => ctx.orders.expireDue(tx));
 * ```
 */
export interface PaymentContext extends Omit<PaymentServiceOptions, "onCommitted"> {
  logger: Logger;
  orders: Orders;
  subscriptions: Subscriptions;
  payments: PaymentRecords;
  users: UserState;
  /** Tells the tenant that outbox rows were committed; never throws. */
  committed(): void;
}

/**
 * Builds the context: the stores of the tenant, and the defaults for the optional options.
 *
 * @example
 * ```ts ignore
 * const ctx = createPaymentContext({ tenant, db, clock, ledger, outbox, api: bot.api, texts });
 * ```
 */
export function createPaymentContext(options: PaymentServiceOptions): PaymentContext {
  const { tenant, clock } = options;
  const { logger } = options;
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
    subscriptions: new Subscriptions(tenant.id, clock),
    payments: new PaymentRecords(tenant.id, clock),
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

/**
 * The configured product with this id, or `undefined` (never existed, or removed since).
 *
 * @example
 * ```ts ignore
 * const product = findProduct(tenant, order.productId);
 * ```
 */
export function findProduct(tenant: TenantConfig, productId: string): Product | undefined {
  return tenant.products.find((product) => product.id === productId);
}

/**
 * A moment as people read it in a receipt: `2025-01-31 12:00 UTC`. UTC because the bot does
 * not know the user's time zone, and saying which zone beats silently using the server's.
 *
 * @example
 * ```ts
 * import { formatMoment } from "./context.ts";
 * formatMoment(Date.UTC(2025, 0, 31, 12, 0)); // "2025-01-31 12:00 UTC"
 * ```
 */
export function formatMoment(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * The outbox call that sends `text` to `chatId`, with an inline keyboard when given.
 *
 * @example
 * ```ts
 * import { messageCall } from "./context.ts";
 * messageCall(7, "Hi"); // { method: "sendMessage", params: { chat_id: 7, text: "Hi" } }
 * ```
 */
export function messageCall(
  chatId: number,
  text: string,
  replyMarkup?: InlineKeyboardMarkup,
): OutboxCall {
  const params: Record<string, unknown> = { chat_id: chatId, text };
  if (replyMarkup !== undefined) params.reply_markup = replyMarkup;
  return { method: "sendMessage", params };
}
