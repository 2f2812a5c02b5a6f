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
 * then `initTenantBot` before the first `bot.handleUpdate(update)`; the `commandMenuCalls` once
 * the bot serves.
 *
 * @example Starting a bot against the sandbox
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandMenuCalls, createBot, initTenantBot } from "./tenant_bot.ts";
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
 * await initTenantBot(bot);
 * assert.equal(bot.botInfo.username, "shop_bot");
 * // The menu is optional: the runtime makes these calls once the bot serves.
 * const menu = commandMenuCalls(bot, texts, config);
 * assert.equal(menu[0].name, "setMyCommands (default scope)");
 * for (const call of menu) await call.run(AbortSignal.timeout(5_000));
 * assert.equal(shop.commands({ type: "default" }, "en")[0].command, "start");
 * assert.ok(shop.commands({ type: "chat", chat_id: 42 }).some((c) => c.command === "refund"));
 *
 * // A token Telegram rejects is fatal: the supervisor parks the tenant instead of retrying.
 * sandbox.revokeToken(shop.token);
 * await assert.rejects(initTenantBot(createBot(config)), FatalError);
 * ```
 * @module
 */
import { type ApiClientOptions, Bot, GrammyError } from "grammy";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import { FatalError } from "../../actors/kernel/child.ts";
import { type Clock, systemClock } from "../../actors/kernel/clock.ts";
import { nativeFetch } from "./native_fetch.ts";
import { type BotApiDeadlines, callDeadlines } from "./call_deadline.ts";
import { directCalls } from "./direct_calls.ts";
import type { BotApiConnections } from "./transport/bot_api_connections.ts";
import { floodHolds } from "./flood_holds.ts";
import type { SendPacer } from "./send_pacer.ts";
import type { Texts } from "./texts.ts";
import { commandRegistrations } from "./commands.ts";
import type { OptionalCall } from "./optional_call.ts";
import { fallbackHandlers, type HandlerDeps, tenantHandlers } from "./handlers/mod.ts";

/** What {@linkcode createBot} may be given besides the tenant's config. */
export interface BotOptions {
  /** The clock the calls' deadlines run on; default the system clock. */
  clock?: Clock;
  /** How long a call may take; default `BOT_API_DEADLINES` (`call_deadline.ts`). */
  deadlines?: Readonly<BotApiDeadlines>;
  /**
   * The tenant's flood control: with it, every call reports a 429 to it and waits out a hold on
   * its chat before it goes (`flood_holds.ts`). The outbox paces itself with the same pacer.
   */
  pacer?: SendPacer;
  /**
   * Keep-alive connections to the tenant's Bot API server, which its owner closes when the
   * tenant stops; without them calls go through Deno's `fetch` (`direct_calls.ts`).
   */
  connections?: BotApiConnections;
}

/**
 * Builds the tenant's bot without handlers; no network traffic happens until it is used. Every
 * call has a deadline (`call_deadline.ts`) and is sent straight (`direct_calls.ts`), over the
 * tenant's connections when given, and with a pacer honours Telegram's 429s. Retrying
 * transformers installed later (the auto-retry plugin) wrap these, so each attempt is bounded.
 */
export function createBot(config: TenantConfig, options: BotOptions = {}): Bot {
  const bot = new Bot(config.token, { client: botClientOptions(config) });
  bot.api.config.use(
    callDeadlines(
      options.clock ?? systemClock,
      options.deadlines,
      directCalls(config, options.connections),
    ),
  );
  if (options.pacer) bot.api.config.use(floodHolds(options.pacer));
  return bot;
}

/**
 * grammY's own limit on one request, for every client built from {@linkcode botClientOptions}:
 * its default of 500 s would let a call nobody answers hold its caller for minutes. A minute
 * outlasts any long poll the runtime makes; the bot's calls get tighter deadlines from
 * `call_deadline.ts`, the balance actor's from its own per-call timeout.
 */
const clientTimeoutSeconds = 60;

/**
 * Where a tenant's Bot API calls go: its API root, and Telegram's test environment when the
 * tenant asks for it; and how long one may take at most. Shared by the bot and the balance
 * actor's own client.
 */
export function botClientOptions(
  config: Pick<TenantConfig, "apiRoot" | "testEnvironment">,
): ApiClientOptions {
  return {
    apiRoot: config.apiRoot,
    environment: config.testEnvironment ? "test" : "prod",
    fetch: nativeFetch,
    timeoutSeconds: clientTimeoutSeconds,
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
 * Calls `getMe`, the one call a bot cannot serve without (its username is in every deep link,
 * and handlers read it). A 401 means the token is wrong or revoked: retrying cannot help, so it
 * becomes a {@linkcode FatalError} and the supervisor parks the tenant instead of hammering
 * Telegram. The command menu is not registered here: see {@linkcode commandMenuCalls}.
 */
export async function initTenantBot(bot: Bot): Promise<void> {
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
}

/** grammY types its signals with its `abort-controller` polyfill; Deno's are the same at runtime. */
type GrammySignal = Parameters<Bot["api"]["getMe"]>[0];

/**
 * The `setMyCommands` calls that register the command menu (`commands.ts`: every locale, plus
 * the admin commands in each admin's chat). A bot serves without its menu — users type
 * commands, and deep links work — so these are optional calls: made once the tenant serves,
 * and retried in the background while they fail (`optional_call.ts`).
 */
export function commandMenuCalls(
  bot: Bot,
  texts: Texts,
  config: Pick<TenantConfig, "admins">,
): OptionalCall[] {
  return commandRegistrations(texts, config.admins).map(({ commands, options }) => {
    const scope = options.scope.type === "chat" ? `chat ${options.scope.chat_id}` : "default scope";
    const language = options.language_code === undefined ? "" : `, ${options.language_code}`;
    return {
      name: `setMyCommands (${scope}${language})`,
      run: (signal) => bot.api.setMyCommands(commands, options, signal as unknown as GrammySignal),
    };
  });
}
