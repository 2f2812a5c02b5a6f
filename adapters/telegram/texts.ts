/**
 * Every text a hosted bot sends, in English and Russian. A user gets their Telegram
 * `language_code` when we speak it and the tenant's `locale` otherwise; a tenant may override any
 * text in its config (`texts.en`, `texts.ru`). Placeholders are `{name}`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Texts, UnknownTextKeyError } from "./texts.ts";
 *
 * const texts = new Texts({ en: { "start.greeting": "Hi {name}!" } }, "ru");
 * assert.equal(texts.forUser("en-GB").t("start.greeting", { name: "Ann" }), "Hi Ann!");
 * // Russian keeps its default text; a language we do not speak gets the tenant's locale.
 * const russian = texts.forUser("ru").t("start.greeting", { name: "Аня", bot: "shop_bot" });
 * assert.ok(russian.startsWith("Здравствуйте, Аня! Я shop_bot."));
 * assert.equal(texts.forUser("de").locale, "ru");
 * assert.throws(() => new Texts({ en: { "start.greting": "Hi" } }, "en"), UnknownTextKeyError);
 * ```
 * @module
 */
import type { FieldIssue } from "../../config/plain_issues.ts";
import { editDistance } from "../../config/tenant_schema.ts";

/** The languages the runtime ships texts for. */
export type Locale = "en" | "ru";

const en = {
  "start.greeting":
    "Hello, {name}! I am {bot}. Send /stars to see what you can buy with Telegram Stars.",
  "start.unknown_product":
    "There is no product “{product}” here. Send /stars to see what is on sale.",
  "command.start": "Start the bot",
  "command.stars": "Balance, shop and history",
  "command.balance": "Your credit balance",
  "command.history": "Your payments and credit history",
  "command.subscriptions": "Your subscriptions",
  "command.paysupport": "Help with a payment",
  "command.terms": "Terms of sale",
  "command.refund": "Refund a payment (admins)",
  "menu.title": "⭐ Stars menu. Your balance: {balance} credits.",
  "menu.balance": "💰 Balance",
  "menu.products": "🛒 Buy",
  "menu.history": "📜 History",
  "menu.subscriptions": "🔁 Subscriptions",
  "menu.buy_stars": "⭐ Buy Stars",
  "menu.check": "✅ I bought Stars — check",
  "menu.product_button": "{title} — {price} ⭐",
  "menu.products_title": "What would you like to buy?",
  "menu.no_products": "Nothing is on sale right now.",
  "balance.text": "Your balance: {balance} credits.",
  "history.title": "History, page {page} of {pages}:",
  "history.empty": "No history yet.",
  "history.entry.deposit": "{date}: +{amount} credits ({reason}) → {balance}",
  "history.entry.charge": "{date}: −{amount} credits ({reason}) → {balance}",
  "history.entry.refund": "{date}: −{amount} credits ({reason}) → {balance}",
  "history.entry.adjustment": "{date}: {signed} credits ({reason}) → {balance}",
  "history.prev": "◀ Newer",
  "history.next": "Older ▶",
  "check.pending":
    "Your order “{title}” for {price} ⭐ is still waiting for payment. Here it is again:",
  "check.paid": "Your last order “{title}” is paid. Balance: {balance} credits.",
  "check.nothing": "You have no open order. Send /stars to buy something.",
  "invoice.subscription_link": "Subscribe to “{title}” for {price} ⭐ a month:",
  "invoice.subscribe_button": "Subscribe for {price} ⭐",
  "invoice.stars_disabled": "Payments with Stars are turned off for this bot.",
  "invoice.product_disabled": "“{title}” is not on sale right now.",
  "precheckout.unknown_order": "This invoice is not valid. Please request a new one.",
  "precheckout.expired": "This invoice has expired. Please request a new one.",
  "precheckout.wrong_currency": "This invoice must be paid in Telegram Stars.",
  "precheckout.wrong_amount": "The amount does not match the order. Please request a new invoice.",
  "precheckout.wrong_payer": "This invoice was issued to someone else.",
  "precheckout.product_disabled": "This product is no longer on sale.",
  "precheckout.already_paid": "This order is already paid.",
  "precheckout.error": "The payment could not be checked. Please try again in a minute.",
  "receipt.credits":
    "✅ Payment received: {price} ⭐ for “{title}”. {credits} credits added; your balance is {balance}.\nReceipt: {chargeId}",
  "receipt.item": "✅ Payment received: {price} ⭐ for “{title}”.\nReceipt: {chargeId}",
  "receipt.subscription": "✅ Subscription “{title}” is active until {until}.\nReceipt: {chargeId}",
  "receipt.renewal": "🔁 Subscription “{title}” renewed until {until}.\nReceipt: {chargeId}",
  "payment.double_refunded":
    "This order was already paid, so your second payment of {price} ⭐ is being refunded.\nCharge: {chargeId}",
  "payment.refunded":
    "↩️ Your payment of {price} ⭐ for “{title}” was refunded.\nCharge: {chargeId}",
  "low_balance.notice": "⚠️ Your balance is down to {balance} credits. Top up to keep going:",
  "admin.orphan":
    "⚠️ Unmatched Stars payment: {price} ⭐ from user {userId}, charge {chargeId}. {why} Nothing was granted. Refund it with /refund {chargeId} or grant it by hand.",
  "admin.orphan.unknown_order": "Its invoice payload {payload} names no order.",
  "admin.orphan.foreign_payer": "Its order {orderId} belongs to user {owner}.",
  "admin.orphan.unknown_product": "Its order's product {productId} is no longer configured.",
  "low_balance.top_up": "Top up",
  "subscriptions.title": "Your subscriptions:",
  "subscriptions.none": "You have no subscriptions.",
  "subscriptions.entry": "• {title}: {state}, until {until}",
  "subscriptions.state.active": "active, renews automatically",
  "subscriptions.state.canceled": "active, will not renew",
  "subscriptions.state.expired": "expired",
  "subscriptions.state.refunded": "refunded",
  "subscriptions.state.failed": "ended: the renewal payment failed",
  "subscriptions.cancel": "Stop renewing “{title}”",
  "subscriptions.resume": "Renew “{title}” again",
  "subscriptions.canceled": "“{title}” will not renew. It stays active until {until}.",
  "subscriptions.resumed": "“{title}” will renew automatically again.",
  "paysupport.text":
    "Payment problems? Write to us here with your receipt number and we will help. Refunds are made in Telegram Stars.",
  "terms.text":
    "Purchases are paid in Telegram Stars and delivered in this chat right after payment. Credits are used only in this bot. Refunds are possible through /paysupport.",
  "refund.usage": "Usage: /refund <charge_id>",
  "refund.not_admin": "Only this bot's administrators can refund payments.",
  "refund.unknown_charge": "No payment with charge id {chargeId} is known here.",
  "refund.done":
    "Refunded {price} ⭐ to user {userId} (charge {chargeId}); {credits} credits reversed.",
  "refund.already": "Charge {chargeId} was already refunded; nothing changed.",
  "refund.failed": "Telegram refused the refund of {chargeId}: {error}",
  "refund.not_made":
    "Telegram did not answer the refund of {chargeId}, and its transactions show no such refund: nothing was refunded or reversed. Send /refund again to retry.",
  "refund.unanswered":
    "Telegram did not answer the refund of {chargeId} ({error}), so whether it was made is not known yet. If it was, reconciliation reverses the credits; check with /reconcile, or send /refund again (a refund is never made twice).",
  "callback.unknown": "This button is no longer valid.",
  "plugin.error": "Something went wrong. The bot's operator has been told.",
  "deduct.insufficient": "Not enough credits: you need {amount}, you have {balance}. Top up:",
  "command.transactions": "Telegram Stars transactions (admins)",
  "command.revenue": "The bot's Stars balance (admins)",
  "command.reconcile": "Check payments against Telegram (admins)",
  "admin.only": "Only this bot's administrators can use this command.",
  "admin.not_configured": "This command is not set up for this bot.",
  "admin.unmatched_refund":
    "⚠️ Telegram refunded {price} ⭐ to user {userId} (charge {chargeId}), but no payment with this charge is recorded here, so nothing was taken back. Please check it by hand.",
  "admin.dead_update":
    "⚠️ Update {updateId} ({kind}) was set aside: {error}. The bot goes on with the next updates; an operator can retry or discard it (/status lists it).",
  "admin.dead_update.payment":
    "It carries a payment: reconciliation (/reconcile) credits it from Telegram's transactions.",
  "transactions.title": "Stars transactions, newest first — page {page} of {pages}:",
  "transactions.empty": "The bot has no Stars transactions yet.",
  "transactions.usage": "Usage: /transactions [page], where page 1 is the newest.",
  "transactions.no_page": "There is no page {page}: the list has {pages} page(s).",
  "transactions.entry": "{date}: {amount} ⭐ {who} — {id}",
  "transactions.user": "{name} ({userId})",
  "transactions.prev": "◀ Newer",
  "transactions.next": "Older ▶",
  "transactions.failed": "Telegram's list of transactions could not be read: {error}",
  "revenue.text": "⭐ The bot's balance: {amount} Stars.\nSource: {source}, read {age} ago.",
  "revenue.stale": "⚠️ Stale: Telegram could not be asked just now; this is the last known value.",
  "revenue.skipped": "Not used: {steps}",
  "revenue.source.mtproto_self": "MTProto (the bot itself)",
  "revenue.source.mtproto_user": "MTProto (the bot as a user)",
  "revenue.source.bot_api": "Bot API",
  "revenue.source.last_known": "last known value",
  "revenue.failed": "The bot's Stars balance is not available: {error}",
  "reconcile.done":
    "Reconciliation done: {scanned} transactions checked; {recovered} lost payments applied, {refundsApplied} refunds applied, {unmatched} unmatched, {alreadyKnown} already known.",
  "reconcile.failed": "Reconciliation failed: {error}",
  "age.seconds": "{n} s",
  "age.minutes": "{n} min",
  "age.hours": "{n} h",
  "age.days": "{n} d",
} as const;

/** The name of one text. */
export type TextKey = keyof typeof en;

const ru: Record<TextKey, string> = {
  "start.greeting":
    "Здравствуйте, {name}! Я {bot}. Отправьте /stars, чтобы посмотреть, что можно купить за Telegram Stars.",
  "start.unknown_product":
    "Товара «{product}» здесь нет. Отправьте /stars, чтобы увидеть, что продаётся.",
  "command.start": "Запустить бота",
  "command.stars": "Баланс, магазин и история",
  "command.balance": "Ваш баланс кредитов",
  "command.history": "История платежей и кредитов",
  "command.subscriptions": "Ваши подписки",
  "command.paysupport": "Помощь с оплатой",
  "command.terms": "Условия продажи",
  "command.refund": "Вернуть платёж (для администраторов)",
  "menu.title": "⭐ Меню Stars. Ваш баланс: {balance} кредитов.",
  "menu.balance": "💰 Баланс",
  "menu.products": "🛒 Купить",
  "menu.history": "📜 История",
  "menu.subscriptions": "🔁 Подписки",
  "menu.buy_stars": "⭐ Купить Stars",
  "menu.check": "✅ Я купил Stars — проверить",
  "menu.product_button": "{title} — {price} ⭐",
  "menu.products_title": "Что хотите купить?",
  "menu.no_products": "Сейчас ничего не продаётся.",
  "balance.text": "Ваш баланс: {balance} кредитов.",
  "history.title": "История, страница {page} из {pages}:",
  "history.empty": "История пока пуста.",
  "history.entry.deposit": "{date}: +{amount} кредитов ({reason}) → {balance}",
  "history.entry.charge": "{date}: −{amount} кредитов ({reason}) → {balance}",
  "history.entry.refund": "{date}: −{amount} кредитов ({reason}) → {balance}",
  "history.entry.adjustment": "{date}: {signed} кредитов ({reason}) → {balance}",
  "history.prev": "◀ Новее",
  "history.next": "Старше ▶",
  "check.pending": "Ваш заказ «{title}» на {price} ⭐ ещё ждёт оплаты. Вот он снова:",
  "check.paid": "Ваш последний заказ «{title}» оплачен. Баланс: {balance} кредитов.",
  "check.nothing": "Открытых заказов нет. Отправьте /stars, чтобы что-нибудь купить.",
  "invoice.subscription_link": "Подписка «{title}» за {price} ⭐ в месяц:",
  "invoice.subscribe_button": "Подписаться за {price} ⭐",
  "invoice.stars_disabled": "Оплата звёздами у этого бота выключена.",
  "invoice.product_disabled": "«{title}» сейчас не продаётся.",
  "precheckout.unknown_order": "Этот счёт недействителен. Запросите новый.",
  "precheckout.expired": "Срок действия счёта истёк. Запросите новый.",
  "precheckout.wrong_currency": "Этот счёт оплачивается только Telegram Stars.",
  "precheckout.wrong_amount": "Сумма не совпадает с заказом. Запросите новый счёт.",
  "precheckout.wrong_payer": "Этот счёт выставлен другому пользователю.",
  "precheckout.product_disabled": "Этот товар больше не продаётся.",
  "precheckout.already_paid": "Этот заказ уже оплачен.",
  "precheckout.error": "Не удалось проверить платёж. Попробуйте ещё раз через минуту.",
  "receipt.credits":
    "✅ Оплата получена: {price} ⭐ за «{title}». Начислено {credits} кредитов; ваш баланс: {balance}.\nЧек: {chargeId}",
  "receipt.item": "✅ Оплата получена: {price} ⭐ за «{title}».\nЧек: {chargeId}",
  "receipt.subscription": "✅ Подписка «{title}» активна до {until}.\nЧек: {chargeId}",
  "receipt.renewal": "🔁 Подписка «{title}» продлена до {until}.\nЧек: {chargeId}",
  "payment.double_refunded":
    "Этот заказ уже был оплачен, поэтому ваш второй платёж на {price} ⭐ возвращается.\nПлатёж: {chargeId}",
  "payment.refunded": "↩️ Ваш платёж {price} ⭐ за «{title}» возвращён.\nПлатёж: {chargeId}",
  "low_balance.notice": "⚠️ На балансе осталось {balance} кредитов. Пополните, чтобы продолжить:",
  "admin.orphan":
    "⚠️ Непривязанный платёж Stars: {price} ⭐ от пользователя {userId}, платёж {chargeId}. {why} Ничего не выдано. Верните его командой /refund {chargeId} или выдайте вручную.",
  "admin.orphan.unknown_order": "Его payload {payload} не соответствует ни одному заказу.",
  "admin.orphan.foreign_payer": "Его заказ {orderId} принадлежит пользователю {owner}.",
  "admin.orphan.unknown_product": "Товара {productId} из его заказа больше нет в настройках.",
  "low_balance.top_up": "Пополнить",
  "subscriptions.title": "Ваши подписки:",
  "subscriptions.none": "У вас нет подписок.",
  "subscriptions.entry": "• {title}: {state}, до {until}",
  "subscriptions.state.active": "активна, продлевается автоматически",
  "subscriptions.state.canceled": "активна, не будет продлена",
  "subscriptions.state.expired": "истекла",
  "subscriptions.state.refunded": "возвращена",
  "subscriptions.state.failed": "закончилась: оплата продления не прошла",
  "subscriptions.cancel": "Отключить продление «{title}»",
  "subscriptions.resume": "Снова продлевать «{title}»",
  "subscriptions.canceled": "«{title}» не будет продлена. Она активна до {until}.",
  "subscriptions.resumed": "«{title}» снова будет продлеваться автоматически.",
  "paysupport.text":
    "Проблемы с оплатой? Напишите нам здесь, указав номер чека, и мы поможем. Возврат производится в Telegram Stars.",
  "terms.text":
    "Покупки оплачиваются Telegram Stars и выдаются в этом чате сразу после оплаты. Кредиты действуют только в этом боте. Возврат возможен через /paysupport.",
  "refund.usage": "Использование: /refund <charge_id>",
  "refund.not_admin": "Возвращать платежи могут только администраторы бота.",
  "refund.unknown_charge": "Платёж с идентификатором {chargeId} здесь неизвестен.",
  "refund.done":
    "Возвращено {price} ⭐ пользователю {userId} (платёж {chargeId}); списано {credits} кредитов.",
  "refund.already": "Платёж {chargeId} уже был возвращён; ничего не изменилось.",
  "refund.failed": "Telegram отказал в возврате {chargeId}: {error}",
  "refund.not_made":
    "Telegram не ответил на возврат {chargeId}, и в его транзакциях такого возврата нет: ничего не возвращено и не списано. Отправьте /refund ещё раз, чтобы повторить.",
  "refund.unanswered":
    "Telegram не ответил на возврат {chargeId} ({error}), поэтому пока неизвестно, сделан ли он. Если да, сверка спишет кредиты; проверьте через /reconcile или отправьте /refund ещё раз (дважды возврат не делается).",
  "callback.unknown": "Эта кнопка больше не действует.",
  "plugin.error": "Что-то пошло не так. Оператор бота уже знает.",
  "deduct.insufficient": "Недостаточно кредитов: нужно {amount}, у вас {balance}. Пополните:",
  "command.transactions": "Транзакции Telegram Stars (для администраторов)",
  "command.revenue": "Баланс Stars бота (для администраторов)",
  "command.reconcile": "Сверить платежи с Telegram (для администраторов)",
  "admin.only": "Эта команда доступна только администраторам бота.",
  "admin.not_configured": "Эта команда не настроена для этого бота.",
  "admin.unmatched_refund":
    "⚠️ Telegram вернул {price} ⭐ пользователю {userId} (платёж {chargeId}), но такой платёж здесь не записан, поэтому ничего не списано. Проверьте его вручную.",
  "admin.dead_update":
    "⚠️ Обновление {updateId} ({kind}) отложено: {error}. Бот продолжает работу со следующими; оператор может повторить или удалить его (оно есть в /status).",
  "admin.dead_update.payment":
    "В нём платёж: сверка (/reconcile) зачислит его по транзакциям Telegram.",
  "transactions.title": "Транзакции Stars, сначала новые — страница {page} из {pages}:",
  "transactions.empty": "У бота пока нет транзакций Stars.",
  "transactions.usage": "Использование: /transactions [страница], страница 1 — самые новые.",
  "transactions.no_page": "Страницы {page} нет: в списке страниц — {pages}.",
  "transactions.entry": "{date}: {amount} ⭐ {who} — {id}",
  "transactions.user": "{name} ({userId})",
  "transactions.prev": "◀ Новее",
  "transactions.next": "Старше ▶",
  "transactions.failed": "Не удалось получить список транзакций от Telegram: {error}",
  "revenue.text": "⭐ Баланс бота: {amount} Stars.\nИсточник: {source}, получено {age} назад.",
  "revenue.stale": "⚠️ Устарело: Telegram сейчас не ответил; это последнее известное значение.",
  "revenue.skipped": "Не использовано: {steps}",
  "revenue.source.mtproto_self": "MTProto (сам бот)",
  "revenue.source.mtproto_user": "MTProto (бот как пользователь)",
  "revenue.source.bot_api": "Bot API",
  "revenue.source.last_known": "последнее известное значение",
  "revenue.failed": "Баланс Stars бота недоступен: {error}",
  "reconcile.done":
    "Сверка завершена: проверено транзакций — {scanned}; восстановлено потерянных платежей — {recovered}, применено возвратов — {refundsApplied}, без пары — {unmatched}, уже известно — {alreadyKnown}.",
  "reconcile.failed": "Сверка не удалась: {error}",
  "age.seconds": "{n} с",
  "age.minutes": "{n} мин",
  "age.hours": "{n} ч",
  "age.days": "{n} дн",
};

/** The locales in the order `setMyCommands` registers them. */
export const locales: readonly Locale[] = ["en", "ru"];

/** Picks the user's locale from their Telegram `language_code` ("ru", "ru-RU", "en-GB" …). */
export function pickLocale(languageCode: string | undefined, fallback: Locale): Locale {
  const base = languageCode?.toLowerCase().split("-")[0];
  return base === "en" || base === "ru" ? base : fallback;
}

/** The `{placeholders}` a text uses, in order of first use. */
function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]))];
}

/**
 * What is wrong with a tenant's text overrides, one issue per key: a key that is not a text
 * (with the closest key as a hint), or a `{placeholder}` the text's defaults never fill. The
 * allowed placeholders of a key are those its default texts use in either language.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textOverrideIssues } from "./texts.ts";
 *
 * assert.deepEqual(textOverrideIssues({ en: { "balance.text": "Balance: {balanse}" } }), [{
 *   path: "texts.en.balance.text",
 *   message: 'unknown placeholder {balanse}; this text can use only {balance}',
 * }]);
 * assert.match(textOverrideIssues({ ru: { "start.greting": "Hi" } })[0].message, /did you mean "start.greeting"/);
 * ```
 */
export function textOverrideIssues(
  overrides: Partial<Record<string, Record<string, string> | undefined>>,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const keys = Object.keys(en);
  for (const locale of locales) {
    for (const [key, value] of Object.entries(overrides[locale] ?? {})) {
      const path = `texts.${locale}.${key}`;
      if (!Object.hasOwn(en, key)) {
        const closest = keys
          .map((name) => ({ name, distance: editDistance(key.toLowerCase(), name) }))
          .sort((a, b) => a.distance - b.distance)[0];
        const hint = closest.distance <= 3 ? ` (did you mean "${closest.name}"?)` : "";
        issues.push({
          path,
          message: `no such text${hint}; the keys are listed in adapters/telegram/texts.ts`,
        });
        continue;
      }
      const allowed = new Set([
        ...placeholdersOf(en[key as TextKey]),
        ...placeholdersOf(ru[key as TextKey]),
      ]);
      const unknown = placeholdersOf(value).filter((name) => !allowed.has(name));
      if (unknown.length === 0) continue;
      const names = unknown.map((name) => `{${name}}`).join(", ");
      const can = allowed.size === 0
        ? "this text has no placeholders"
        : `this text can use only ${[...allowed].map((name) => `{${name}}`).join(", ")}`;
      issues.push({
        path,
        message: `unknown placeholder${unknown.length === 1 ? "" : "s"} ${names}; ${can}`,
      });
    }
  }
  return issues;
}

/** Thrown when a tenant overrides a text that does not exist (most likely a typo). */
export class UnknownTextKeyError extends Error {}

/** The texts of one tenant: the defaults with that tenant's overrides applied. */
export class Texts {
  readonly #table: Record<Locale, Record<TextKey, string>>;
  readonly fallback: Locale;

  constructor(overrides: Partial<Record<Locale, Record<string, string>>>, fallback: Locale) {
    this.fallback = fallback;
    this.#table = { en: { ...en }, ru: { ...ru } };
    for (const locale of locales) {
      for (const [key, value] of Object.entries(overrides[locale] ?? {})) {
        if (!(key in en)) {
          throw new UnknownTextKeyError(
            `texts.${locale}.${key}: no such text; known keys: ${Object.keys(en).join(", ")}`,
          );
        }
        this.#table[locale][key as TextKey] = value;
      }
    }
  }

  /** The text `key` in `locale`, with `{placeholders}` filled from `vars`. */
  t(locale: Locale, key: TextKey, vars: Record<string, string | number> = {}): string {
    return this.#table[locale][key].replace(
      /\{(\w+)\}/g,
      (whole, name: string) => name in vars ? String(vars[name]) : whole,
    );
  }

  /** A translator bound to one user's language. */
  forUser(languageCode: string | undefined): {
    locale: Locale;
    t(key: TextKey, vars?: Record<string, string | number>): string;
  } {
    const locale = pickLocale(languageCode, this.fallback);
    return { locale, t: (key, vars) => this.t(locale, key, vars) };
  }
}
