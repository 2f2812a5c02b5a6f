/**
 * The grammY side of one tenant: its `Bot`, pointed at the tenant's Bot API server, with the
 * runtime's handlers installed (`handlers/mod.ts`). Handlers live in the adapter and not in the
 * tenant actor because they are about Telegram's wire format; the actor decides when updates
 * run, and catches what `bot.handleUpdate` throws (grammY's `bot.catch` applies only to
 * `bot.start()`, which the runtime does not use).
 *
 * Building the bot is split in steps because the payment service needs `bot.api` and the
 * handlers need the payment service, and because a tenant's plugin goes between the runtime's
 * handlers and the fallbacks.
 *
 * The order, as the tenant actor runs it: `createBot(config)`, the payment service over
 * `bot.api`, `installTenantHandlers(bot, deps)`, the plugin's `bot.use(…)`, `installFallbacks`,
 * then `initTenantBot` before the first `bot.handleUpdate(update)`.
 *
 * @example Starting a bot against the sandbox
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBot, initTenantBot } from "./tenant_bot.ts";
 * import { Texts } from "./texts.ts";
 * import { FatalError } from "../../actors/kernel/child.ts";
 * import { parseTenant } from "../../config/load_tenants.ts";
 * import { Sandbox } from "../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot({ username: "shop_bot" });
 * const parsed = parseTenant(
 *   { token: "env:SHOP_TOKEN", apiRoot: sandbox.apiRoot, admins: [42] },
 *   { id: "shop", source: "shop.json", configDir: ".", env: () => shop.token },
 * );
 * assert.ok(parsed.ok);
 * const config = parsed.tenant;
 * const texts = new Texts(config.texts, config.locale);
 *
 * const bot = createBot(config); // no request yet
 * await initTenantBot(bot, texts, config);
 * assert.equal(bot.botInfo.username, "shop_bot");
 * assert.equal(shop.commands({ type: "default" }, "en")[0].command, "start");
 * assert.ok(shop.commands({ type: "chat", chat_id: 42 }).some((c) => c.command === "refund"));
 *
 * // A token Telegram rejects is fatal: the supervisor parks the tenant instead of retrying.
 * sandbox.revokeToken(shop.token);
 * await assert.rejects(initTenantBot(createBot(config), texts, config), FatalError);
 * ```
 * @module
 */
import { type ApiClientOptions, Bot, GrammyError } from "grammy";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import { FatalError } from "../../actors/kernel/child.ts";
import { nativeFetch } from "./native_fetch.ts";
import type { Texts } from "./texts.ts";
import { commandRegistrations } from "./commands.ts";
import { fallbackHandlers, type HandlerDeps, tenantHandlers } from "./handlers/mod.ts";

/**
 * Builds the tenant's bot without handlers; no network traffic happens until it is used.
 */
export function createBot(config: TenantConfig): Bot {
  return new Bot(config.token, { client: botClientOptions(config) });
}

/**
 * Where a tenant's Bot API calls go: its API root, and Telegram's test environment when the
 * tenant asks for it. Shared by the bot and the balance actor's own client.
 */
export function botClientOptions(
  config: Pick<TenantConfig, "apiRoot" | "testEnvironment">,
): ApiClientOptions {
  return {
    apiRoot: config.apiRoot,
    environment: config.testEnvironment ? "test" : "prod",
    fetch: nativeFetch,
  };
}

/**
 * Installs the runtime's handlers: commands, the Stars menu, `/refund` and the payment
 * updates. Install them before the plugin. Throws a `FatalError` for a product id too long for
 * its buttons.
 */
export function installTenantHandlers(bot: Bot, deps: HandlerDeps): void {
  bot.use(tenantHandlers(deps));
}

/**
 * Installs what runs when nothing else handled an update (answering stray callback queries).
 * Install it last, after the plugin.
 */
export function installFallbacks(bot: Bot, texts: Texts): void {
  bot.use(fallbackHandlers(texts));
}

/**
 * Calls `getMe` and registers the command menu (`commands.ts`: every locale, plus `/refund` in
 * each admin's chat). A 401 means the token is wrong or revoked: retrying cannot help, so it
 * becomes a {@linkcode FatalError} and the supervisor parks the tenant instead of hammering
 * Telegram.
 */
export async function initTenantBot(
  bot: Bot,
  texts: Texts,
  config: Pick<TenantConfig, "admins">,
): Promise<void> {
  try {
    // Not bot.init(): it retries getMe forever on network errors, which would hang the start
    // silently; a failure here goes to the supervisor, which retries with backoff and logs it.
    bot.botInfo = await bot.api.getMe();
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 401) {
      throw new FatalError("Telegram rejected the bot token (401 Unauthorized)", { cause: error });
    }
    throw error;
  }
  for (const { commands, options } of commandRegistrations(texts, config.admins)) {
    await bot.api.setMyCommands(commands, options);
  }
}
