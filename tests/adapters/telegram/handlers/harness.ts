/**
 * A hosted bot as the tenant builds it — grammY `Bot`, the real payment services over an in-memory
 * database, the runtime's handlers and fallbacks — talking to a sandbox on 127.0.0.1. One
 * `ManualClock` drives both the sandbox and the payment service, so dates and expiries are
 * exact. Updates are fed to `bot.handleUpdate` by {@linkcode Harness.pump}, so a handler's error
 * fails the test instead of vanishing into a log.
 *
 * With `botStars`, the tenant also gets what the runtime gives it for the bot's own Stars: a
 * real BalanceActor (on the same clock and database) asking the sandbox through
 * `botApiBalanceUpstream`, invalidated on every Stars movement, and a `Reconciler` — both in
 * the handler deps, for the admin commands.
 *
 * @example
 * ```ts ignore
 * await using h = await startHarness();
 * const ann = h.user({ firstName: "Ann" });
 * await ann.send(h.account, "/start");
 * await h.pump();
 * ann.lastMessage(h.account)?.text; // "Hello, Ann! …"
 * ```
 * @module
 */
import { type Api, Bot, type Composer, type Context } from "grammy";
import type { Message } from "grammy/types";
import { getLogger } from "@logtape/logtape";
import { startBalanceActor } from "../../../../actors/balance/balance_actor.ts";
import { BalanceClient } from "../../../../actors/balance/balance_client.ts";
import type { BotApiBalanceUpstream } from "../../../../money/bot_stars/types.ts";
import { ManualClock } from "../../../../actors/kernel/clock.ts";
import type { Ledger } from "../../../../money/stores/ledger.ts";
import {
  createPaymentServices,
  type PaymentServices,
  type PaymentServicesOptions,
} from "../../../../money/payments/services.ts";
import { Reconciler } from "../../../../money/reconciliation/reconciler.ts";
import { botApiBalanceUpstream } from "../../../../adapters/telegram/bot_api_balance.ts";
import type { Database } from "../../../../money/ports.ts";
import { openDatabase } from "../../../../adapters/storage/open_database.ts";
import type { TestEngine } from "../../../support/engines.ts";
import {
  commandMenuCalls,
  createBot,
  initTenantBot,
  installFallbacks,
  installTenantHandlers,
} from "../../../../adapters/telegram/tenant_bot.ts";
import type { Texts } from "../../../../adapters/telegram/texts.ts";
import type { TenantConfig } from "../../../../config/tenant_schema.ts";
import {
  type ClickResult,
  Sandbox,
  type SandboxBot,
  type SandboxUser,
  type UserSettings,
} from "../../../../sandbox/mod.ts";
import type { PaymentOutcome } from "../../../../sandbox/mod.ts";
import { tenantLogger } from "../../../../adapters/observability/logging.ts";
import { paymentServicesOptions } from "../../../support/payment_world.ts";
import {
  CREDITS_100,
  CREDITS_500,
  MONTHLY,
  RETIRED,
  WALLPAPERS,
} from "../../../support/shop_products.ts";
import { parseTestTenant } from "../../../support/tenant_configs.ts";

/** The tenant's admin. */
export const ADMIN_ID = 9001;
/** 2025-01-01 00:00 UTC, where the clock starts. */
export const START = Date.UTC(2025, 0, 1);

/** The shop's products: credits, an item, a disabled item and a subscription. */
const products = [CREDITS_100, CREDITS_500, WALLPAPERS, RETIRED, MONTHLY];

/** The bot's own Stars in the harness; see the module doc. */
export interface HarnessBotStarsOptions {
  /** The Bot API upstream over the bot's `Api`; default `botApiBalanceUpstream(api)`. */
  upstream?: (api: Api) => BotApiBalanceUpstream;
  /** How long the bot's Stars balance and transaction pages stay cached; default one minute. */
  cacheTtlMs?: number;
}

/** How to build the harness; every field has a default. */
export interface HarnessOptions {
  /** Top-level fields of the tenant file to replace (`stars`, `locale`, `products` …). */
  tenant?: Record<string, unknown>;
  /** Builds the payment services; tests swap one for a subclass to make it fail. */
  payments?: (options: PaymentServicesOptions) => PaymentServices;
  /** Middleware installed where a tenant's plugin goes: after the runtime's handlers. */
  plugin?: Composer<Context>;
  /** Wraps the database, e.g. to hold a transaction back. */
  wrapDb?: (db: Database) => Database;
  /** The storage engine (`tests/support/engines.ts`); SQLite in memory by default. */
  engine?: Pick<TestEngine, "open">;
  /** Gives the tenant a BalanceActor for the bot's Stars and a Reconciler (see the module doc). */
  botStars?: HarnessBotStarsOptions;
}

/** A running bot with its sandbox; see the module doc. */
export interface Harness extends AsyncDisposable {
  sandbox: Sandbox;
  /** The bot's account in the sandbox. */
  account: SandboxBot;
  bot: Bot;
  config: TenantConfig;
  texts: Texts;
  db: Database;
  clock: ManualClock;
  ledger: Ledger;
  payments: PaymentServices;
  /** The bot's own Stars (the BalanceActor's client), with `botStars`. */
  botStars?: BalanceClient;
  /** The tenant's reconciler, with `botStars`. */
  reconciler?: Reconciler;
  /** Creates a sandbox user. */
  user(settings: UserSettings): SandboxUser;
  /** Runs every queued update through `bot.handleUpdate`, in order, until none is left. */
  pump(): Promise<void>;
  /**
   * Confirms every queued update to the sandbox without handling it, as if it had been lost on
   * the way; returns how many there were.
   */
  loseUpdates(): Promise<number>;
  /**
   * Presses a button and runs the update it causes; resolves with the bot's answer, without
   * the fields the bot left out (`{ answered: true }` for a silent answer).
   */
  click(user: SandboxUser, message: Message, data: string): Promise<ClickResult>;
  /** Pays an invoice (message or link) and runs the updates the payment causes. */
  pay(user: SandboxUser, invoice: Message | string): Promise<PaymentOutcome>;
  /**
   * A bot message with one button carrying `data`, as an old message, an earlier version of
   * the bot or a plugin could have left in the chat. Opens the chat with `/start` first.
   */
  buttonMessage(user: SandboxUser, data: string): Promise<Message>;
  /** The outbox rows, oldest first. */
  outbox(): Promise<{ id: string; method: string; params: Record<string, unknown> }[]>;
}

/** Starts a sandbox and the bot under test; `await using` closes both. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = new ManualClock(START);
  const sandbox = await Sandbox.start({ clock });
  const account = sandbox.createBot({ username: "shop_bot", firstName: "Shop" });
  const config = parseTestTenant({
    apiRoot: sandbox.apiRoot,
    admins: [ADMIN_ID],
    products,
    ...options.tenant,
  }, { token: account.token });
  let opened: Database;
  try {
    opened = await (options.engine?.open() ?? openDatabase("sqlite::memory:"));
  } catch (error) {
    await sandbox.close();
    throw error;
  }
  const db = options.wrapDb?.(opened) ?? opened;
  const bot = createBot(config);
  const serviceOptions = paymentServicesOptions({
    tenant: config,
    db,
    clock,
    api: bot.api,
  });
  const logger = getLogger(["constellation", "test", "handlers"]);
  const balanceActor = options.botStars && startBalanceActor({ db, clock });
  let botStars: BalanceClient | undefined;
  if (balanceActor) {
    botStars = new BalanceClient(balanceActor.ref);
    const upstream = options.botStars?.upstream ?? botApiBalanceUpstream;
    await botStars.register({
      id: config.id,
      cacheTtlMs: options.botStars?.cacheTtlMs ?? 60_000,
      botApi: upstream(bot.api),
    });
    const client = botStars;
    serviceOptions.onMoneyMoved = () => {
      client.invalidate(config.id).catch((error) =>
        logger.error("Invalidating the balance failed: {error}", { error: String(error) })
      );
    };
  }
  const { ledger, texts } = serviceOptions;
  const payments = options.payments?.(serviceOptions) ?? createPaymentServices(serviceOptions);
  const reconciler = botStars && new Reconciler({
    tenantId: config.id,
    db,
    clock,
    payments,
    botStars,
    admins: config.admins,
    logger: tenantLogger(config.id).getChild("reconcile"),
  });
  installTenantHandlers(bot, { config, texts, payments, logger, botStars, reconciler });
  if (options.plugin) bot.use(options.plugin);
  installFallbacks(bot, texts);
  await initTenantBot(bot);
  // The runtime makes these once the bot serves; the harness at once, so menus can be checked.
  for (const call of commandMenuCalls(bot, texts, config)) {
    await call.run(AbortSignal.timeout(5_000));
  }

  let offset: number | undefined;
  const pump = async () => {
    for (;;) {
      const updates = await bot.api.getUpdates({ offset, timeout: 0 });
      if (updates.length === 0) return;
      for (const update of updates) {
        offset = update.update_id + 1;
        await bot.handleUpdate(update);
      }
    }
  };
  return {
    sandbox,
    account,
    bot,
    config,
    texts,
    db,
    clock,
    ledger,
    payments,
    botStars,
    reconciler,
    user: (settings) => sandbox.createUser(settings),
    pump,
    async loseUpdates() {
      const updates = await bot.api.getUpdates({ offset, timeout: 0 });
      const last = updates.at(-1);
      // Asking past the last update confirms it, as Telegram forgets confirmed updates.
      if (last !== undefined) offset = last.update_id + 1;
      return updates.length;
    },
    async click(user, message, data) {
      // The click queues its update at once and waits for the answer the pump produces.
      const clicked = user.click(account, message, data);
      await pump();
      const result = await clicked;
      return Object.fromEntries(
        Object.entries(result).filter(([, value]) => value !== undefined),
      ) as ClickResult;
    },
    async pay(user, invoice) {
      const paying = user.pay(account, invoice);
      await pump(); // the pre-checkout query
      const outcome = await paying;
      await pump(); // successful_payment, if it was paid
      return outcome;
    },
    async buttonMessage(user, data) {
      await user.send(account, "/start");
      await pump();
      return await bot.api.sendMessage(user.id, "A message with a button", {
        reply_markup: { inline_keyboard: [[{ text: "Press", callback_data: data }]] },
      });
    },
    async outbox() {
      const rows = await db.all<{ id: string; method: string; params: string }>(
        "SELECT id, method, params FROM outbox WHERE tenant_id = ? ORDER BY seq",
        [config.id],
      );
      return rows.map((row) => ({ ...row, params: JSON.parse(row.params) }));
    },
    async [Symbol.asyncDispose]() {
      await balanceActor?.stop();
      await sandbox.close();
      await db.close();
    },
  };
}

/** The callback data of every button on `message`, row by row. */
export function buttonData(message: Message | undefined): (string | undefined)[][] {
  return message?.reply_markup?.inline_keyboard.map((row) =>
    row.map((button) => "callback_data" in button ? button.callback_data : undefined)
  ) ?? [];
}

/** The bot's messages to `user` sent after the first `since` ones. */
export function messagesSince(h: Harness, user: SandboxUser, since: number): Message[] {
  return user.messages(h.account).slice(since);
}
