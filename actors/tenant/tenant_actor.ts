/**
 * The tenant actor: one per hosted bot. It owns the bot's grammY `Bot`, its payment service and
 * its outbox sender, and decides when updates run:
 *
 * - a batch from the poller (or one update from the webhook route) is first recorded in the
 *   durable inbox, and only then confirmed to Telegram (the poller asks for the next batch, or
 *   the webhook answers 200, after this actor replies);
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
 * import { startTenant } from "./tenant_actor.ts";
 * const tenant = await startTenant(config, { clock: systemClock, db });
 * if (tenant.source.mode === "webhook") await tenant.accept(update); // from the HTTP route
 * await tenant.stop();
 * ```
 * @module
 */
import { BotError } from "grammy";
import type { Update } from "grammy/types";
import { Actor, type ActorContext, type Behavior, type Reply } from "../kernel/actor.ts";
import type { Child, ExitReason } from "../kernel/child.ts";
import type { TimerId } from "../kernel/clock.ts";
import type { DeadLetters } from "../kernel/dead_letters.ts";
import { FatalError } from "../kernel/child.ts";
import { updateUserId } from "../../money/delivery/inbox.ts";
import { Lanes } from "../kernel/lanes.ts";
import { type OutboxSenderMsg, startOutboxSender } from "./outbox_sender.ts";
import { buildTenant, type TenantBuildEnvironment, type TenantParts } from "./tenant_build.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import { type AllowedUpdate, runPoller } from "../../adapters/telegram/poller.ts";
import { describeError } from "../../adapters/telegram/describe_error.ts";
import { SendPacer } from "../../adapters/telegram/send_pacer.ts";
import { registerUpdateSource, type UpdateSource } from "../../adapters/telegram/update_source.ts";
import type { Metrics } from "../../adapters/observability/metrics.ts";
import type { BalanceRegistry } from "../balance/registry.ts";

/** The tenant actor's protocol. */
export type TenantMsg =
  /** A batch of updates; replied to once it is durably recorded and dispatched. */
  | { type: "Updates"; updates: Update[]; reply: Reply<void> }
  /** Periodic housekeeping: expire orders and subscriptions, forget old inbox rows. */
  | { type: "Tick" }
  /** Periodic reconciliation of Telegram's transactions with the ledger. */
  | { type: "Reconcile" }
  /** A part of the tenant failed (poller, outbox sender, a payment update): crash and restart. */
  | { type: "Failed"; part: string; error: unknown };

/** What every tenant shares with the rest of the process. */
export interface TenantEnvironment extends TenantBuildEnvironment {
  deadLetters?: DeadLetters;
  /** Long-poll duration in seconds; tests shorten it so stops are quick. */
  pollTimeoutSeconds?: number;
  /** The process's public https address, for webhook tenants (`PUBLIC_URL`). */
  publicUrl?: string;
  metrics?: Metrics;
  /** The process's BalanceActor, which the tenant registers with while it runs. */
  balances?: BalanceRegistry;
}

/** A running tenant, as its supervisor and the HTTP server see it. */
export interface TenantHandle extends Child {
  readonly id: string;
  /** Polling, or the webhook with its secret. */
  readonly source: UpdateSource;
  /**
   * Records one update that came by webhook; resolves once it is durable, which is when the
   * webhook may answer 200. Rejects when the tenant is stopping or storage failed.
   */
  accept(update: Update): Promise<void>;
  /** When the last update arrived (clock ms), for `/status`. */
  lastUpdateAt(): number | undefined;
  /** Outbox items not yet sent, for `/metrics`. */
  outboxBacklog(): Promise<number>;
  /** Messages waiting in the tenant actor's mailbox, for `/metrics`. */
  mailboxDepth(): number;
  /**
   * Stops taking new updates ahead of a stop: the poller ends after the batch in hand and
   * confirms it, so what users send from now on waits at Telegram for the next start. Updates
   * already taken go on running until {@linkcode Child.stop}.
   */
  drain(): void;
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
 * How long the poller (or a webhook request) waits for updates to be recorded and dispatched.
 * Longer means the lanes are full of stuck handlers: the tenant crashes and restarts, and the
 * batch comes again.
 */
const batchTimeoutMs = 60_000;

/**
 * How long a stopping tenant gives its outbox to send what is due (receipts of the last
 * payments) before stopping it; what is left goes at the next start.
 */
const outboxDrainMs = 3_000;

/** Housekeeping period: order expiry needs no finer grain than half a minute. */
const tickMs = 30_000;

/** True for updates that change what a user paid for; their failures must not be marked done. */
function movesMoney(update: Update): boolean {
  return update.message?.successful_payment !== undefined ||
    update.message?.refunded_payment !== undefined || update.subscription !== undefined;
}

/**
 * Builds the tenant (a rejected token or a bad plugin throws a `FatalError`, which parks it),
 * tells Telegram how it takes updates, and starts the actor, which replays unfinished updates
 * and, for a polling tenant, starts polling.
 */
export async function startTenant(
  config: TenantConfig,
  env: TenantEnvironment,
): Promise<TenantHandle> {
  const parts = await buildTenant(config, env);
  const source = await registerUpdateSource(parts.bot.api, config, {
    db: env.db,
    publicUrl: env.publicUrl,
    allowedUpdates,
  });
  parts.logger.info("Bot @{username} is up; updates by {mode}.", {
    username: parts.bot.botInfo.username,
    mode: source.mode,
  });
  let lastUpdateAt: number | undefined;
  const draining = new AbortController();
  const actor = Actor.spawn(
    `tenant:${config.id}`,
    () =>
      tenantBehavior(parts, env, source, draining.signal, () => (lastUpdateAt = env.clock.now())),
    { clock: env.clock, deadLetters: env.deadLetters },
  );
  return {
    id: config.id,
    source,
    done: actor.done,
    stop: (reason) => actor.stop(reason),
    accept: (update) =>
      actor.ref.ask<void>((reply) => ({ type: "Updates", updates: [update], reply }), {
        timeoutMs: batchTimeoutMs,
      }),
    lastUpdateAt: () => lastUpdateAt,
    outboxBacklog: () => parts.outbox.backlog(env.db),
    mailboxDepth: () => actor.mailboxSize,
    drain: () => draining.abort(),
  };
}

/** The actor's behaviour: see the module documentation. */
function tenantBehavior(
  parts: TenantParts,
  env: TenantEnvironment,
  source: UpdateSource,
  draining: AbortSignal,
  noteUpdate: () => void,
): Behavior<TenantMsg> {
  const { bot, inbox, outbox, payments, logger, texts, config } = parts;
  const { clock, db } = env;
  let self: ActorContext<TenantMsg> | undefined;
  let poller: Promise<void> | undefined;
  let sender: Actor<OutboxSenderMsg> | undefined;
  let tick: TimerId | undefined;
  let reconcileTimer: TimerId | undefined;
  const inFlight = new Set<Promise<void>>();

  /** Tells the actor that a part failed, unless it is stopping anyway. */
  const fail = (part: string) => (error: unknown) => {
    if (self && !self.signal.aborted) self.self.tell({ type: "Failed", part, error });
  };
  const lanes = new Lanes({ onError: fail("update lane") });

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

  const tenant = { tenant: config.id };

  /** Runs one update and records the outcome; never throws. */
  const run = async (update: Update): Promise<void> => {
    const started = clock.now();
    try {
      await bot.handleUpdate(update);
      env.metrics?.updatesHandled.inc(tenant);
      if (update.pre_checkout_query) {
        env.metrics?.preCheckoutLatency.observe(tenant, (clock.now() - started) / 1000);
      }
    } catch (error) {
      env.metrics?.handlerErrors.inc(tenant);
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
      const pacer = new SendPacer({ clock });
      sender = startOutboxSender({
        tenantId: config.id,
        db,
        outbox,
        clock,
        logger: logger.getChild("outbox"),
        call: parts.rawCall,
        pace: (chatId, signal) => pacer.take(chatId, signal),
        onSent: payments.onOutboxSent,
      });
      parts.whenCommitted(() => sender?.ref.tell({ type: "Kick" }));
      sender.done.then((reason: ExitReason) => {
        if (reason.kind === "failure") fail("outbox sender")(reason.error);
      });
      ctx.self.tell({ type: "Tick" });
      if (env.balances) {
        await env.balances.register(parts.balanceTenant);
        // The first run comes soon (it recovers what a crash may have missed), at a random point
        // of the first minute so a thousand tenants starting together do not query at once.
        const firstMs = Math.random() *
          Math.min(60_000, config.balance.reconcileIntervalSeconds * 1000);
        reconcileTimer = clock.setTimeout(() => ctx.self.tell({ type: "Reconcile" }), firstMs);
      }
      // Updates recorded before a crash or a stop but never finished.
      for (const update of await inbox.pending(db)) await dispatch(update);
      if (source.mode !== "polling") return;
      poller = runPoller({
        api: bot.api,
        allowedUpdates,
        // Polling ends at the drain, before the stop: SIGTERM must not take new updates while
        // the tenants stop one after another.
        signal: AbortSignal.any([ctx.signal, draining]),
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
          noteUpdate();
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
        case "Reconcile":
          // Runs beside the updates, never blocking them; the reconciler serializes its runs.
          parts.reconciler?.run().then(
            (report) => logger.info("Reconciled: {report}", { report: JSON.stringify(report) }),
            (error) =>
              logger.warn("Reconciliation failed: {error}", { error: describeError(error) }),
          );
          reconcileTimer = clock.setTimeout(
            () => ctx.self.tell({ type: "Reconcile" }),
            config.balance.reconcileIntervalSeconds * 1000,
          );
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
      if (reconcileTimer !== undefined) clock.clearTimeout(reconcileTimer);
      parts.whenCommitted(() => {});
      await poller;
      await lanes.drain();
      await Promise.all(inFlight);
      if (sender) {
        // Let receipts of the last payments go out before stopping; the rest waits in storage.
        await sender.ref.ask<void>((reply) => ({ type: "Drain", reply }), {
          timeoutMs: outboxDrainMs,
        }).catch(() => {});
        await sender.stop();
      }
      await env.balances?.unregister(config.id).catch(() => {});
      await parts.close();
    },
  };
}
