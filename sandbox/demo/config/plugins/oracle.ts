/**
 * The demo's plugin bot: an oracle that answers questions for 3 credits each. It shows a plugin's
 * whole contract: handlers on the tenant's composer, `stars.deduct` that refuses an overdraft,
 * `stars.offer` that sends a real Stars invoice when the user is short, and the tenant's logger.
 * Like every plugin it runs in a worker (one per plugin file), which may read this folder and
 * nothing else: its replies, deductions and offers are made for it by the tenant, over the
 * message protocol.
 *
 * @example
 * ```text
 * /ask Will it rain tomorrow?
 * ```
 * @module
 */
import type { Plugin } from "../../../../adapters/plugins/plugin_api.ts";

/** What one answer costs, in credits. */
const price = 3;

const answers = {
  en: ["Yes, without a doubt.", "Ask again after tea.", "The stars say no.", "Most likely."],
  ru: ["Да, без сомнения.", "Спросите после чая.", "Звёзды говорят «нет».", "Скорее всего."],
};

/** The word for credits in each plural category (`Intl.PluralRules`): 1 кредит, 3 кредита, 5 кредитов. */
const creditWords: Record<"en" | "ru", Partial<Record<Intl.LDMLPluralRule, string>>> = {
  en: { one: "credit", other: "credits" },
  ru: { one: "кредит", few: "кредита", many: "кредитов", other: "кредита" },
};

/** `n` credits, in the plural form `language` needs. */
function credits(n: number, language: "en" | "ru"): string {
  const words = creditWords[language];
  return `${n} ${words[new Intl.PluralRules(language).select(n)] ?? words.other}`;
}

/** The same question always gets the same answer: the oracle is many things, not fickle. */
function answerFor(question: string, language: "en" | "ru"): string {
  let hash = 0;
  for (const char of question.toLowerCase()) hash = (hash * 31 + char.codePointAt(0)!) >>> 0;
  const list = answers[language];
  return list[hash % list.length];
}

const oracle: Plugin = (bot, stars, tenant) => {
  bot.command("ask", async (ctx) => {
    const language = ctx.from?.language_code?.startsWith("ru") ? "ru" : "en";
    const question = ctx.match.trim();
    if (!ctx.from || question === "") {
      await ctx.reply(
        language === "ru"
          ? "Спросите так: /ask Будет ли дождь?"
          : "Ask like this: /ask Will it rain?",
      );
      return;
    }
    const spent = await stars.deduct(ctx.from.id, price, {
      reason: language === "ru" ? "вопрос оракулу" : "a question to the oracle",
      idempotencyKey: `ask:${ctx.update.update_id}`,
      languageCode: ctx.from.language_code,
      chatId: ctx.chat.id,
    });
    if (!spent.ok) {
      await ctx.reply(
        language === "ru"
          ? `Нужно ещё ${credits(spent.shortfall, language)} (баланс ${spent.balance}).`
          : `You need ${credits(spent.shortfall, language)} more (balance ${spent.balance}).`,
      );
      if (spent.offer) {
        await stars.offer(ctx.from.id, ctx.chat.id, spent.offer.id, ctx.from.language_code);
      }
      return;
    }
    tenant.logger.info("Answered a question for {userId}.", { userId: ctx.from.id });
    await ctx.reply(
      `🔮 ${answerFor(question, language)} (−${price}, ${
        language === "ru" ? "баланс" : "balance"
      } ${spent.balance})`,
    );
  });
};

export default oracle;
