/**
 * The runtime's inline buttons: every callback query whose data has the `stars:` prefix is
 * parsed (`callback_data.ts`), run, and answered exactly once — with a short text when there
 * is something to say (a stale button, a product no longer on sale), else silently to stop the
 * button's spinner. Data that is not well-formed gets `callback.unknown` and changes nothing.
 *
 * Other callback data belongs to the tenant's plugin and is passed on; what nobody handles is
 * answered by `fallbacks.ts`.
 *
 * Buttons act only in private chats, where the runtime sends them: a balance or a history must
 * not be shown to a group.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import { CALLBACK_PREFIX, parseCallback, type StarsCallback } from "../callback_data.ts";
import { describeError } from "../describe_error.ts";
import { answerCallback } from "./answer.ts";
import { checkPurchase } from "./check.ts";
import { creditsScreen } from "./credits.ts";
import { depsOf, type HandlerDeps, senderOf, translatorFor } from "./deps.ts";
import { showHistoryPage } from "./history.ts";
import { sendContentAgain, showPurchasesPage } from "./purchases.ts";
import { showSubscribersPage } from "./admin_users.ts";
import { sendScreen } from "./screen.ts";
import { buyFromButton, productsScreen } from "./stars_menu.ts";
import { changeRenewal, subscriptionsScreen } from "./subscriptions.ts";

/** Runs what the button asks for; returns the callback answer's text, if any. */
async function run(
  deps: HandlerDeps,
  ctx: Context,
  action: StarsCallback,
): Promise<string | undefined> {
  const translator = translatorFor(deps, ctx);
  const { user } = senderOf(ctx);
  switch (action.kind) {
    case "balance":
      await sendScreen(ctx, await creditsScreen(deps, translator, user.id));
      return undefined;
    case "products":
      await sendScreen(ctx, productsScreen(deps, translator));
      return undefined;
    case "buy":
      return await buyFromButton(deps, ctx, action.productId);
    case "history":
      return await showHistoryPage(deps, ctx, action.page);
    case "subscriptions":
      await sendScreen(ctx, await subscriptionsScreen(deps, translator, user.id));
      return undefined;
    case "renewal":
      return await changeRenewal(deps, ctx, action.productId, action.change);
    case "check":
      await checkPurchase(deps, ctx);
      return undefined;
    case "purchases":
      return await showPurchasesPage(deps, ctx, action.page);
    case "again":
      return await sendContentAgain(deps, ctx, action.chargeId);
    case "subscribers":
      return await showSubscribersPage(deps, ctx, action.page);
  }
}

/** The handler of the runtime's buttons; see the module doc. */
export function starsCallbackHandlers(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.on("callback_query:data", async (ctx, next) => {
    const deps = depsOf(ctx);
    const data = ctx.callbackQuery.data;
    if (!data.startsWith(CALLBACK_PREFIX)) return await next();
    const action = parseCallback(data);
    if (action === undefined || ctx.chat?.type !== "private") {
      await answerCallback(ctx, translatorFor(deps, ctx).t("callback.unknown"));
      return;
    }
    let answer: string | undefined;
    try {
      answer = await run(deps, ctx, action);
    } catch (error) {
      // Stop the spinner even so; the action's error is what gets rethrown and logged.
      await answerCallback(ctx).catch((answerError) =>
        deps.logger.error("Answering callback query {queryId} failed: {error}", {
          queryId: ctx.callbackQuery.id,
          error: describeError(answerError),
        })
      );
      throw error;
    }
    await answerCallback(ctx, answer);
  });
  return composer;
}
