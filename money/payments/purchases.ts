/**
 * What buyers bought, read from the recorded payments: a buyer's own list (`/purchases`), an
 * admin's look at one user (`/user`) or one charge (`/transactions`), and an item's content sent
 * again, a user found by their `@username`. Nothing here moves money; refunds are `refunds.ts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { PaymentRecords } from "../stores/payment_records.ts";
 * import { UserState } from "../stores/user_state.ts";
 * import { Purchases } from "./purchases.ts";
 * import { parseTestTenant } from "../../tests/support/tenant_configs.ts";
 * import { WALLPAPERS } from "../../tests/support/shop_products.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const paymentRecords = new PaymentRecords("shop", new ManualClock(0));
 * const tenant = parseTestTenant({ products: [WALLPAPERS] }, { token: "1:t" });
 * const users = new UserState("shop");
 * const purchases = new Purchases({ db, paymentRecords, tenant, users });
 * await users.rememberUsername(db, 7, "Ann_7");
 * assert.equal(await purchases.userByUsername("ann_7"), 7);
 * await paymentRecords.record(db, {
 *   chargeId: "ch_1", userId: 7, productId: "wallpapers", amount: 25, kind: "item",
 * });
 * assert.deepEqual((await purchases.ofUser(7)).map((p) => p.chargeId), ["ch_1"]);
 * assert.deepEqual(await purchases.contentAgain(7, "ch_1"), {
 *   kind: "content",
 *   content: WALLPAPERS.content,
 * });
 * assert.deepEqual(await purchases.contentAgain(8, "ch_1"), { kind: "unknown" }); // not theirs
 * await db.close();
 * ```
 * @module
 */
import type { PaymentRecord } from "../stores/payment_records.ts";
import { findProduct, type PaymentParts } from "./parts.ts";

/** The most purchases one list holds. */
export const MAX_LISTED = 1000;

/** What {@linkcode Purchases.contentAgain} found. */
export type ContentAgain =
  | { kind: "content"; content: string }
  /** No such purchase of this user. */
  | { kind: "unknown" }
  /** It was refunded: its content is no longer theirs. */
  | { kind: "refunded" }
  /** Not an item, or its product is no longer configured. */
  | { kind: "no_content" };

/** The purchases of one tenant; see the module doc. */
export class Purchases {
  readonly #parts: Pick<PaymentParts, "db" | "paymentRecords" | "tenant" | "users">;

  constructor(parts: Pick<PaymentParts, "db" | "paymentRecords" | "tenant" | "users">) {
    this.#parts = parts;
  }

  /**
   * The user's purchases, newest first: items, packs, subscriptions and renewals (not the
   * duplicate or unmatched payments, which bought nothing).
   */
  async ofUser(userId: number): Promise<PaymentRecord[]> {
    const { db, paymentRecords } = this.#parts;
    const payments = await paymentRecords.ofUser(db, userId, MAX_LISTED);
    return payments.filter((payment) => payment.kind !== "duplicate" && payment.kind !== "orphan");
  }

  /** Every payment of the user (duplicates and unmatched ones too), newest first. */
  async paymentsOf(userId: number): Promise<PaymentRecord[]> {
    const { db, paymentRecords } = this.#parts;
    return await paymentRecords.ofUser(db, userId, MAX_LISTED);
  }

  /** The payment with this charge id, or `undefined`. */
  async byCharge(chargeId: string): Promise<PaymentRecord | undefined> {
    return await this.#parts.paymentRecords.get(this.#parts.db, chargeId);
  }

  /** The user last known by this `@username` (without `@`, any case), or `undefined`. */
  async userByUsername(username: string): Promise<number | undefined> {
    return await this.#parts.users.byUsername(this.#parts.db, username);
  }

  /** The content of the item `userId` bought with `chargeId`, to send it again. */
  async contentAgain(userId: number, chargeId: string): Promise<ContentAgain> {
    const payment = await this.byCharge(chargeId);
    if (payment === undefined || payment.userId !== userId) return { kind: "unknown" };
    if (payment.refundedAt !== undefined) return { kind: "refunded" };
    const product = payment.productId === undefined
      ? undefined
      : findProduct(this.#parts.tenant, payment.productId);
    if (payment.kind !== "item" || product?.kind !== "item") return { kind: "no_content" };
    return { kind: "content", content: product.content };
  }
}
