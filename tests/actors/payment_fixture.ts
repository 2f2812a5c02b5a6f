/**
 * A tenant's payment service over an in-memory database, a manual clock and a fake Bot API that
 * records every call, for the payment tests.
 *
 * @example
 * ```ts ignore
 * const f = await paymentFixture();
 * const offer = await f.service.offer(USER, USER, "credits_100", "en");
 * await f.db.close();
 * ```
 * @module
 */
import { GrammyError } from "grammy";
import type { InlineKeyboardMarkup, LabeledPrice, PreCheckoutQuery } from "grammy/types";
import type { Database } from "../../adapters/storage/database.ts";
import { openDatabase } from "../../adapters/storage/open_database.ts";
import { Texts } from "../../adapters/telegram/texts.ts";
import { parseTenant } from "../../config/load_tenants.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import { ManualClock } from "../../actors/clock.ts";
import { Ledger } from "../../actors/ledger.ts";
import { Outbox } from "../../actors/outbox.ts";
import type { PaymentsApi } from "../../actors/payment_api.ts";
import type { PaymentMessage } from "../../actors/payment_receive.ts";
import { PaymentService } from "../../actors/payments.ts";

/** The buyer in most tests, and a second user. */
export const USER = 1001;
export const OTHER_USER = 2002;
/** The tenant's admins. */
export const ADMINS = [9001, 9002];
/** 2025-01-01 00:00 UTC. */
export const START = Date.UTC(2025, 0, 1);

/** The shop every test sells from; `overrides` replaces top-level fields of the file. */
export function shopTenant(overrides: Record<string, unknown> = {}): TenantConfig {
  const result = parseTenant({
    token: "env:SHOP_BOT_TOKEN",
    admins: ADMINS,
    locale: "en",
    stars: { lowBalanceThreshold: 5, orderTtlSeconds: 600 },
    products: [
      {
        kind: "credits",
        id: "credits_100",
        title: "100 credits",
        description: "A pack of 100 credits.",
        price: 50,
        credits: 100,
      },
      {
        kind: "credits",
        id: "credits_500",
        title: "500 credits",
        description: "A pack of 500 credits.",
        price: 200,
        credits: 500,
      },
      {
        kind: "credits",
        id: "credits_cheap_off",
        title: "Sale pack",
        description: "Switched off: must never be suggested.",
        price: 1,
        credits: 1000,
        enabled: false,
      },
      {
        kind: "item",
        id: "wallpapers",
        title: "Wallpaper pack",
        description: "Twelve wallpapers.",
        price: 25,
        content: "Your wallpapers: https://example.com/w/1",
      },
      {
        kind: "item",
        id: "retired",
        title: "Old pack",
        description: "No longer sold.",
        price: 10,
        content: "old",
        enabled: false,
      },
      {
        kind: "subscription",
        id: "monthly",
        title: "Monthly membership",
        description: "Members-only posts and 300 credits every month.",
        price: 150,
        credits: 300,
      },
      {
        kind: "subscription",
        id: "club",
        title: "Club",
        description: "Access only, no credits.",
        price: 30,
      },
    ],
    ...overrides,
  }, { id: "shop", source: "shop.json", configDir: "config", env: () => "123:abc" });
  if (!result.ok) throw new Error(JSON.stringify(result.problem));
  return result.tenant;
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

  sendInvoice = (
    chat_id: number,
    title: string,
    description: string,
    payload: string,
    currency: "XTR",
    prices: LabeledPrice[],
    other?: { provider_token?: string; start_parameter?: string },
  ) => {
    this.calls.push({
      method: "sendInvoice",
      args: [chat_id, title, description, payload, currency, prices, other],
    });
    return Promise.resolve({ message_id: this.#nextMessageId++ });
  };

  createInvoiceLink = (
    title: string,
    description: string,
    payload: string,
    provider_token: string,
    currency: "XTR",
    prices: LabeledPrice[],
    other?: { subscription_period?: number },
  ) => {
    this.calls.push({
      method: "createInvoiceLink",
      args: [title, description, payload, provider_token, currency, prices, other],
    });
    return Promise.resolve(`https://t.me/$invoice-${payload}`);
  };

  sendMessage = (
    chat_id: number,
    text: string,
    other?: { reply_markup?: InlineKeyboardMarkup },
  ) => {
    this.calls.push({ method: "sendMessage", args: [chat_id, text, other] });
    return Promise.resolve({ message_id: this.#nextMessageId++ });
  };

  refundStarPayment = (user_id: number, telegram_payment_charge_id: string) => {
    this.calls.push({ method: "refundStarPayment", args: [user_id, telegram_payment_charge_id] });
    const error = this.refundError;
    this.refundError = undefined;
    return error === undefined ? Promise.resolve(true as const) : Promise.reject(error);
  };

  editUserStarSubscription = (
    user_id: number,
    telegram_payment_charge_id: string,
    is_canceled: boolean,
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
  service: PaymentService;
  /** How many times the service said outbox rows were committed. */
  kicks: { count: number };
}

/** Builds the service for `tenant` (default {@linkcode shopTenant}) at {@linkcode START}. */
export async function paymentFixture(tenant = shopTenant()): Promise<PaymentFixture> {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(START);
  const ledger = new Ledger(tenant.id, clock);
  const outbox = new Outbox(tenant.id, clock);
  const api = new FakePaymentsApi();
  const kicks = { count: 0 };
  const service = new PaymentService({
    tenant,
    db,
    clock,
    ledger,
    outbox,
    api,
    texts: new Texts(tenant.texts, tenant.locale),
    onCommitted: () => kicks.count++,
  });
  return { db, clock, tenant, ledger, outbox, api, service, kicks };
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

/** Issues an order for `productId` through the service and returns its id (the payload). */
export async function issue(
  f: PaymentFixture,
  productId: string,
  userId = USER,
  languageCode = "en",
): Promise<string> {
  const offer = await f.service.offer(userId, userId, productId, languageCode);
  if (offer.kind === "refused") throw new Error(`offer of ${productId} refused: ${offer.reason}`);
  return offer.order.orderId;
}
