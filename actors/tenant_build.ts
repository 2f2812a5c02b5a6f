/**
 * Assembles one tenant's parts before its actor starts: the grammY bot (with the auto-retry
 * plugin, the runtime's handlers, the tenant's plugin and the fallbacks), the stores (inbox,
 * ledger, outbox) and the payment service. Checking the token (`getMe`) happens here, so a
 * rejected token fails the start with a `FatalError` and the supervisor parks the tenant.
 *
 * @example
 * ```ts ignore
 * const parts = await buildTenant(config, { clock, db });
 * await parts.bot.handleUpdate(update);
 * ```
 * @module
 */
import type { Bot } from "grammy";
import { autoRetry } from "@grammyjs/auto-retry";
import type { Logger } from "@logtape/logtape";
import type { Clock } from "./clock.ts";
import { Inbox } from "./inbox.ts";
import { Ledger } from "./ledger.ts";
import { Outbox } from "./outbox.ts";
import { PaymentService } from "./payments.ts";
import type { Database } from "../adapters/storage/database.ts";
import type { TenantConfig } from "../config/tenant_schema.ts";
import {
  createBot,
  initTenantBot,
  installFallbacks,
  installTenantHandlers,
} from "../adapters/telegram/tenant_bot.ts";
import { Texts } from "../adapters/telegram/texts.ts";
import { tenantLogger } from "../adapters/logging.ts";
import { installPlugin } from "../adapters/plugins/load_plugin.ts";
import { starsServiceOf } from "../adapters/plugins/plugin_api.ts";

/** What building a tenant needs from the process. */
export interface TenantBuildEnvironment {
  clock: Clock;
  db: Database;
}

/** A tenant's parts, ready for its actor. */
export interface TenantParts {
  config: TenantConfig;
  logger: Logger;
  texts: Texts;
  bot: Bot;
  inbox: Inbox;
  outbox: Outbox;
  payments: PaymentService;
  /** Makes any Bot API call by name: the outbox stores calls that way. */
  rawCall(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<unknown>;
  /** Sets what runs after each payment commit; the actor kicks its outbox sender there. */
  whenCommitted(listener: () => void): void;
}

/**
 * How 429 "Too Many Requests" is handled for every call a tenant makes: wait the `retry_after`
 * Telegram asks for, at most 3 times and never longer than 30 s at once. Past that the call
 * fails and its owner decides. Server and network errors are not retried here: the poller and
 * the outbox have their own (durable) retries, and a stop must not wait behind a retry loop.
 */
const retryPolicy = {
  maxRetryAttempts: 3,
  maxDelaySeconds: 30,
  rethrowInternalServerErrors: true,
  rethrowHttpErrors: true,
};

/** Builds and checks a tenant's parts; throws `FatalError` for a rejected token or a bad plugin. */
export async function buildTenant(
  config: TenantConfig,
  env: TenantBuildEnvironment,
): Promise<TenantParts> {
  const { clock, db } = env;
  const logger = tenantLogger(config.id);
  const texts = new Texts(config.texts, config.locale);
  const bot = createBot(config);
  bot.api.config.use(autoRetry(retryPolicy));
  let committed = () => {};
  const outbox = new Outbox(config.id, clock);
  const payments = new PaymentService({
    tenant: config,
    db,
    clock,
    ledger: new Ledger(config.id, clock),
    outbox,
    api: bot.api,
    texts,
    logger,
    onCommitted: () => committed(),
  });
  // grammY's raw API is a proxy that takes any method name.
  const raw = bot.api.raw as unknown as Record<
    string,
    (params: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>
  >;
  installTenantHandlers(bot, { config, texts, payments, logger });
  if (config.plugin) {
    bot.use(
      await installPlugin(config.plugin, starsServiceOf(payments), {
        id: config.id,
        logger: logger.getChild("plugin"),
      }),
    );
  }
  installFallbacks(bot, texts);
  await initTenantBot(bot, texts, config);
  return {
    config,
    logger,
    texts,
    bot,
    inbox: new Inbox(config.id, clock),
    outbox,
    payments,
    rawCall: (method, params, signal) => raw[method](params, signal),
    whenCommitted: (listener) => {
      committed = listener;
    },
  };
}
