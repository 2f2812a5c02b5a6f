/**
 * `/history` (and the menu's history button): the user's ledger, newest first, a page at a
 * time, with "Newer" / "Older" buttons. Dates are UTC, `YYYY-MM-DD HH:MM`, because the bot does
 * not know the user's time zone.
 *
 * Paging writes over the page whose button was pressed; the menu's history button sends a new
 * message, so the menu stays usable.
 *
 * @module
 */
import { Composer, type Context } from "grammy";
import type { MaybeInaccessibleMessage } from "grammy/types";
import type { LedgerEntry } from "../../../money/stores/ledger.ts";
import { encodeCallback, parseCallback } from "../callback_data.ts";
import { depsOf, type HandlerDeps, senderOf, type Translator, translatorFor } from "./deps.ts";
import { editScreen, keyboard, pageButtons, type Screen, sendScreen } from "./screen.ts";

/**
 * Reasons come from plugins and may be long; clipped so a full page of entries stays well
 * inside Telegram's 4096 characters per message.
 */
const MAX_REASON_LENGTH = 200;

/** A moment as `YYYY-MM-DD HH:MM`, in UTC. */
export function formatHistoryDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

function clip(text: string): string {
  return text.length <= MAX_REASON_LENGTH ? text : `${text.slice(0, MAX_REASON_LENGTH - 1)}…`;
}

function entryLine({ t }: Translator, entry: LedgerEntry): string {
  const amount = Math.abs(entry.amount);
  return t(`history.entry.${entry.kind}`, {
    date: formatHistoryDate(entry.createdAt),
    amount,
    // Adjustments go either way, so their text shows the sign (U+2212 like the other texts), and
    // the amount stays a number, for its plural form.
    sign: entry.amount < 0 ? "−" : "+",
    reason: clip(entry.reason),
    balance: entry.balanceAfter,
  });
}

/**
 * Page `page` (from 1) of the history of `userId`, or `undefined` when there is no such page
 * (a stale or forged button).
 */
export async function historyScreen(
  deps: Pick<HandlerDeps, "payments">,
  translator: Translator,
  userId: number,
  page: number,
): Promise<Screen | undefined> {
  const { t } = translator;
  const history = await deps.payments.credits.history(userId, page);
  if (page > history.pages) return undefined;
  if (history.total === 0) return { text: t("history.empty") };
  const lines = history.entries.map((entry) => entryLine(translator, entry));
  const navigation = pageButtons(
    { prev: t("history.prev"), next: t("history.next") },
    page,
    history.pages,
    (to) => encodeCallback({ kind: "history", page: to }),
  );
  return {
    text: [t("history.title", { page, pages: history.pages }), ...lines].join("\n"),
    reply_markup: keyboard([navigation]),
  };
}

/** True when every button of `message` pages the history: it is a history page, not the menu. */
function isHistoryPage(message: MaybeInaccessibleMessage | undefined): boolean {
  const buttons = message !== undefined && "reply_markup" in message
    ? message.reply_markup?.inline_keyboard.flat() ?? []
    : [];
  return buttons.length > 0 &&
    buttons.every((button) =>
      "callback_data" in button && parseCallback(button.callback_data)?.kind === "history"
    );
}

/**
 * A history button was pressed: shows page `page`, over the pressed page or as a new message
 * (see the module doc). Returns the callback answer's text: `callback.unknown` for a page that
 * does not exist, else nothing.
 */
export async function showHistoryPage(
  deps: HandlerDeps,
  ctx: Context,
  page: number,
): Promise<string | undefined> {
  const { user } = senderOf(ctx);
  const translator = translatorFor(deps, ctx);
  const screen = await historyScreen(deps, translator, user.id, page);
  if (screen === undefined) return translator.t("callback.unknown");
  if (isHistoryPage(ctx.callbackQuery?.message)) await editScreen(ctx, screen);
  else await sendScreen(ctx, screen);
  return undefined;
}

/** The `/history` handler: the first (newest) page. */
export function historyHandlers(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command("history", async (ctx) => {
    const deps = depsOf(ctx);
    const { user } = senderOf(ctx);
    // Page 1 always exists (an empty history is "page 1 of 1").
    const screen = await historyScreen(deps, translatorFor(deps, ctx), user.id, 1);
    if (screen !== undefined) await sendScreen(ctx, screen);
  });
  return composer;
}
