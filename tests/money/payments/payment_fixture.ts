/**
 * A tenant's payment services over an in-memory database, a manual clock and a fake Bot API
 * that records every call, for the payment tests.
 *
 * @example
 * ```ts ignore
 * const f = await paymentFixture();
 * const offer = await f.payments.checkout.offer(USER, USER, "credits_100", "en");
 * await f.db.close();
 * ```
 * @module
 */
import { GrammyError } from "grammy";
import type { PreCheckoutQuery } from "grammy/types";
import type { Database } from "../../../money/ports.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import type { TenantConfig } from "../../../config/tenant_schema.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import type { Ledger } from "../../../money/stores/ledger.ts";
import type { Outbox } from "../../../money/delivery/outbox.ts";
import type { PaymentsApi } from "../../../money/payments/bot_api.ts";
import { Orders } from "../../../money/stores/orders.ts";
import type { OrderState } from "../../../money/payments/order_machine.ts";
import type { PaymentMessage, PaymentOutcome } from "../../../money/payments/receive.ts";
import {
  createPaymentServices,
  type PaymentServices,
  type PaymentServicesOptions,
} from "../../../money/payments/services.ts";
import { paymentServicesOptions } from "../../support/payment_world.ts";
import {
  CLUB,
  CREDITS_100,
  CREDITS_500,
  CREDITS_CHEAP_OFF,
  MONTHLY,
  RETIRED,
  WALLPAPERS,
} from "../../support/shop_products.ts";
import { parseTestTenant } from "../../support/tenant_configs.ts";

/** The buyer in most tests, and a second user. */
export const USER = 1001;
export const OTHER_USER = 2002;
/** The tenant's admins. */
export const ADMINS = [9001, 9002];
/** 2025-01-01 00:00 UTC. */
export const START = Date.UTC(2025, 0, 1);
/** One day in milliseconds, the unit of subscription periods. */
export const DAY = 86_400_000;

/**
 * The shop every test sells from: every kind of product, switched-off ones included;
 * `overrides` replaces top-level fields of the file.
 */
export function shopTenant(overrides: Record<string, unknown> = {}): TenantConfig {
  return parseTestTenant({
    admins: ADMINS,
    stars: { lowBalanceThreshold: 5, orderTtlSeconds: 600 },
    products: [CREDITS_100, CREDITS_500, CREDITS_CHEAP_OFF, WALLPAPERS, RETIRED, MONTHLY, CLUB],
    ...overrides,
  }, { token: "123:abc" });
}

/** One recorded Bot API call. */
export interface ApiCall {
  method: string;
  args: unknown[];
}

/** A Bot API that records calls; refunds and renewal switches can be made to fail. */
export class FakePaymentsApi implements PaymentsApi {
  readonly calls: ApiCall[] = [];
  /** Thrown by the next `refundStarPayment`, then cleared. */
  refundError: unknown;
  #nextMessageId = 100;

  // Typed by the interface, so a change to `PaymentsApi` shows up here at compile time.
  sendInvoice: PaymentsApi["sendInvoice"] = (
    chat_id,
    title,
    description,
    payload,
    currency,
    prices,
    other,
  ) => {
    this.calls.push({
      method: "sendInvoice",
      args: [chat_id, title, description, payload, currency, prices, other],
    });
    return Promise.resolve({ message_id: this.#nextMessageId++ });
  };

  createInvoiceLink: PaymentsApi["createInvoiceLink"] = (
    title,
    description,
    payload,
    provider_token,
    currency,
    prices,
    other,
  ) => {
    this.calls.push({
      method: "createInvoiceLink",
      args: [title, description, payload, provider_token, currency, prices, other],
    });
    return Promise.resolve(`https://t.me/$invoice-${payload}`);
  };

  sendMessage: PaymentsApi["sendMessage"] = (chat_id, text, other) => {
    this.calls.push({ method: "sendMessage", args: [chat_id, text, other] });
    return Promise.resolve({ message_id: this.#nextMessageId++ });
  };

  refundStarPayment: PaymentsApi["refundStarPayment"] = (user_id, telegram_payment_charge_id) => {
    this.calls.push({ method: "refundStarPayment", args: [user_id, telegram_payment_charge_id] });
    const error = this.refundError;
    this.refundError = undefined;
    return error === undefined ? Promise.resolve(true as const) : Promise.reject(error);
  };

  editUserStarSubscription: PaymentsApi["editUserStarSubscription"] = (
    user_id,
    telegram_payment_charge_id,
    is_canceled,
  ) => {
    this.calls.push({
      method: "editUserStarSubscription",
      args: [user_id, telegram_payment_charge_id, is_canceled],
    });
    return Promise.resolve(true as const);
  };

  /** The calls of one method. */
  of(method: string): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }
}

/** A GrammyError as grammY throws it for a failed Bot API call. */
export function apiError(method: string, code: number, description: string): GrammyError {
  return new GrammyError(
    `Call to '${method}' failed! (${code}: ${description})`,
    { ok: false, error_code: code, description },
    method,
    {},
  );
}

/** Everything a payment test needs. */
export interface PaymentFixture {
  db: Database;
  clock: ManualClock;
  tenant: TenantConfig;
  ledger: Ledger;
  outbox: Outbox;
  api: FakePaymentsApi;
  payments: PaymentServices;
  /** What `payments` were built from, less `onCommitted`: for second services on the same parts. */
  options: PaymentServicesOptions;
  /** How many times the services said outbox rows were committed. */
  kicks: { count: number };
}

/** Builds the services for `tenant` (default {@linkcode shopTenant}) at {@linkcode START}. */
export async function paymentFixture(tenant = shopTenant()): Promise<PaymentFixture> {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(START);
  const api = new FakePaymentsApi();
  const options = paymentServicesOptions({ tenant, db, clock, api });
  const kicks = { count: 0 };
  const payments = createPaymentServices({ ...options, onCommitted: () => kicks.count++ });
  const { ledger, outbox } = options;
  return { db, clock, tenant, ledger, outbox, api, payments, options, kicks };
}

/** A `successful_payment` message from `userId`. */
export function paymentMessage(options: {
  payload: string;
  chargeId: string;
  amount: number;
  userId?: number;
  languageCode?: string;
  currency?: string;
  recurring?: { first: boolean; expiresAt: number };
}): PaymentMessage {
  const userId = options.userId ?? USER;
  const message: PaymentMessage = {
    from: {
      id: userId,
      is_bot: false,
      first_name: "Ann",
      ...(options.languageCode !== undefined && { language_code: options.languageCode }),
    },
    chat: { id: userId },
    successful_payment: {
      currency: options.currency ?? "XTR",
      total_amount: options.amount,
      invoice_payload: options.payload,
      telegram_payment_charge_id: options.chargeId,
      provider_payment_charge_id: "",
    },
  };
  if (options.recurring) {
    message.successful_payment.is_recurring = true;
    if (options.recurring.first) message.successful_payment.is_first_recurring = true;
    message.successful_payment.subscription_expiration_date = Math.floor(
      options.recurring.expiresAt / 1_000,
    );
  }
  return message;
}

/** A pre-checkout query for `payload`. */
export function preCheckoutQuery(options: {
  payload: string;
  amount: number;
  userId?: number;
  currency?: string;
  languageCode?: string;
}): PreCheckoutQuery {
  return {
    id: "q1",
    from: {
      id: options.userId ?? USER,
      is_bot: false,
      first_name: "Ann",
      ...(options.languageCode !== undefined && { language_code: options.languageCode }),
    },
    currency: options.currency ?? "XTR",
    total_amount: options.amount,
    invoice_payload: options.payload,
  };
}

/** The outbox rows, oldest first, as `{ id, method, params }`. */
export async function outboxRows(
  db: Database,
): Promise<{ id: string; method: string; params: Record<string, unknown> }[]> {
  const rows = await db.all<{ id: string; method: string; params: string }>(
    "SELECT id, method, params FROM outbox ORDER BY created_at, id",
  );
  return rows.map((row) => ({ id: row.id, method: row.method, params: JSON.parse(row.params) }));
}

/** The text of the outbox's `sendMessage` row `id`. */
export async function outboxText(db: Database, id: string): Promise<string | undefined> {
  const row = (await outboxRows(db)).find((r) => r.id === id);
  return row === undefined ? undefined : String(row.params.text);
}

/** Issues an order for `productId` through the checkout and returns its id (the payload). */
export async function issue(
  f: PaymentFixture,
  productId: string,
  userId = USER,
  languageCode = "en",
): Promise<string> {
  const offer = await f.payments.checkout.offer(userId, userId, productId, languageCode);
  if (offer.kind === "refused") throw new Error(`offer of ${productId} refused: ${offer.reason}`);
  return offer.order.orderId;
}

/** The state of order `orderId`, or `undefined` when there is no such order. */
export async function orderState(
  f: PaymentFixture,
  orderId: string,
): Promise<OrderState | undefined> {
  return (await new Orders(f.tenant.id, f.clock).get(f.db, orderId))?.state;
}

function priceOf(f: Pick<PaymentFixture, "tenant">, productId: string): number {
  const product = f.tenant.products.find((p) => p.id === productId);
  if (product === undefined) throw new Error(`the test shop sells no ${productId}`);
  return product.price;
}

/**
 * Sells `productId` to {@linkcode USER}: issues an order through the checkout and pays its
 * price with `chargeId`, the user writing in `languageCode`. Returns the order id.
 */
export async function buy(
  f: PaymentFixture,
  productId: string,
  chargeId: string,
  languageCode = "en",
): Promise<string> {
  const orderId = await issue(f, productId, USER, languageCode);
  const amount = priceOf(f, productId);
  await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId, amount, languageCode }),
  );
  return orderId;
}

/**
 * Subscribes {@linkcode USER} to `productId`: issues an order through the checkout and pays it
 * with a first recurring payment `chargeId` whose period ends at `expiresAt` (default: 30 days
 * after {@linkcode START}). Returns the order id and what the receiver made of the payment.
 */
export async function subscribe(
  f: PaymentFixture,
  productId: string,
  chargeId: string,
  expiresAt = START + 30 * DAY,
): Promise<{ orderId: string; outcome: PaymentOutcome }> {
  const orderId = await issue(f, productId);
  const outcome = await f.payments.receiver.receive(paymentMessage({
    payload: orderId,
    chargeId,
    amount: priceOf(f, productId),
    recurring: { first: true, expiresAt },
  }));
  return { orderId, outcome };
}
