/**
 * The admins' view of the bot's buyers, for the tenant's admins (`config.admins`) only:
 * - `/subscribers [page]` — every subscription, the latest to end first, ten a page: the user,
 *   the product, its state and when it renews or ends, with "Newer" / "Older" buttons;
 * - `/user <id or @username>` — one user's credits, payments (with a **Refund** button for each
 *   one not refunded, `refund_buttons.ts`) and subscriptions. A `@username` is known once its
 *   user has paid or written to support.
 * Anyone else gets `admin.only` and nothing is looked up.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import type { Subscription } from "../../../money/stores/subscription_records.ts";
import { formatMoment } from "../../../money/payments/parts.ts";
import { refundButtonRow } from "../../../money/payments/refund_button.ts";
import { encodeCallback } from "../callback_data.ts";
import {
  depsOf,
  type HandlerDeps,
  isAdmin,
  productTitle,
  type Translator,
  translatorFor,
} from "./deps.ts";
import { paymentLine } from "./purchases.ts";
import { editScreen, keyboard, pageButtons, type Screen, sendScreen } from "./screen.ts";

/** Subscriptions per page of `/subscribers`. */
export const SUBSCRIBERS_PAGE_SIZE = 10;

/** A page argument: 1 to 999 999 999, like the buttons' pages. */
const PAGE_ARGUMENT = /^[1-9][0-9]{0,8}$/;

/** Payments `/user` lists, newest first. */
const USER_PAYMENTS_SHOWN = 20;

/** When a subscription renews or ends, in words. */
function whenText(
  { t }: Translator,
  subscription: Subscription,
): string {
  const date = formatMoment(subscription.expiresAt);
  if (subscription.state === "active") return t("subscribers.when.active", { date });
  if (subscription.state === "canceled") return t("subscribers.when.canceled", { date });
  return t("subscribers.when.ended", {
    state: t(`subscriptions.state.${subscription.state}`),
    date,
  });
}

/** Page `page` (from 1) of every subscriber; past the last page, the last one. */
export async function subscribersScreen(
  deps: Pick<HandlerDeps, "config" | "payments">,
  translator: Translator,
  page: number,
): Promise<Screen> {
  const { t, locale } = translator;
  const first = await deps.payments.subscriptions.subscribers(page, SUBSCRIBERS_PAGE_SIZE);
  if (first.total === 0) return { text: t("subscribers.none") };
  const pages = Math.ceil(first.total / SUBSCRIBERS_PAGE_SIZE);
  const shown = Math.min(page, pages);
  const { subscriptions } = shown === page
    ? first
    : await deps.payments.subscriptions.subscribers(shown, SUBSCRIBERS_PAGE_SIZE);
  const lines = subscriptions.map((subscription) =>
    t("subscribers.entry", {
      user: String(subscription.userId),
      title: productTitle(deps, locale, subscription.productId),
      when: whenText(translator, subscription),
    })
  );
  const navigation = pageButtons(
    { prev: t("history.prev"), next: t("history.next") },
    shown,
    pages,
    (to) => encodeCallback({ kind: "subscribers", page: to }),
  );
  return {
    text: [t("subscribers.title", { page: shown, pages }), ...lines].join("\n"),
    reply_markup: keyboard([navigation]),
  };
}

/** A page button of `/subscribers`: admins only; the page is drawn over the old one. */
export async function showSubscribersPage(
  deps: HandlerDeps,
  ctx: Context,
  page: number,
): Promise<string | undefined> {
  const translator = translatorFor(deps, ctx);
  if (!isAdmin(deps, ctx, "a /subscribers button")) return translator.t("admin.only");
  await editScreen(ctx, await subscribersScreen(deps, translator, page));
  return undefined;
}

/** One user as `/user` shows them, or why not. */
async function userScreen(
  deps: HandlerDeps,
  translator: Translator,
  who: string,
): Promise<Screen> {
  const { t, locale } = translator;
  const userId = /^[1-9][0-9]{0,15}$/.test(who)
    ? Number(who)
    : /^@?[A-Za-z0-9_]{3,32}$/.test(who)
    ? await deps.payments.purchases.userByUsername(who.replace(/^@/, ""))
    : undefined;
  if (userId === undefined) return { text: t("user.unknown", { who }) };
  const payments = await deps.payments.purchases.paymentsOf(userId);
  const subscriptions = await deps.payments.subscriptions.list(userId);
  const credits = await deps.payments.credits.balance(userId);
  if (payments.length === 0 && subscriptions.length === 0 && credits === 0) {
    return { text: t("user.unknown", { who }) };
  }
  const shown = payments.slice(0, USER_PAYMENTS_SHOWN);
  const lines = [
    t("user.title", { userId: String(userId), balance: credits }),
    t("user.payments"),
    ...(shown.length === 0
      ? [t("user.no_payments")]
      : shown.map((payment) => `${paymentLine(deps, translator, payment)} — ${payment.chargeId}`)),
  ];
  if (subscriptions.length > 0) {
    lines.push(t("user.subscriptions"));
    for (const subscription of subscriptions) {
      lines.push(t("user.subscription", {
        title: productTitle(deps, locale, subscription.productId),
        when: whenText(translator, subscription),
      }));
    }
  }
  const refunds = shown
    .filter((payment) => payment.refundedAt === undefined)
    .map((payment) =>
      refundButtonRow(
        t("refund.button", {
          title: productTitle(deps, locale, payment.productId ?? "—"),
          amount: payment.amount,
        }),
        payment.chargeId,
      )
    );
  return { text: lines.join("\n"), reply_markup: keyboard(refunds) };
}

/** `/subscribers` and `/user`; install in private chats only. */
export function adminUserHandlers(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("subscribers", async (ctx) => {
    const deps = depsOf(ctx);
    const translator = translatorFor(deps, ctx);
    if (!isAdmin(deps, ctx, "/subscribers")) return await ctx.reply(translator.t("admin.only"));
    const argument = ctx.match.trim();
    const page = PAGE_ARGUMENT.test(argument) ? Number(argument) : 1;
    await sendScreen(ctx, await subscribersScreen(deps, translator, page));
  });
  composer.command("user", async (ctx) => {
    const deps = depsOf(ctx);
    const translator = translatorFor(deps, ctx);
    if (!isAdmin(deps, ctx, "/user")) return await ctx.reply(translator.t("admin.only"));
    const who = ctx.match.trim();
    if (who === "" || /\s/.test(who)) return await ctx.reply(translator.t("user.usage"));
    await sendScreen(ctx, await userScreen(deps, translator, who));
  });
  return composer;
}
