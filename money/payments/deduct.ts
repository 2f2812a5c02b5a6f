/**
 * Spending credits, for plugins: the ledger charge, the low-balance notice (once per dip, with
 * a top-up button) and, when the balance is short, the credits pack to suggest.
 *
 * A balance is low at or below `stars.lowBalanceThreshold` (as the config documents it: with
 * the default 0 the user is told when nothing is left). The notice flag is cleared by a payment
 * that lifts the balance above the threshold (`payment_receive.ts`).
 *
 * @example
 * ```ts ignore
 * import { deductCredits } from "./deduct.ts";
 * const spent = await deductCredits(ctx, userId, 3, { reason: "image", idempotencyKey: `use:${updateId}` });
 * if (!spent.ok) console.log(`short by ${spent.shortfall}; suggest ${spent.offer?.id}`);
 * ```
 * @module
 */
import type { CreditsProduct, TenantConfig } from "../../config/tenant_schema.ts";
import type { LedgerEntry } from "../stores/ledger.ts";
import { messageCall, type PaymentContext } from "./context.ts";

/** What a plugin passes to {@linkcode deductCredits}. */
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

/** The outcome of {@linkcode deductCredits}. */
export type DeductOutcome =
  | { ok: true; balance: number; repeated: boolean; entry: LedgerEntry }
  | {
    ok: false;
    balance: number;
    shortfall: number;
    /** A credits pack to suggest: the cheapest that covers the shortfall, else the largest. */
    offer?: CreditsProduct;
  };

/** Callback data of the "Top up" button; the tenant's bot shows the products for it. */
export const TOP_UP_CALLBACK = "stars:products";

/**
 * Spends `amount` credits in one transaction, queueing the low-balance notice when this spend
 * brings the balance to the threshold or below and the user has not been told since their last
 * top-up. A repeated idempotency key is not charged again and sends nothing.
 *
 * @example
 * ```ts ignore
 * const spent = await deductCredits(ctx, 7, 3, { reason: "image", idempotencyKey: "use:1" });
 * ```
 */
export async function deductCredits(
  ctx: PaymentContext,
  userId: number,
  amount: number,
  request: DeductRequest,
): Promise<DeductOutcome> {
  const { tenant, db, ledger, users, outbox, texts } = ctx;
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
  if (noticed) ctx.committed();
  return result;
}

/**
 * The credits pack to suggest for a shortfall: the cheapest enabled pack with enough credits,
 * else the enabled pack with the most; none when Stars are not on sale.
 *
 * @example
 * ```ts ignore
 * suggestPack(tenant, 120)?.id; // "credits_500" when credits_100 is too small
 * ```
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
