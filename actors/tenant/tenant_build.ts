/**
 * Assembles one tenant's parts before its actor starts: the grammY bot (with the auto-retry
 * plugin, the runtime's handlers, the tenant's plugin and the fallbacks), the stores (inbox,
 * ledger, outbox) and the payment services. Checking the token (`getMe`) happens here, so a
 * rejected token fails the start with a `FatalError` and the supervisor parks the tenant. Calls
 * the bot can serve without (its command menu) are only collected here, in
 * {@linkcode TenantParts.optionalCalls}: they run once the tenant serves.
 *
 * @module
 */
import { Api, type Bot } from "grammy";
import { autoRetry } from "@grammyjs/auto-retry";
import type { Logger } from "@logtape/logtape";
import type { Clock } from "../kernel/clock.ts";
import { Inbox } from "../../money/delivery/inbox.ts";
import { Ledger } from "../../money/stores/ledger.ts";
import { Outbox } from "../../money/delivery/outbox.ts";
import { createPaymentServices, type PaymentServices } from "../../money/payments/services.ts";
import type { PaymentPartsOptions } from "../../money/payments/parts.ts";
import { Reconciler } from "../../money/reconciliation/reconciler.ts";
import type { BalanceRegistry } from "../balance/registry.ts";
import type { BalanceTenant } from "../../money/bot_stars/types.ts";
import type { Database } from "../../money/ports.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import {
  botClientOptions,
  commandMenuCalls,
  createBot,
  initTenantBot,
  installFallbacks,
  installTenantHandlers,
} from "../../adapters/telegram/tenant_bot.ts";
import { type Texts, textsFor } from "../../adapters/telegram/texts.ts";
import { SendPacer } from "../../adapters/telegram/send_pacer.ts";
import { BotApiConnections } from "../../adapters/telegram/transport/bot_api_connections.ts";
import type { BotApiDeadlines } from "../../adapters/telegram/call_deadline.ts";
import { tenantLogger } from "../../adapters/observability/logging.ts";
import { PluginHost } from "../../adapters/plugins/plugin_host.ts";
import { starsServiceOf } from "../../adapters/plugins/plugin_api.ts";
import { botApiBalanceUpstream } from "../../adapters/telegram/bot_api_balance.ts";
import { describeError } from "../../adapters/telegram/describe_error.ts";
import { readBotApiFailure } from "../../adapters/telegram/bot_api_failure.ts";
import { redactTokens } from "../../adapters/observability/redact.ts";
import type { Metrics } from "../../adapters/observability/metrics.ts";
import { type OptionalCallBudget, OptionalCalls } from "./optional_calls.ts";

/** What building a tenant needs from the process. */
export interface TenantBuildEnvironment {
  clock: Clock;
  db: Database;
  /** How long the bot's Bot API calls may take; tests shorten them. Default `call_deadline.ts`. */
  botApiDeadlines?: BotApiDeadlines;
  /** The process's BalanceActor; without it `/revenue`, `/transactions` and reconciliation are off. */
  balances?: BalanceRegistry;
  metrics?: Metrics;
  /** The jitter of the optional calls' retries, returning [0, 1); default `Math.random`. */
  random?: () => number;
  /** The process's budget of optional calls in flight (`optional_calls.ts`), shared by all. */
  optionalCallBudget?: OptionalCallBudget;
}

/** A tenant's parts, ready for its actor. */
export interface TenantParts {
  config: TenantConfig;
  logger: Logger;
  texts: Texts;
  bot: Bot;
  inbox: Inbox;
  outbox: Outbox;
  /** Checkout, payments received, refunds, users' credits, subscriptions. */
  payments: PaymentServices;
  /** Makes any Bot API call by name: the outbox stores calls that way. */
  rawCall(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<unknown>;
  /** The bot's flood control: the outbox paces its sends by it (`send_pacer.ts`). */
  pacer: SendPacer;
  /** Sets what runs after each payment commit; the actor kicks its outbox sender there. */
  whenCommitted(listener: () => void): void;
  /** What the tenant registers with the BalanceActor while it runs. */
  balanceTenant: BalanceTenant;
  /** Compares Telegram's transactions with the ledger; absent without a BalanceActor. */
  reconciler?: Reconciler;
  /**
   * The calls the bot serves without (its command menu, and any the start could not make):
   * started once it serves, stopped by {@linkcode TenantParts.close}.
   */
  optionalCalls: OptionalCalls;
  /** Closes what the tenant holds open outside its actor (an MTProto connection). */
  close(): Promise<void>;
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

/**
 * What a tenant's payment services are built on, apart from the running tenant's hooks: its
 * stores, its texts, and `api` for the Bot API calls. Also what another instance builds to answer
 * the tenant's pre-checkout queries (`actors/cluster/webhook_relay.ts`).
 */
export function tenantPaymentParts(
  config: TenantConfig,
  { db, clock, api, logger }: Pick<PaymentPartsOptions, "db" | "clock" | "api" | "logger">,
) {
  return {
    tenant: config,
    db,
    clock,
    ledger: new Ledger(config.id, clock),
    outbox: new Outbox(config.id, clock, redactTokens),
    api,
    texts: textsFor(config.texts, config.locale),
    logger,
    redact: redactTokens,
    readFailure: readBotApiFailure,
  } satisfies PaymentPartsOptions;
}

/** Builds and checks a tenant's parts; throws `FatalError` for a rejected token or a bad plugin. */
export async function buildTenant(
  config: TenantConfig,
  env: TenantBuildEnvironment,
): Promise<TenantParts> {
  const { clock, db } = env;
  const logger = tenantLogger(config.id);
  // One pacer per bot: every call reports Telegram's 429s to it, and the outbox paces by it.
  const pacer = new SendPacer({ clock });
  // Its own keep-alive connections, closed with it (or by a start that fails).
  const connections = BotApiConnections.forApiRoot(config.apiRoot);
  const bot = createBot(config, { clock, deadlines: env.botApiDeadlines, pacer, connections });
  bot.api.config.use(autoRetry(retryPolicy));
  let committed = () => {};
  const paymentParts = tenantPaymentParts(config, { db, clock, api: bot.api, logger });
  const { texts, outbox } = paymentParts;
  const tenantLabel = { tenant: config.id };
  const payments = createPaymentServices({
    ...paymentParts,
    onCommitted: () => committed(),
    onMoneyMoved: (movement) => {
      // The bot's Stars changed: the next /revenue must read them fresh ("refresh after purchase").
      env.balances?.client.invalidate(config.id).catch((error) =>
        logger.warn("Could not refresh the cached Stars balance: {error}", {
          error: describeError(error),
        })
      );
      const metrics = env.metrics;
      if (!metrics) return;
      if (movement.kind === "payment") {
        metrics.payments.inc({ ...tenantLabel, kind: movement.outcome.kind });
        metrics.starsReceived.inc(tenantLabel, movement.stars);
        if ("credits" in movement.outcome) {
          metrics.ledgerCredits.inc(tenantLabel, movement.outcome.credits);
        }
      } else if (movement.kind === "refund") {
        metrics.refunds.inc(tenantLabel);
        metrics.starsRefunded.inc(tenantLabel, movement.stars);
      } else if (movement.stars !== undefined) {
        // A double payment's refund, applied when the outbox's call went through.
        metrics.starsRefunded.inc(tenantLabel, movement.stars);
      }
    },
  });
  // GramJS is loaded only for tenants with MTProto credentials: importing it costs 33 MiB of
  // memory (BENCHMARKS.md), wasted in a process whose tenants use the Bot API alone.
  const mtproto = config.mtproto &&
    new (await import("../../adapters/mtproto/gramjs_upstream.ts")).GramjsStarsUpstream({
      tenantId: config.id,
      apiId: config.mtproto.apiId,
      apiHash: config.mtproto.apiHash,
      botToken: config.token,
      db,
      clock,
      logger: logger.getChild("mtproto"),
      // Flood waits go straight to the BalanceActor, which delays only this tenant.
      floodWaitMaxMs: 0,
    });
  const balanceTenant = countUpstreamCalls({
    id: config.id,
    cacheTtlMs: config.balance.cacheTtlSeconds * 1000,
    // A client of its own, without auto-retry: the BalanceActor handles 429 as a flood wait
    // for this tenant alone, and must be able to abort a call.
    botApi: botApiBalanceUpstream(new Api(config.token, botClientOptions(config))),
    mtproto,
  }, env.metrics);
  const reconciler = env.balances &&
    new Reconciler({
      tenantId: config.id,
      db,
      clock,
      payments,
      botStars: env.balances.client,
      admins: config.admins,
      logger: logger.getChild("reconcile"),
    });
  // grammY's raw API is a proxy that takes any method name.
  const raw = bot.api.raw as unknown as Record<
    string,
    (params: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>
  >;
  installTenantHandlers(bot, {
    config,
    texts,
    payments,
    logger,
    botStars: env.balances?.client,
    reconciler,
  });
  // The plugin runs in a worker (its file's, shared, or its own: `pluginWorker`), with the token
  // and every other secret left here; its middleware stands where its composer would, between
  // the handlers and the fallbacks.
  const plugin = config.plugin === undefined ? undefined : new PluginHost({
    path: config.plugin,
    tenantId: config.id,
    worker: config.pluginWorker,
    stars: starsServiceOf(payments),
    callApi: (method, params, signal) => raw[method](params, signal),
    logger: logger.getChild("plugin"),
    clock,
  });
  if (plugin) bot.use(plugin.middleware());
  installFallbacks(bot, texts);
  try {
    // Only getMe can keep the tenant from starting; the menu waits until it serves.
    await initTenantBot(bot);
    // Checks the plugin's file and folder only: its worker starts with the first update that
    // reaches it (see `plugin_host.ts`), so an idle tenant holds no worker.
    await plugin?.start(bot.botInfo);
  } catch (error) {
    connections?.close();
    throw error;
  }
  const optionalCalls = new OptionalCalls({
    clock,
    random: env.random ?? Math.random,
    logger,
    describe: describeError,
    budget: env.optionalCallBudget,
  });
  for (const call of commandMenuCalls(bot, texts, config)) optionalCalls.add(call);
  return {
    config,
    logger,
    texts,
    bot,
    inbox: new Inbox(config.id, clock),
    outbox,
    payments,
    rawCall: (method, params, signal) => raw[method](params, signal),
    pacer,
    whenCommitted: (listener) => {
      committed = listener;
    },
    balanceTenant,
    reconciler,
    optionalCalls,
    close: async () => {
      optionalCalls.stop();
      plugin?.stop();
      await mtproto?.close();
      connections?.close();
    },
  };
}

/** Counts every upstream call of a tenant's balance sources in `/metrics`. */
function countUpstreamCalls(tenant: BalanceTenant, metrics?: Metrics): BalanceTenant {
  if (!metrics) return tenant;
  const count = (source: string) => metrics.balanceUpstreamCalls.inc({ tenant: tenant.id, source });
  const { botApi, mtproto } = tenant;
  return {
    ...tenant,
    botApi: {
      getMyStarBalance: (signal) => (count("bot_api"), botApi.getMyStarBalance(signal)),
      getStarTransactions: (offset, limit, signal) => (
        count("bot_api_transactions"), botApi.getStarTransactions(offset, limit, signal)
      ),
    },
    mtproto: mtproto && {
      getStarsStatus: (peer, signal) => (
        count(`mtproto_${peer}`), mtproto.getStarsStatus(peer, signal)
      ),
    },
  };
}
