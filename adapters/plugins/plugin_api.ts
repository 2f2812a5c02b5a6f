/**
 * What a tenant plugin gets. A tenant file may name a TypeScript module (`"plugin"`, relative to
 * the config folder); its default export is called once per tenant start with the tenant's grammY
 * composer and its Stars service — the original bot's `get_stars_balance`,
 * `create_stars_invoice` and `deduct_stars`, made honest: the balance is the user's in-bot
 * credit ledger, an offer sends a real Stars invoice, and a deduction never overdraws.
 *
 * @example
 * ```ts
 * import type { Plugin } from "./plugin_api.ts";
 * const plugin: Plugin = (bot, stars) => {
 *   bot.command("ask", async (ctx) => {
 *     const spent = await stars.deduct(ctx.from!.id, 3, {
 *       reason: "question",
 *       idempotencyKey: `ask:${ctx.update.update_id}`,
 *       languageCode: ctx.from?.language_code,
 *     });
 *     await ctx.reply(spent.ok ? "42." : `You need ${spent.shortfall} more credits.`);
 *   });
 * };
 * export default plugin;
 * ```
 * @module
 */
import type { Composer, Context } from "grammy";
import type { Logger } from "@logtape/logtape";
import type { Checkout } from "../../money/payments/checkout.ts";
import type { Credits } from "../../money/payments/credits.ts";
import type { PaymentServices } from "../../money/payments/services.ts";

/**
 * The part of a tenant's payment services a plugin may use: a user's in-bot credits (read,
 * spend, history) and offering a product. Refunds stay with the admins, and the bot's own
 * Stars balance is not a plugin's business.
 */
export interface StarsService {
  /** The user's in-bot credits (what their Stars bought); not their Telegram Stars wallet. */
  balance: Credits["balance"];
  /** Spends the user's credits; never overdraws (see `Credits.deduct`). */
  deduct: Credits["deduct"];
  /** Sends the user a real Stars invoice for a product (see `Checkout.offer`). */
  offer: Checkout["offer"];
  /** One page of the user's credit history, newest first. */
  history: Credits["history"];
}

/** Facts about the tenant a plugin runs in. */
export interface PluginTenant {
  id: string;
  /** The plugin's logger: lines carry the tenant id. */
  logger: Logger;
}

/** A plugin's default export. */
export type Plugin = (
  bot: Composer<Context>,
  stars: StarsService,
  tenant: PluginTenant,
) => void | Promise<void>;

/** Narrows a tenant's payment services to what plugins may call, so a plugin cannot reach the rest. */
export function starsServiceOf(
  payments: Pick<PaymentServices, "credits" | "checkout">,
): StarsService {
  const { credits, checkout } = payments;
  return {
    balance: (userId) => credits.balance(userId),
    deduct: (userId, amount, request) => credits.deduct(userId, amount, request),
    offer: (...args) => checkout.offer(...args),
    history: (userId, page) => credits.history(userId, page),
  };
}
