/**
 * The bot interface every hosted bot gets: commands, the Stars menu and its buttons, the admins'
 * `/refund`, `/transactions`, `/revenue` and `/reconcile`, and the payment updates. Installed before the tenant's plugin, so payments and the
 * runtime's buttons cannot be intercepted; everything else falls through to the plugin and then
 * to `fallbacks.ts`.
 *
 * Order matters only where it says so: payment updates first (every chat type), then the
 * runtime's buttons (they check the chat themselves, so that each one is answered; the admins'
 * transaction pages before the others), then the commands, in private chats only — balances
 * and histories are nobody else's business.
 *
 * @example
 * ```ts ignore
 * import { tenantHandlers } from "./handlers/mod.ts";
 * bot.use(tenantHandlers({ config, texts, payments, logger }));
 * ```
 * @module
 */
import { Composer, type Context } from "grammy";
import { adminBotStarsHandlers, adminTransactionButtons } from "./admin_bot_stars.ts";
import { adminRefundHandlers } from "./admin_refund.ts";
import { starsCallbackHandlers } from "./callbacks.ts";
import { creditsHandlers } from "./credits.ts";
import type { HandlerDeps } from "./deps.ts";
import { historyHandlers } from "./history.ts";
import { infoHandlers } from "./info.ts";
import { paymentUpdateHandlers } from "./payment_updates.ts";
import { isForRuntime } from "./runtime_updates.ts";
import { startHandlers } from "./start.ts";
import { starsMenuHandlers } from "./stars_menu.ts";
import { subscriptionsHandlers } from "./subscriptions.ts";

export type { HandlerDeps } from "./deps.ts";
export { fallbackHandlers } from "./fallbacks.ts";

/**
 * The handlers of one tenant's bot; see the module doc. The config schema keeps product ids
 * short enough for every button's data (`callback_data.ts`).
 *
 * @example
 * ```ts ignore
 * bot.use(tenantHandlers({ config, texts, payments, logger }));
 * ```
 */
export function tenantHandlers(deps: HandlerDeps): Composer<Context> {
  const handlers = new Composer<Context>();
  // Updates none of these handlers acts on skip them in one step (see runtime_updates.ts).
  const composer = handlers.filter((ctx) => isForRuntime(ctx.update));
  composer.use(paymentUpdateHandlers(deps));
  composer.use(adminTransactionButtons(deps));
  composer.use(starsCallbackHandlers(deps));
  composer.chatType("private").use(
    startHandlers(deps),
    starsMenuHandlers(deps),
    creditsHandlers(deps),
    historyHandlers(deps),
    subscriptionsHandlers(deps),
    infoHandlers(deps),
    adminRefundHandlers(deps),
    adminBotStarsHandlers(deps),
  );
  return handlers;
}
