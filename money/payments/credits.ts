/**
 * A user's in-bot credits, as the bot and its plugin see them: the balance, the history, and
 * spending (the ledger charge, the low-balance notice — once per dip, with a top-up button —
 * and, when the balance is short, the credits pack to suggest). Not the bot's own Telegram
 * Stars: those are `BotStars` (`../ports.ts`).
 *
 * A balance is low at or below `stars.lowBalanceThreshold` (as the config documents it: with
 * the default 0 the user is told when nothing is left). The notice flag is cleared by a payment
 * that lifts the balance above the threshold (`receive.ts`).
 *
 * @example Spending, once per key, never below zero
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { paymentServicesOptions } from "../../tests/support/payment_world.ts";
 * import { parseTestTenant } from "../../tests/support/tenant_configs.ts";
 * import { CREDITS_100 } from "../../tests/support/shop_products.ts";
 * import type { PaymentsApi } from "./bot_api.ts";
 * import { createPaymentServices } from "./services.ts";
 *
 * const tenant = parseTestTenant(
 *   { stars: { lowBalanceThreshold: 5 }, products: [CREDITS_100] },
 *   { token: "123:abc" },
 * );
 * const db = await openDatabase("sqlite::memory:");
 * const api: PaymentsApi = {
 *   sendInvoice: () => Promise.resolve({ message_id: 1 }),
 *   createInvoiceLink: () => Promise.resolve("https://t.me/$link"),
 *   sendMessage: () => Promise.resolve({ message_id: 2 }),
 *   refundStarPayment: () => Promise.resolve(true),
 *   editUserStarSubscription: () => Promise.resolve(true),
 * };
 * const options = paymentServicesOptions({ tenant, db, clock: new ManualClock(0), api });
 * const payments = createPaymentServices(options);
 * // Credits come from payments; here a deposit stands in for one.
 * const gift = { idempotencyKey: "gift:7", reason: "welcome gift" };
 * await db.transaction((tx) => options.ledger.deposit(tx, 7, 10, gift));
 *
 * const image = { reason: "an image", idempotencyKey: "use:1" };
 * const spent = await payments.credits.deduct(7, 6, image);
 * assert(spent.ok && spent.balance === 4);
 * // A redelivered update spends nothing more.
 * const again = await payments.credits.deduct(7, 6, image);
 * assert(again.ok && again.repeated && again.balance === 4);
 * // Short of credits: nothing spent, and a pack to offer.
 * const short = await payments.credits.deduct(7, 6, { ...image, idempotencyKey: "use:2" });
 * assert(!short.ok && short.shortfall === 2 && short.offer?.id === "credits_100");
 *
 * // 4 is at or below the threshold of 5: the notice is queued, once.
 * assert.equal(await options.outbox.backlog(db), 1);
 * const history = await payments.credits.history(7);
 * assert.deepEqual(history.entries.map((entry) => entry.amount), [-6, 10]);
 * await db.close();
 * ```
 * @module
 */
import type { CreditsProduct, TenantConfig } from "../../config/tenant_schema.ts";
import type { LedgerEntry } from "../stores/ledger.ts";
import { messageCall, type PaymentParts } from "./parts.ts";

/** What a plugin passes to {@linkcode Credits.deduct}. */
export interface DeductRequest {
  /** Why, for the history ("generated an image"). */
  reason: string;
  /** Unique per spend (e.g. `use:<updateId>`); a repeat is not charged again. */
  idempotencyKey: string;
  /** The user's Telegram `language_code`, for the low-balance notice. */
  languageCode?: string;
  /** Where the low-balance notice goes; default the user's private chat. */
  chatId?: number;
}

/** The outcome of {@linkcode Credits.deduct}; `balance` is the user's credits after it. */
export type DeductOutcome =
  | { ok: true; balance: number; repeated: boolean; entry: LedgerEntry }
  | {
    ok: false;
    balance: number;
    shortfall: number;
    /** A credits pack to suggest: the cheapest that covers the shortfall, else the largest. */
    offer?: CreditsProduct;
  };

/** One page of {@linkcode Credits.history}; `page` counts from 1. */
export interface HistoryPage {
  entries: LedgerEntry[];
  total: number;
  page: number;
  pages: number;
}

/** Ledger entries per history page. */
export const HISTORY_PAGE_SIZE = 10;

/** Callback data of the "Top up" button; the tenant's bot shows the products for it. */
export const TOP_UP_CALLBACK = "stars:products";

/** What {@linkcode Credits} uses of the tenant's payment parts. */
export type CreditsParts = Pick<
  PaymentParts,
  "tenant" | "db" | "ledger" | "users" | "outbox" | "texts" | "committed"
>;

/** The users' credits of one tenant; see the module doc. */
export class Credits {
  readonly #parts: CreditsParts;

  constructor(parts: CreditsParts) {
    this.#parts = parts;
  }

  /** The user's credits; negative after a refund took back credits already spent. */
  balance(userId: number): Promise<number> {
    return this.#parts.ledger.balance(this.#parts.db, userId);
  }

  /**
   * One page (from 1) of the user's ledger, newest first, with the page count (at least 1, so
   * "page 1 of 1" reads right for an empty history).
   *
   * @throws {RangeError} when `page` is not an integer ≥ 1.
   */
  async history(userId: number, page = 1): Promise<HistoryPage> {
    if (!Number.isSafeInteger(page) || page < 1) {
      throw new RangeError(`history page must be an integer >= 1, got ${page}`);
    }
    const { entries, total } = await this.#parts.ledger.history(this.#parts.db, userId, {
      limit: HISTORY_PAGE_SIZE,
      offset: (page - 1) * HISTORY_PAGE_SIZE,
    });
    return { entries, total, page, pages: Math.max(1, Math.ceil(total / HISTORY_PAGE_SIZE)) };
  }

  /**
   * Spends `amount` credits in one transaction, queueing the low-balance notice when this spend
   * brings the balance to the threshold or below and the user has not been told since their
   * last top-up. A repeated idempotency key is not charged again and sends nothing. Short of
   * credits, nothing is spent and the outcome suggests a pack.
   */
  async deduct(userId: number, amount: number, request: DeductRequest): Promise<DeductOutcome> {
    const { tenant, db, ledger, users, outbox, texts } = this.#parts;
    const threshold = tenant.stars.lowBalanceThreshold;
    let noticed = false;
    const result = await db.transaction(async (tx): Promise<DeductOutcome> => {
      const deducted = await ledger.deduct(tx, userId, amount, {
        idempotencyKey: request.idempotencyKey,
        reason: request.reason,
      });
      if (!deducted.ok) return { ...deducted, offer: suggestPack(tenant, deducted.shortfall) };
      const { balance, repeated, entry } = deducted;
      if (!repeated && balance <= threshold && await users.claimLowBalanceNotice(tx, userId)) {
        const t = texts.forUser(request.languageCode).t;
        await outbox.enqueue(
          tx,
          `low-balance:${userId}:${entry.seq}`,
          messageCall(request.chatId ?? userId, t("low_balance.notice", { balance, threshold }), {
            inline_keyboard: [[{ text: t("low_balance.top_up"), callback_data: TOP_UP_CALLBACK }]],
          }),
        );
        noticed = true;
      }
      return { ok: true, balance, repeated, entry };
    });
    if (noticed) this.#parts.committed();
    return result;
  }
}

/**
 * The credits pack to suggest for a shortfall: the cheapest enabled pack with enough credits,
 * else the enabled pack with the most; none when Stars are not on sale.
 */
export function suggestPack(tenant: TenantConfig, shortfall: number): CreditsProduct | undefined {
  if (!tenant.stars.enabled) return undefined;
  const packs = tenant.products.filter((p): p is CreditsProduct =>
    p.kind === "credits" && p.enabled
  );
  const covering = packs.filter((p) => p.credits >= shortfall)
    .sort((a, b) => a.price - b.price || a.credits - b.credits);
  if (covering.length > 0) return covering[0];
  return packs.sort((a, b) => b.credits - a.credits || a.price - b.price)[0];
}
