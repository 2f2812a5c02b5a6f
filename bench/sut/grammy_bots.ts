/**
 * The baseline: the same bots written as plain grammY `Bot`s, all in one process, each started
 * with `bot.start()` — what one would write without Constellation. They answer text with the
 * same reply plugin the tenants use, send an invoice for `/start buy_<product>`, approve every
 * pre-checkout query and thank for each payment, with no storage at all.
 *
 * @example
 * ```ts ignore
 * import { startGrammyBots } from "./grammy_bots.ts";
 * const bots = startGrammyBots(plan);
 * ```
 * @module
 */
import { Bot } from "grammy";
import reply from "../config/plugins/reply.ts";
import { BENCH_PRODUCT, type SutPlan } from "./plan.ts";

/** Builds one baseline bot with its handlers; nothing runs until `start()`. */
function baselineBot(token: string, apiRoot: string): Bot {
  const bot = new Bot(token, { client: { apiRoot } });
  bot.command("start", async (ctx) => {
    if (ctx.match !== `buy_${BENCH_PRODUCT.id}`) return void await ctx.reply("Hello!");
    await ctx.replyWithInvoice(
      BENCH_PRODUCT.title,
      BENCH_PRODUCT.description,
      `order:${ctx.update.update_id}`,
      "XTR",
      [{ label: BENCH_PRODUCT.title, amount: BENCH_PRODUCT.price }],
    );
  });
  bot.on("pre_checkout_query", (ctx) => ctx.answerPreCheckoutQuery(true));
  bot.on("message:successful_payment", async (ctx) => {
    await ctx.reply(`${BENCH_PRODUCT.credits} credits added.`);
  });
  reply(bot);
  // Without a catch, bot.start() stops polling at the first failed handler.
  bot.catch((error) => console.error(`baseline bot: ${error.message}`));
  return bot;
}

/**
 * Starts every bot of the plan with `bot.start()` (which polls until the process exits) and
 * returns them.
 *
 * @example
 * ```ts ignore
 * const bots = startGrammyBots(plan);
 * ```
 */
export function startGrammyBots(plan: SutPlan): Bot[] {
  return plan.bots.map(({ token }) => {
    const bot = baselineBot(token, plan.apiRoot);
    bot.start().catch((error) => console.error(`baseline bot stopped: ${error}`));
    return bot;
  });
}
