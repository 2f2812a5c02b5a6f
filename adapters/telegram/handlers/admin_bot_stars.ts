/**
 * The admins' view of the bot's own Stars, for the tenant's admins (`config.admins`) only:
 *
 * - `/transactions [page]` — Telegram's list of the bot's Stars transactions, newest first,
 *   with "Newer" / "Older" buttons (`star_transactions_screen.ts`);
 * - `/revenue` — the bot's Stars balance in plain words: which source answered (Telegram asked
 *   as the bot or as a user, the Bot API, or the last known value), how long ago, and whether
 *   it is stale;
 * - `/reconcile` — runs the reconciliation now (`money/reconciliation/reconciler.ts`) and reports its counts.
 *
 * Anyone else gets `admin.only` and nothing is looked up. The bot's Stars (`botStars`, the
 * BalanceActor's client) and the reconciler are optional parts of the handler deps; without
 * them the commands say they are not set up rather than fail.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import type { BotStars } from "../../../money/ports.ts";
import type { ReconcileReport } from "../../../money/reconciliation/reconciler.ts";
import { parseCallback } from "../callback_data.ts";
import { describeError } from "../describe_error.ts";
import { answerCallback } from "./answer.ts";
import { depsOf, type HandlerDeps, isAdmin, type Translator, translatorFor } from "./deps.ts";
import { editScreen, sendScreen } from "./screen.ts";
import { type TransactionsScreen, transactionsScreen } from "./star_transactions_screen.ts";
import { formatAge, formatStars } from "./stars_format.ts";

/** A page argument: 1 to 999 999 999, like the buttons' pages. */
const PAGE_ARGUMENT = /^[1-9][0-9]{0,8}$/;

/**
 * The translator for the sender when they are one of the tenant's admins; `undefined` (after
 * logging the attempt) when not.
 */
function adminTranslator(deps: HandlerDeps, ctx: Context, what: string): Translator | undefined {
  return isAdmin(deps, ctx, what) ? translatorFor(deps, ctx) : undefined;
}

/** The `/revenue` text: balance, which source answered and how long ago, and whether stale. */
export async function revenueText(
  botStars: Pick<BotStars, "balance">,
  tenantId: string,
  translator: Translator,
): Promise<string> {
  const { t } = translator;
  const star = await botStars.balance(tenantId);
  const lines = [
    t("revenue.text", {
      amount: formatStars(star.amount, star.nanostarAmount),
      source: t(`revenue.source.${star.source}`),
      age: formatAge(translator, star.ageMs),
    }),
  ];
  // The sources that gave nothing are the operator's business (they are logged, with their
  // reasons); the admin hears which one answered, how long ago, and whether it is stale.
  if (star.stale) lines.push(t("revenue.stale"));
  return lines.join("\n");
}

/** The `/reconcile` report. */
export function reconcileText({ t }: Translator, report: ReconcileReport): string {
  return t("reconcile.done", { ...report });
}

/** `/transactions`, `/revenue` and `/reconcile`; install in private chats only. */
export function adminBotStarsHandlers(): Composer<Context> {
  const composer = new Composer<Context>();

  composer.command("transactions", async (ctx) => {
    const deps = depsOf(ctx);
    const translator = adminTranslator(deps, ctx, "/transactions");
    if (translator === undefined) return await ctx.reply(translatorFor(deps, ctx).t("admin.only"));
    const { t } = translator;
    if (deps.botStars === undefined) return await ctx.reply(t("admin.not_configured"));
    const argument = ctx.match.trim();
    if (argument !== "" && !PAGE_ARGUMENT.test(argument)) {
      return await ctx.reply(t("transactions.usage"));
    }
    const page = argument === "" ? 1 : Number(argument);
    try {
      const found = await transactionsScreen(deps, deps.botStars, translator, page);
      if (found.kind === "page") await sendScreen(ctx, found.screen);
      else await ctx.reply(t("transactions.no_page", { page, pages: found.pages }));
    } catch (error) {
      await ctx.reply(t("transactions.failed", { error: describeError(error) }));
    }
  });

  composer.command("revenue", async (ctx) => {
    const deps = depsOf(ctx);
    const translator = adminTranslator(deps, ctx, "/revenue");
    if (translator === undefined) return await ctx.reply(translatorFor(deps, ctx).t("admin.only"));
    const { t } = translator;
    if (deps.botStars === undefined) return await ctx.reply(t("admin.not_configured"));
    let text: string;
    try {
      text = await revenueText(deps.botStars, deps.config.id, translator);
    } catch (error) {
      text = t("revenue.failed", { error: describeError(error) });
    }
    await ctx.reply(text);
  });

  composer.command("reconcile", async (ctx) => {
    const deps = depsOf(ctx);
    const translator = adminTranslator(deps, ctx, "/reconcile");
    if (translator === undefined) return await ctx.reply(translatorFor(deps, ctx).t("admin.only"));
    const { t } = translator;
    if (deps.reconciler === undefined) return await ctx.reply(t("admin.not_configured"));
    let text: string;
    try {
      text = reconcileText(translator, await deps.reconciler.run());
    } catch (error) {
      deps.logger.error("Reconciliation asked by an admin failed: {error}", {
        error: describeError(error),
      });
      text = t("reconcile.failed", { error: describeError(error) });
    }
    await ctx.reply(text);
  });

  return composer;
}

/**
 * The "Newer" / "Older" buttons of `/transactions` (`stars:tx:<page>`), answered here so that
 * the runtime's button handler (`callbacks.ts`) never sees them; every other callback query
 * passes on. Install before that handler. The page is written over the pressed one; a page
 * that no longer exists gets `callback.unknown`, a failed read the error as the answer.
 */
export function adminTransactionButtons(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.on("callback_query:data", async (ctx, next) => {
    const deps = depsOf(ctx);
    const action = parseCallback(ctx.callbackQuery.data);
    if (action?.kind !== "transactions") return await next();
    if (ctx.chat?.type !== "private") {
      return await answerCallback(ctx, translatorFor(deps, ctx).t("callback.unknown"));
    }
    const translator = adminTranslator(deps, ctx, "a /transactions button");
    if (translator === undefined) {
      return await answerCallback(ctx, translatorFor(deps, ctx).t("admin.only"));
    }
    const { t } = translator;
    if (deps.botStars === undefined) return await answerCallback(ctx, t("admin.not_configured"));
    let found: TransactionsScreen;
    try {
      found = await transactionsScreen(deps, deps.botStars, translator, action.page);
    } catch (error) {
      return await answerCallback(ctx, t("transactions.failed", { error: describeError(error) }));
    }
    if (found.kind === "no_page") return await answerCallback(ctx, t("callback.unknown"));
    await editScreen(ctx, found.screen);
    await answerCallback(ctx);
  });
  return composer;
}
