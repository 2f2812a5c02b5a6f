/**
 * The callback data of the runtime's inline buttons: a small typed codec. Every button the
 * runtime sends carries `stars:<action>[:<argument>…]`; the prefix marks the namespace as the
 * runtime's, so a tenant plugin's buttons (any other data) pass by untouched.
 *
 * Telegram accepts at most 64 bytes of callback data, so {@linkcode encodeCallback} checks the
 * length and throws instead of letting `sendMessage` fail later. {@linkcode parseCallback}
 * never throws: data from a button is user input (old messages, other bot versions, forged
 * clients), and anything it does not recognise is `undefined`.
 *
 * | data                               | meaning                                   |
 * | ---------------------------------- | ----------------------------------------- |
 * | `stars:balance`                    | show the credit balance                   |
 * | `stars:products`                   | list the products on sale                 |
 * | `stars:buy:<productId>`            | send that product's invoice               |
 * | `stars:history:<page>`             | show a page (from 1) of the history       |
 * | `stars:subs`                       | list the user's subscriptions             |
 * | `stars:sub:cancel:<productId>`     | stop renewing that subscription           |
 * | `stars:sub:resume:<productId>`     | renew that subscription again             |
 * | `stars:check`                      | "I bought Stars — check" the last order   |
 * | `stars:tx:<page>`                  | an admin's page (from 1) of transactions  |
 * | `stars:rf:ask:<chargeId>`          | an admin's Refund: ask to confirm         |
 * | `stars:rf:yes:<chargeId>`          | refund it (`money/payments/refund_button`) |
 * | `stars:rf:no:<chargeId>`           | leave it                                  |
 * | `stars:subs:<page>`                | an admin's page (from 1) of subscribers   |
 * | `stars:buyer:<page>`               | the buyer's page (from 1) of purchases    |
 * | `stars:again:<chargeId>`           | send a bought item's content again        |
 *
 * Why not `@grammyjs/menu`: a menu button's data is its position in the menu as rendered now
 * plus a fingerprint of the whole menu, and the menu is rendered again to run the press. Here a
 * button must name what it acts on (a charge to refund, a product to buy) independently of
 * what is on sale or recorded when it is pressed (a config reload, a restart, a redelivered
 * update in between), so that pressing it twice, or late, acts on the same thing or says it is
 * stale — never on whatever moved into its place. A codec of self-describing data gives that
 * with no in-memory menu state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CallbackDataError, encodeCallback, parseCallback } from "./callback_data.ts";
 *
 * assert.equal(encodeCallback({ kind: "history", page: 2 }), "stars:history:2");
 * const cancel = encodeCallback({ kind: "renewal", change: "cancel", productId: "monthly" });
 * assert.equal(cancel, "stars:sub:cancel:monthly");
 * assert.deepEqual(parseCallback(cancel), {
 *   kind: "renewal",
 *   change: "cancel",
 *   productId: "monthly",
 * });
 * const buy = parseCallback("stars:buy:credits_100");
 * assert.deepEqual(buy, { kind: "buy", productId: "credits_100" });
 *
 * // Button data is user input: anything unexpected is undefined, never an exception.
 * assert.equal(parseCallback("stars:history:0"), undefined);
 * assert.equal(parseCallback("stars:sub:pause:monthly"), undefined);
 * assert.equal(parseCallback("quiz:answer:4"), undefined); // a plugin's button
 * assert.equal(parseCallback(undefined), undefined);
 * // Encoding is ours to get right, so a bad field throws.
 * assert.throws(() => encodeCallback({ kind: "buy", productId: "no spaces" }), CallbackDataError);
 * ```
 * @module
 */
import { PRODUCT_ID_PATTERN } from "../../config/tenant_schema.ts";
import {
  BUTTON_CHARGE_ID,
  refundButtonData,
  type RefundStep,
} from "../../money/payments/refund_button.ts";

/** The prefix of every callback data the runtime sends. */
export const CALLBACK_PREFIX = "stars:";

/** Telegram's limit for `callback_data`, in bytes of UTF-8. */
export const MAX_CALLBACK_DATA_BYTES = 64;

/** What a runtime button asks for; see the module doc for the wire format. */
export type StarsCallback =
  | { kind: "balance" }
  | { kind: "products" }
  | { kind: "buy"; productId: string }
  | { kind: "history"; page: number }
  | { kind: "subscriptions" }
  | { kind: "renewal"; change: "cancel" | "resume"; productId: string }
  | { kind: "check" }
  | { kind: "transactions"; page: number }
  | { kind: "refund"; step: RefundStep; chargeId: string }
  | { kind: "subscribers"; page: number }
  | { kind: "purchases"; page: number }
  | { kind: "again"; chargeId: string };

/** A page number: 1 to 999 999 999, without leading zeros. */
const PAGE = /^[1-9][0-9]{0,8}$/;

/** Thrown by {@linkcode encodeCallback} for data Telegram would refuse or we could not parse. */
export class CallbackDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CallbackDataError";
  }
}

function checkProductId(productId: string): void {
  if (!PRODUCT_ID_PATTERN.test(productId)) {
    throw new CallbackDataError(
      `product id ${JSON.stringify(productId)} is not 1 to 47 letters, digits, "_" or "-"`,
    );
  }
}

function checkPage(what: string, value: number): number {
  if (!PAGE.test(String(value))) {
    throw new CallbackDataError(
      `${what} page must be an integer from 1 to 999999999, got ${value}`,
    );
  }
  return value;
}

function body(data: StarsCallback): string {
  switch (data.kind) {
    case "balance":
    case "products":
    case "check":
      return data.kind;
    case "subscriptions":
      return "subs";
    case "buy":
      checkProductId(data.productId);
      return `buy:${data.productId}`;
    case "renewal":
      checkProductId(data.productId);
      return `sub:${data.change}:${data.productId}`;
    case "history":
      return `history:${checkPage("history", data.page)}`;
    case "transactions":
      return `tx:${checkPage("transactions", data.page)}`;
    case "subscribers":
      return `subs:${checkPage("subscribers", data.page)}`;
    case "purchases":
      return `buyer:${checkPage("purchases", data.page)}`;
    case "refund": {
      const full = refundButtonData(data.step, data.chargeId);
      if (full === undefined) {
        throw new CallbackDataError(`charge id ${data.chargeId} fits no button`);
      }
      return full.slice(CALLBACK_PREFIX.length);
    }
    case "again":
      if (!BUTTON_CHARGE_ID.test(data.chargeId)) {
        throw new CallbackDataError(`charge id ${data.chargeId} fits no button`);
      }
      return `again:${data.chargeId}`;
  }
}

/**
 * The callback data for `data`. Throws {@linkcode CallbackDataError} when a field is invalid.
 * Product ids are at most 47 ASCII characters (`PRODUCT_ID_PATTERN`), so even the longest form,
 * `stars:sub:resume:<id>`, stays within Telegram's 64 bytes.
 */
export function encodeCallback(data: StarsCallback): string {
  return CALLBACK_PREFIX + body(data);
}

/**
 * What the button with this callback data asks for, or `undefined` when it is not one of the
 * runtime's (no `stars:` prefix) or not well-formed. Never throws.
 */
export function parseCallback(data: string | undefined): StarsCallback | undefined {
  if (data === undefined || !data.startsWith(CALLBACK_PREFIX)) return undefined;
  if (new TextEncoder().encode(data).length > MAX_CALLBACK_DATA_BYTES) return undefined;
  const [action, ...args] = data.slice(CALLBACK_PREFIX.length).split(":");
  const productId = (id: string | undefined) =>
    id !== undefined && PRODUCT_ID_PATTERN.test(id) ? id : undefined;
  switch (action) {
    case "balance":
    case "products":
    case "check":
      return args.length === 0 ? { kind: action } : undefined;
    case "subs":
      if (args.length === 0) return { kind: "subscriptions" };
      return args.length === 1 && PAGE.test(args[0])
        ? { kind: "subscribers", page: Number(args[0]) }
        : undefined;
    case "buyer":
      return args.length === 1 && PAGE.test(args[0])
        ? { kind: "purchases", page: Number(args[0]) }
        : undefined;
    case "rf": {
      const [step, chargeId] = args;
      if (args.length !== 2 || !BUTTON_CHARGE_ID.test(chargeId)) return undefined;
      return step === "ask" || step === "yes" || step === "no"
        ? { kind: "refund", step, chargeId }
        : undefined;
    }
    case "again":
      return args.length === 1 && BUTTON_CHARGE_ID.test(args[0])
        ? { kind: "again", chargeId: args[0] }
        : undefined;
    case "buy": {
      const id = args.length === 1 ? productId(args[0]) : undefined;
      return id === undefined ? undefined : { kind: "buy", productId: id };
    }
    case "history":
      return args.length === 1 && PAGE.test(args[0])
        ? { kind: "history", page: Number(args[0]) }
        : undefined;
    case "tx":
      return args.length === 1 && PAGE.test(args[0])
        ? { kind: "transactions", page: Number(args[0]) }
        : undefined;
    case "sub": {
      const [change, rawId] = args;
      const id = args.length === 2 ? productId(rawId) : undefined;
      if (id === undefined || (change !== "cancel" && change !== "resume")) return undefined;
      return { kind: "renewal", change, productId: id };
    }
    default:
      return undefined;
  }
}
