/**
 * The terms of an invoice (sendInvoice, createInvoiceLink), validated as Telegram validates
 * invoices in Stars: currency "XTR" with an empty or absent provider_token, exactly one price,
 * no tips, title 1–32 characters, description 1–255, payload 1–128 bytes, and for links a
 * subscription_period of exactly 30 days (60 s or 5 min also on the test environment).
 *
 * Payments in other currencies need a payment provider, which the sandbox does not emulate; such
 * invoices are refused with an explanation instead of being faked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseInvoiceTerms } from "./invoice_terms.ts";
 * import { Params } from "../http/params.ts";
 *
 * const pack = {
 *   title: "Pack",
 *   description: "10 items",
 *   payload: "pack:10",
 *   currency: "XTR",
 *   prices: [{ label: "Pack", amount: 50 }],
 * };
 * const onMessage = { subscriptions: false, testEnvironment: false };
 * assert.equal(parseInvoiceTerms(new Params(pack), onMessage).amount, 50);
 * // Other currencies need a payment provider, which the sandbox does not fake.
 * assert.throws(() => parseInvoiceTerms(new Params({ ...pack, currency: "EUR" }), onMessage), {
 *   message: /^400 Bad Request/,
 * });
 * ```
 * @module
 */

import { badRequest } from "../errors.ts";
import type { Params } from "../http/params.ts";

/** What a user pays for. */
export interface InvoiceTerms {
  readonly title: string;
  readonly description: string;
  readonly payload: string;
  readonly currency: "XTR";
  /** Price in Stars. */
  readonly amount: number;
  readonly startParameter: string;
  /** Seconds between renewals; only for subscription links. */
  readonly subscriptionPeriod?: number;
}

/** Where the invoice is created: only links may be subscriptions. */
export interface InvoiceContext {
  subscriptions: boolean;
  testEnvironment: boolean;
}

/** Highest price of one Stars invoice or subscription period. */
export const MAX_STARS = 10_000;
const THIRTY_DAYS = 2_592_000;
const TEST_PERIODS = [60, 300];
const encoder = new TextEncoder();

function lengthBetween(name: string, value: string, min: number, max: number): void {
  const length = [...value].length;
  if (length < min || length > max) {
    throw badRequest(`${name} must be ${min}-${max} characters long, got ${length}`);
  }
}

function parsePrice(prices: unknown[]): number {
  if (prices.length !== 1) {
    throw badRequest(
      `STARS_INVOICE_INVALID (payments in Telegram Stars must have exactly one price, got ${prices.length})`,
    );
  }
  const price = prices[0] as { label?: unknown; amount?: unknown } | null;
  if (typeof price?.label !== "string" || !Number.isSafeInteger(price.amount)) {
    throw badRequest(
      "can't parse prices JSON object: each price needs a label and an integer amount",
    );
  }
  const amount = price.amount as number;
  if (amount < 1 || amount > MAX_STARS) {
    throw badRequest(
      `CURRENCY_TOTAL_AMOUNT_INVALID (a Stars price must be 1-${MAX_STARS}, got ${amount})`,
    );
  }
  return amount;
}

function parsePeriod(params: Params, context: InvoiceContext): number | undefined {
  const period = params.optionalInteger("subscription_period");
  if (period === undefined) return undefined;
  const allowed = context.testEnvironment ? [THIRTY_DAYS, ...TEST_PERIODS] : [THIRTY_DAYS];
  if (!allowed.includes(period)) {
    throw badRequest(
      `SUBSCRIPTION_PERIOD_INVALID (subscription_period must be ${
        allowed.join(" or ")
      } seconds, got ${period})`,
    );
  }
  return period;
}

/** Validates the invoice parameters of a call; throws 400 with the first problem. */
export function parseInvoiceTerms(params: Params, context: InvoiceContext): InvoiceTerms {
  const title = params.string("title");
  const description = params.string("description");
  const payload = params.string("payload");
  const currency = params.string("currency");
  lengthBetween("title", title, 1, 32);
  lengthBetween("description", description, 1, 255);
  const payloadBytes = encoder.encode(payload).length;
  if (payloadBytes < 1 || payloadBytes > 128) {
    throw badRequest(`INVOICE_PAYLOAD_INVALID (payload must be 1-128 bytes, got ${payloadBytes})`);
  }
  if (currency !== "XTR") {
    throw badRequest(
      `PAYMENT_PROVIDER_INVALID (the Constellation sandbox emulates only payments in Telegram ` +
        `Stars: use currency "XTR" with an empty provider_token; got currency "${currency}")`,
    );
  }
  if ((params.optionalString("provider_token") ?? "") !== "") {
    throw badRequest(
      "PAYMENT_PROVIDER_INVALID (provider_token must be empty or absent for payments in Telegram Stars)",
    );
  }
  const tips = params.optionalArray("suggested_tip_amounts") ?? [];
  if ((params.optionalInteger("max_tip_amount") ?? 0) !== 0 || tips.length > 0) {
    throw badRequest("tips are not supported for payments in Telegram Stars");
  }
  const amount = parsePrice(params.array("prices"));
  const subscriptionPeriod = context.subscriptions ? parsePeriod(params, context) : undefined;
  return {
    title,
    description,
    payload,
    currency,
    amount,
    startParameter: params.optionalString("start_parameter") ?? "",
    ...(subscriptionPeriod !== undefined ? { subscriptionPeriod } : {}),
  };
}
