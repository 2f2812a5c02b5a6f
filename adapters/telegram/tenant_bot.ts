/**
 * The grammY side of one tenant: its `Bot`, pointed at the tenant's Bot API server, with the
 * runtime's handlers installed. Handlers live here and not in the tenant actor because they are
 * about Telegram's wire format; the actor decides when updates run.
 *
 * @example
 * ```ts ignore
 * import { createTenantBot, initTenantBot } from "./tenant_bot.ts";
 * const texts = new Texts(config.texts, config.locale);
 * const bot = createTenantBot(config, texts, logger);
 * await initTenantBot(bot, texts); // getMe; throws FatalError on 401
 * await bot.handleUpdate(update);
 * ```
 * @module
 */
import { Bot, GrammyError } from "grammy";
import type { Logger } from "@logtape/logtape";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import { FatalError } from "../../actors/child.ts";
import { type Locale, locales, type Texts } from "./texts.ts";
import { describeError } from "./describe_error.ts";

/** Builds the tenant's bot; no network traffic happens until it is used. */
export function createTenantBot(config: TenantConfig, texts: Texts, logger: Logger): Bot {
  const bot = new Bot(config.token, {
    client: {
      apiRoot: config.apiRoot,
      environment: config.testEnvironment ? "test" : "prod",
    },
  });
  bot.command("start", async (ctx) => {
    const { t } = texts.forUser(ctx.from?.language_code);
    await ctx.reply(
      t("start.greeting", { name: ctx.from?.first_name ?? "", bot: ctx.me.username }),
    );
  });
  bot.catch((err) => {
    logger.error("Update {updateId} failed: {error}", {
      updateId: err.ctx.update.update_id,
      error: describeError(err.error),
    });
  });
  return bot;
}

/**
 * Calls `getMe` and registers the command menu in every locale. A 401 means the token is wrong
 * or revoked: retrying cannot help, so it becomes a {@linkcode FatalError} and the supervisor
 * parks the tenant instead of hammering Telegram.
 */
export async function initTenantBot(bot: Bot, texts: Texts): Promise<void> {
  try {
    await bot.init();
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 401) {
      throw new FatalError("Telegram rejected the bot token (401 Unauthorized)", { cause: error });
    }
    throw error;
  }
  const commands = (locale: Locale) => [
    { command: "start", description: texts.t(locale, "command.start") },
  ];
  // The list without a language is what users of every other language see.
  await bot.api.setMyCommands(commands(texts.fallback));
  for (const locale of locales) {
    await bot.api.setMyCommands(commands(locale), { language_code: locale });
  }
}
