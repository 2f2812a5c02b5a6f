/**
 * The bot interface every hosted bot gets: commands, the Stars menu and its buttons, `/purchases`,
 * payment support, the admins' `/refund` (and Refund buttons), `/transactions`, `/revenue`,
 * `/reconcile`, `/subscribers` and `/user`, and the payment updates. Installed before the
 * tenant's plugin, so payments and the runtime's buttons cannot be intercepted; everything else
 * falls through to the plugin and then to `fallbacks.ts`.
 *
 * Each update goes straight to the handlers it can be for (`runtime_updates.ts`): payment
 * updates in every chat type; buttons (they check the chat themselves, so that each one is
 * answered; the admins' transaction pages and Refund buttons before the others); a command, in
 * private chats only — balances and histories are nobody else's business — to the handlers of
 * that command; and last the plain text that may be for payment support.
 *
 * @example A purchase, answered by the handlers, against the sandbox
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bot } from "grammy";
 * import { fallbackHandlers, tenantHandlers } from "./mod.ts";
 * import { Texts } from "../texts.ts";
 * import { systemClock } from "../../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../storage/open_database.ts";
 * import { tenantLogger } from "../../observability/logging.ts";
 * import { createPaymentServices } from "../../../money/payments/services.ts";
 * import { Sandbox } from "../../../sandbox/mod.ts";
 * import { paymentServicesOptions } from "../../../tests/support/payment_world.ts";
 * import { parseTestTenant } from "../../../tests/support/tenant_configs.ts";
 * import { CREDITS_100 } from "../../../tests/support/shop_products.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const account = sandbox.createBot({ username: "shop_bot" });
 * const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
 * const bot = new Bot(account.token, { client: { apiRoot: sandbox.apiRoot } });
 * const config = parseTestTenant({ products: [CREDITS_100] }, { token: account.token });
 * const db = await openDatabase("sqlite::memory:");
 * const texts = new Texts(config.texts, config.locale);
 * const payments = createPaymentServices(
 *   paymentServicesOptions({ tenant: config, db, clock: systemClock, api: bot.api }),
 * );
 * bot.use(tenantHandlers({ config, texts, payments, logger: tenantLogger(config.id) }));
 * // The tenant's plugin goes here, between the two.
 * bot.use(fallbackHandlers(texts));
 * const polling = bot.start();
 *
 * await ann.send(account, "/start buy_credits_100");
 * const invoice = await ann.waitForMessage(account);
 * assert.equal((await ann.pay(account, invoice)).status, "paid");
 * await ann.send(account, "/balance");
 * assert.equal((await ann.waitForMessage(account)).text, "Your balance: 100 credits.");
 * await bot.stop();
 * await polling;
 * await db.close();
 * ```
 * @module
 */
import { Composer, type Context } from "grammy";
import { adminBotStarsHandlers, adminTransactionButtons } from "./admin_bot_stars.ts";
import { adminRefundHandlers } from "./admin_refund.ts";
import { adminUserHandlers } from "./admin_users.ts";
import { starsCallbackHandlers } from "./callbacks.ts";
import { creditsHandlers } from "./credits.ts";
import { type HandlerDeps, provideDeps } from "./deps.ts";
import { historyHandlers } from "./history.ts";
import { infoHandlers } from "./info.ts";
import { paymentUpdateHandlers } from "./payment_updates.ts";
import { purchasesHandlers } from "./purchases.ts";
import { refundButtons } from "./refund_buttons.ts";
import { runtimeRoute } from "./runtime_updates.ts";
import { startHandlers } from "./start.ts";
import { starsMenuHandlers } from "./stars_menu.ts";
import { subscriptionsHandlers } from "./subscriptions.ts";
import { isSupportCandidate, supportCommandHandlers, supportMessageHandlers } from "./support.ts";
import type { BuiltInCommand } from "../commands.ts";

export type { HandlerDeps } from "./deps.ts";
export { fallbackHandlers } from "./fallbacks.ts";

/**
 * The handlers of one tenant's bot; see the module doc. The config schema keeps product ids
 * short enough for every button's data (`callback_data.ts`).
 *
 * The handler tree itself is built once per process and shared by every tenant: what differs
 * between tenants is only their deps, which this tenant's first middleware puts on each update's
 * context (`depsOf` in `deps.ts`). A tree of its own cost each tenant about 30 KiB — 30 MiB at
 * a thousand tenants — for the same eighty composers and their closures.
 */
export function tenantHandlers(deps: HandlerDeps): Composer<Context> {
  return new Composer<Context>(provideDeps(deps), sharedHandlers());
}

let shared: Composer<Context> | undefined;

/** The one handler tree of the process, built on first use. */
function sharedHandlers(): Composer<Context> {
  if (shared !== undefined) return shared;
  const payments = paymentUpdateHandlers().middleware();
  const buttons = new Composer<Context>(
    adminTransactionButtons(),
    refundButtons(),
    starsCallbackHandlers(),
  ).middleware();
  const adminBotStars = adminBotStarsHandlers();
  const adminUsers = adminUserHandlers();
  // Every command of the menu (`commands.ts`) has its handlers here: the type says so.
  const byCommand: Record<BuiltInCommand, Composer<Context>> = {
    start: startHandlers(),
    stars: starsMenuHandlers(),
    balance: creditsHandlers(),
    history: historyHandlers(),
    purchases: purchasesHandlers(),
    subscriptions: subscriptionsHandlers(),
    paysupport: supportCommandHandlers(),
    terms: infoHandlers(),
    refund: adminRefundHandlers(),
    transactions: adminBotStars,
    revenue: adminBotStars,
    reconcile: adminBotStars,
    subscribers: adminUsers,
    user: adminUsers,
  };
  // A Map, not the record itself: a command named like an Object property ("constructor") must
  // find nothing.
  const commands = new Map(
    Object.entries(byCommand).map(([name, handlers]) => [name, handlers.middleware()]),
  );
  const handlers = new Composer<Context>();
  handlers.use((ctx, next) => {
    const route = runtimeRoute(ctx.update);
    if (route === undefined) return next();
    if (route.to === "payments") return payments(ctx, next);
    if (route.to === "buttons") return buttons(ctx, next);
    const command = commands.get(route.name);
    return command !== undefined && ctx.chat?.type === "private" ? command(ctx, next) : next();
  });
  // Plain text in a private chat may be for payment support (a buyer's ticket, an admin's
  // answer); what is not goes on to the plugin.
  handlers.filter((ctx) => isSupportCandidate(ctx.update)).use(supportMessageHandlers());
  return shared = handlers;
}
