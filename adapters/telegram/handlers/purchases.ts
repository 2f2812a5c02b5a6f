/**
 * `/purchases`: what the buyer bought (items, credit packs, subscriptions and their renewals),
 * newest first, ten per page, with dates; each item not refunded has a button that sends its
 * content again (`stars:again:<chargeId>`), so a buyer who lost the message loses nothing.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import type { PaymentRecord } from "../../../money/stores/payment_records.ts";
import { encodeCallback } from "../callback_data.ts";
import {
  depsOf,
  type HandlerDeps,
  productTitle,
  senderOf,
  type Translator,
  translatorFor,
} from "./deps.ts";
import { formatHistoryDate } from "./history.ts";
import { editScreen, keyboard, pageButtons, type Screen, sendScreen } from "./screen.ts";

/** Purchases per page of `/purchases`. */
export const PURCHASES_PAGE_SIZE = 10;

/** One purchase or payment as a line: date, product, Stars, what it was, refunded or not. */
export function paymentLine(
  deps: Pick<HandlerDeps, "config">,
  { t, locale }: Translator,
  payment: PaymentRecord,
): string {
  const vars = {
    date: formatHistoryDate(payment.paidAt),
    title: productTitle(deps, locale, payment.productId ?? "—"),
    amount: payment.amount,
    kind: t(`purchase.kind.${payment.kind}`),
  };
  return t(payment.refundedAt === undefined ? "purchases.entry" : "purchases.entry.refunded", vars);
}

/** Page `page` (from 1) of the buyer's purchases; past the last page, the last one. */
export async function purchasesScreen(
  deps: Pick<HandlerDeps, "config" | "payments">,
  translator: Translator,
  userId: number,
  page: number,
): Promise<Screen> {
  const { t, locale } = translator;
  const purchases = await deps.payments.purchases.ofUser(userId);
  if (purchases.length === 0) return { text: t("purchases.none") };
  const pages = Math.ceil(purchases.length / PURCHASES_PAGE_SIZE);
  const shown = Math.min(page, pages);
  const onPage = purchases.slice((shown - 1) * PURCHASES_PAGE_SIZE, shown * PURCHASES_PAGE_SIZE);
  const again = onPage
    .filter((p) => p.kind === "item" && p.refundedAt === undefined && p.productId !== undefined)
    .map((p) => [{
      text: t("purchases.again", { title: productTitle(deps, locale, p.productId!) }),
      callback_data: encodeCallback({ kind: "again", chargeId: p.chargeId }),
    }]);
  const navigation = pageButtons(
    { prev: t("history.prev"), next: t("history.next") },
    shown,
    pages,
    (to) => encodeCallback({ kind: "purchases", page: to }),
  );
  const lines = onPage.map((payment) => paymentLine(deps, translator, payment));
  return {
    text: [t("purchases.title", { page: shown, pages }), ...lines].join("\n"),
    reply_markup: keyboard([...again, navigation]),
  };
}

/** A page button of `/purchases` was pressed: the page is drawn over the old one. */
export async function showPurchasesPage(
  deps: HandlerDeps,
  ctx: Context,
  page: number,
): Promise<undefined> {
  const { user } = senderOf(ctx);
  await editScreen(ctx, await purchasesScreen(deps, translatorFor(deps, ctx), user.id, page));
  return undefined;
}

/**
 * An item's "again" button: sends its content once more. Returns the callback answer: nothing
 * when sent, why not otherwise (refunded; not the presser's purchase, or gone: a stale button).
 */
export async function sendContentAgain(
  deps: HandlerDeps,
  ctx: Context,
  chargeId: string,
): Promise<string | undefined> {
  const { user } = senderOf(ctx);
  const { t } = translatorFor(deps, ctx);
  const found = await deps.payments.purchases.contentAgain(user.id, chargeId);
  switch (found.kind) {
    case "content":
      await ctx.reply(found.content);
      return undefined;
    case "refunded":
      return t("purchases.refunded");
    case "unknown":
    case "no_content":
      return t("callback.unknown");
  }
}

/** The `/purchases` handler. */
export function purchasesHandlers(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("purchases", async (ctx) => {
    const deps = depsOf(ctx);
    const { user } = senderOf(ctx);
    await sendScreen(ctx, await purchasesScreen(deps, translatorFor(deps, ctx), user.id, 1));
  });
  return composer;
}
