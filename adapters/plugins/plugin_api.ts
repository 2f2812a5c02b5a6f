/**
 * What a tenant plugin gets. A tenant file may name a TypeScript module (`"plugin"`, relative to
 * the config folder); its default export is called once per tenant and start of its worker with
 * that tenant's grammY composer and Stars service — the original bot's `get_stars_balance`,
 * `create_stars_invoice` and `deduct_stars`, made honest: the balance is the user's in-bot
 * credit ledger, an offer sends a real Stars invoice, and a deduction never overdraws.
 *
 * The plugin runs in a worker (`plugin_host.ts`), shared by default with the other tenants
 * using the same file (`plugin_workers.ts`: the module's top-level state is shared, what its
 * default export builds is each tenant's own), so what it is given there stands in for the
 * tenant's: each Stars call and each Bot API call of its handlers is answered by the tenant over
 * the message protocol (`protocol.ts`), and its logger's lines go to the tenant's log.
 * Beside its default export, a plugin module may export `updates`, the grammY filter queries of
 * the updates it wants (`update_filter.ts`): the others then never reach its worker.
 *
 * @example A plugin, run against the sandbox
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bot, Composer, type Context } from "grammy";
 * import { type Plugin, starsServiceOf } from "./plugin_api.ts";
 * import { systemClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../storage/open_database.ts";
 * import { tenantLogger } from "../observability/logging.ts";
 * import { createPaymentServices } from "../../money/payments/services.ts";
 * import { Sandbox } from "../../sandbox/mod.ts";
 * import { paymentServicesOptions } from "../../tests/support/payment_world.ts";
 * import { parseTestTenant } from "../../tests/support/tenant_configs.ts";
 * import { CREDITS_100 } from "../../tests/support/shop_products.ts";
 *
 * // What a plugin file exports as default.
 * const plugin: Plugin = (bot, stars) => {
 *   bot.command("ask", async (ctx) => {
 *     const spent = await stars.deduct(ctx.from!.id, 3, {
 *       reason: "a question",
 *       idempotencyKey: `ask:${ctx.update.update_id}`, // a redelivered update is not charged twice
 *       languageCode: ctx.from?.language_code,
 *     });
 *     if (spent.ok) return await ctx.reply(`42 (balance ${spent.balance})`);
 *     await ctx.reply(`You need ${spent.shortfall} more credits.`);
 *     if (spent.offer) {
 *       await stars.offer(ctx.from!.id, ctx.chat.id, spent.offer.id, ctx.from?.language_code);
 *     }
 *   });
 * };
 *
 * // Run here in-process, on the tenant's own services; the runtime runs it in its worker, where
 * // the same calls reach these services over messages.
 * await using sandbox = await Sandbox.start();
 * const account = sandbox.createBot({ username: "oracle_bot" });
 * const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
 * const bot = new Bot(account.token, { client: { apiRoot: sandbox.apiRoot } });
 * const tenant = parseTestTenant({ products: [CREDITS_100] }, { token: account.token });
 * const db = await openDatabase("sqlite::memory:");
 * const payments = createPaymentServices(
 *   paymentServicesOptions({ tenant, db, clock: systemClock, api: bot.api }),
 * );
 * const composer = new Composer<Context>();
 * const logger = tenantLogger(tenant.id).getChild("plugin");
 * await plugin(composer, starsServiceOf(payments), { id: tenant.id, logger });
 * bot.use(composer);
 * const polling = bot.start();
 *
 * await ann.send(account, "/ask");
 * assert.equal((await ann.waitForMessage(account)).text, "You need 3 more credits.");
 * assert.equal((await ann.waitForMessage(account)).invoice?.title, "100 credits");
 * await bot.stop();
 * await polling;
 * await db.close();
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

/**
 * Narrows a tenant's payment services to what plugins may call, so a plugin cannot reach the
 * rest; the host answers a plugin's Stars calls with it.
 */
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
