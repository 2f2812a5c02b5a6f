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
import type { PaymentService } from "../../money/payments/payment_service.ts";

/** The part of a tenant's payment service a plugin may use; refunds stay with the admins. */
export type StarsService = Pick<PaymentService, "balance" | "deduct" | "offer" | "history">;

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

/** Narrows a payment service to what plugins may call, so a plugin cannot reach the rest. */
export function starsServiceOf(payments: PaymentService): StarsService {
  return {
    balance: (userId) => payments.balance(userId),
    deduct: (userId, amount, request) => payments.deduct(userId, amount, request),
    offer: (...args) => payments.offer(...args),
    history: (userId, page) => payments.history(userId, page),
  };
}
