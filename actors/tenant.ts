/**
 * The tenant actor: one per hosted bot. It owns the bot's grammY `Bot`, its payment service and
 * its outbox sender, and decides when updates run:
 *
 * - a batch from the poller is first recorded in the durable inbox, and only then confirmed to
 *   Telegram (the poller asks for the next batch after this actor replies);
 * - updates of one user run in order on that user's lane, different users concurrently;
 * - `pre_checkout_query` skips the lanes: Telegram gives it 10 s, and it must never wait behind
 *   a slow handler;
 * - a handled update is marked done; one whose handler failed is marked done too (the user was
 *   told), except a payment update, which stays pending and crashes the tenant so that its
 *   restart applies it again — money is never dropped on an error.
 *
 * A tenant that crashes is restarted by its supervisor; nothing it does can reach another tenant.
 *
 * @example
 * ```ts ignore
 * import { startTenant } from "./tenant.ts";
 * const tenant = await startTenant(config, { clock: systemClock, db });
 * await tenant.stop();
 * ```
 * @module
 */
import { BotError } from "grammy";
import type { Update } from "grammy/types";
import { Actor, type ActorContext, type Behavior, type Reply } from "./actor.ts";
import type { Clock, TimerId } from "./clock.ts";
import type { DeadLetters } from "./dead_letters.ts";
import { FatalError } from "./child.ts";
import { Inbox, updateUserId } from "./inbox.ts";
import { Lanes } from "./lanes.ts";
import { Ledger } from "./ledger.ts";
import { Outbox } from "./outbox.ts";
import { type OutboxSenderMsg, startOutboxSender } from "./outbox_sender.ts";
import { PaymentService } from "./payments.ts";
import type { Database } from "../adapters/storage/database.ts";
import type { TenantConfig } from "../config/tenant_schema.ts";
import {
  createBot,
  initTenantBot,
  installFallbacks,
  installTenantHandlers,
} from "../adapters/telegram/tenant_bot.ts";
import { type AllowedUpdate, runPoller } from "../adapters/telegram/poller.ts";
import { describeError } from "../adapters/telegram/describe_error.ts";
import { Texts } from "../adapters/telegram/texts.ts";
import { tenantLogger } from "../adapters/logging.ts";
import { installPlugin } from "../adapters/plugins/load_plugin.ts";
import { starsServiceOf } from "../adapters/plugins/plugin_api.ts";

/** The tenant actor's protocol. */
export type TenantMsg =
  /** A batch of updates; replied to once it is durably recorded and dispatched. */
  | { type: "Updates"; updates: Update[]; reply: Reply<void> }
  /** Periodic housekeeping: expire orders and subscriptions, forget old inbox rows. */
  | { type: "Tick" }
  /** A part of the tenant failed (poller, outbox sender, a payment update): crash and restart. */
  | { type: "Failed"; part: string; error: unknown };

/** What every tenant shares with the rest of the process. */
export interface TenantEnvironment {
  clock: Clock;
  db: Database;
  deadLetters?: DeadLetters;
  /** Long-poll duration in seconds; tests shorten it so stops are quick. */
  pollTimeoutSeconds?: number;
}

/**
 * Updates the runtime asks Telegram for: messages (payments among them), buttons, pre-checkout
 * queries and subscription changes. Listed explicitly so a list left by an earlier deployment
 * (Telegram remembers it) cannot silently drop `pre_checkout_query`.
 */
export const allowedUpdates: readonly AllowedUpdate[] = [
  "message",
  "callback_query",
  "pre_checkout_query",
  "subscription",
];

/**
 * How long the poller waits for a batch to be recorded and dispatched. Longer means the lanes
 * are full of stuck handlers: the tenant crashes and restarts, and the batch comes again.
 */
const batchTimeoutMs = 60_000;

/** Housekeeping period: order expiry needs no finer grain than half a minute. */
const tickMs = 30_000;

/** True for updates that change what a user paid for; their failures must not be marked done. */
function movesMoney(update: Update): boolean {
  return update.message?.successful_payment !== undefined ||
    update.message?.refunded_payment !== undefined || update.subscription !== undefined;
}

/**
 * Builds the tenant's bot and payment service, checks its token with `getMe` (a 401 throws a
 * `FatalError`, which parks the tenant), registers its commands, installs its plugin and starts
 * the actor, which replays unfinished updates and starts polling.
 */
export async function startTenant(
  config: TenantConfig,
  env: TenantEnvironment,
): Promise<Actor<TenantMsg>> {
  const { clock, db } = env;
  const logger = tenantLogger(config.id);
  if (config.updates === "webhook") {
    throw new FatalError(
      `${config.source}: updates "webhook" needs the runtime's HTTP server, which this release ` +
        `does not have yet; use "polling"`,
    );
  }
  const texts = new Texts(config.texts, config.locale);
  const ledger = new Ledger(config.id, clock);
  const outbox = new Outbox(config.id, clock);
  const inbox = new Inbox(config.id, clock);
  const bot = createBot(config);
  // The payment service kicks the outbox sender after each commit; the sender starts with the
  // actor, so the kick goes through this late-bound function.
  let kickSender = () => {};
  const payments = new PaymentService({
    tenant: config,
    db,
    clock,
    ledger,
    outbox,
    api: bot.api,
    texts,
    logger,
    onCommitted: () => kickSender(),
  });
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
  // The outbox stores calls by method name; grammY's raw API is a proxy that takes any name.
  const raw = bot.api.raw as unknown as Record<
    string,
    (params: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>
  >;
  const rawCall = (method: string, params: Record<string, unknown>, signal: AbortSignal) =>
    raw[method](params, signal);
  await initTenantBot(bot, texts, config);
  logger.info("Bot @{username} is up; polling for updates.", { username: bot.botInfo.username });

  const behavior = (): Behavior<TenantMsg> => {
    let self: ActorContext<TenantMsg> | undefined;
    let poller: Promise<void> | undefined;
    let sender: Actor<OutboxSenderMsg> | undefined;
    let tick: TimerId | undefined;
    const inFlight = new Set<Promise<void>>();

    /** Tells the actor that a part failed, unless it is stopping anyway. */
    const fail = (part: string) => (error: unknown) => {
      if (self && !self.signal.aborted) self.self.tell({ type: "Failed", part, error });
    };
    const lanes = new Lanes({ onError: fail("update lane") });

    /** Runs one update and records the outcome; never throws. */
    const run = async (update: Update): Promise<void> => {
      try {
        await bot.handleUpdate(update);
      } catch (error) {
        const cause = error instanceof BotError ? error.error : error;
        logger.error("Update {updateId} failed: {error}", {
          updateId: update.update_id,
          error: describeError(cause),
        });
        if (movesMoney(update)) {
          // Left pending: the restart this causes applies it again.
          fail(`payment update ${update.update_id}`)(cause);
          return;
        }
        await tellUserItFailed(update);
      }
      await inbox.markDone(db, update.update_id);
    };

    /** A message whose handler (often a plugin's) failed gets a reply rather than silence. */
    const tellUserItFailed = async (update: Update): Promise<void> => {
      const message = update.message;
      if (!message || message.chat.type !== "private") return;
      try {
        await bot.api.sendMessage(
          message.chat.id,
          texts.forUser(message.from?.language_code).t("plugin.error"),
        );
      } catch (error) {
        logger.warn("Could not tell user {chatId} about the failure: {error}", {
          chatId: message.chat.id,
          error: describeError(error),
        });
      }
    };

    /** Queues an update on its user's lane; pre-checkout queries run at once. */
    const dispatch = async (update: Update): Promise<void> => {
      if (update.pre_checkout_query) {
        const running: Promise<void> = run(update).finally(() => inFlight.delete(running));
        inFlight.add(running);
      } else {
        await lanes.add(updateUserId(update) ?? "anonymous", () => run(update));
      }
    };

    return {
      async preStart(ctx) {
        self = ctx;
        sender = startOutboxSender({
          tenantId: config.id,
          db,
          outbox,
          clock,
          logger: logger.getChild("outbox"),
          call: (method, params, signal) => rawCall(method, params, signal),
          onSent: payments.onOutboxSent,
        });
        kickSender = () => sender?.ref.tell({ type: "Kick" });
        sender.done.then((reason) => {
          if (reason.kind === "failure") fail("outbox sender")(reason.error);
        });
        ctx.self.tell({ type: "Tick" });
        // Updates recorded before a crash or a stop but never finished.
        for (const update of await inbox.pending(db)) await dispatch(update);
        poller = runPoller({
          api: bot.api,
          allowedUpdates,
          signal: ctx.signal,
          clock,
          logger,
          timeoutSeconds: env.pollTimeoutSeconds,
          handle: (updates) =>
            ctx.self.ask<void>((reply) => ({ type: "Updates", updates, reply }), {
              timeoutMs: batchTimeoutMs,
            }),
        }).catch(fail("poller"));
      },
      async receive(msg, ctx) {
        switch (msg.type) {
          case "Updates": {
            const fresh = await db.transaction((tx) => inbox.record(tx, msg.updates));
            for (const update of fresh) await dispatch(update);
            msg.reply();
            return;
          }
          case "Tick":
            await payments.expireDue();
            await inbox.prune(db);
            tick = clock.setTimeout(() => ctx.self.tell({ type: "Tick" }), tickMs);
            return;
          case "Failed": {
            const message = `${msg.part} failed: ${describeError(msg.error)}`;
            // A fatal cause (the token was revoked) stays fatal, so the supervisor parks the
            // tenant at once instead of restarting it against Telegram's 401.
            throw msg.error instanceof FatalError
              ? new FatalError(message, { cause: msg.error })
              : new Error(message, { cause: msg.error });
          }
        }
      },
      async postStop() {
        if (tick !== undefined) clock.clearTimeout(tick);
        kickSender = () => {};
        await poller;
        await lanes.drain();
        await Promise.all(inFlight);
        await sender?.stop();
      },
    };
  };
  return Actor.spawn(`tenant:${config.id}`, behavior, {
    clock: env.clock,
    deadLetters: env.deadLetters,
  });
}
