/**
 * The tenant actor: one per hosted bot. It owns the bot's grammY `Bot` and its update loop, and
 * handles the updates its poller hands it. A tenant that crashes is restarted by its supervisor;
 * nothing it does can reach another tenant.
 *
 * @example
 * ```ts ignore
 * import { startTenant } from "./tenant.ts";
 * const tenant = await startTenant(config, { clock: systemClock });
 * await tenant.stop();
 * ```
 * @module
 */
import type { Update } from "grammy/types";
import { Actor, type Behavior, type Reply } from "./actor.ts";
import type { Clock } from "./clock.ts";
import type { DeadLetters } from "./dead_letters.ts";
import type { TenantConfig } from "../config/tenant_schema.ts";
import { createTenantBot, initTenantBot } from "../adapters/telegram/tenant_bot.ts";
import { type AllowedUpdate, runPoller } from "../adapters/telegram/poller.ts";
import { Texts } from "../adapters/telegram/texts.ts";
import { tenantLogger } from "../adapters/logging.ts";

/** The tenant actor's protocol. */
export type TenantMsg =
  /** A batch from the poller; replied to once every update in it has been handled. */
  | { type: "HandleUpdates"; updates: Update[]; reply: Reply<void> }
  /** The poller ended on its own: it failed, and the tenant must fail with it. */
  | { type: "PollerFailed"; error: unknown };

/** What every tenant shares with the rest of the process. */
export interface TenantEnvironment {
  clock: Clock;
  deadLetters?: DeadLetters;
  /** Long-poll duration in seconds; tests shorten it so stops are quick. */
  pollTimeoutSeconds?: number;
}

/** Updates the runtime asks Telegram for; payments need the last two. */
export const allowedUpdates: readonly AllowedUpdate[] = [
  "message",
  "callback_query",
  "pre_checkout_query",
];

/**
 * How long the poller waits for a batch to be handled. A batch that takes longer means a stuck
 * handler: the tenant crashes and restarts, and the unconfirmed batch is delivered again.
 */
const batchTimeoutMs = 60_000;

/**
 * Builds the tenant's bot, checks its token with `getMe` (a 401 throws a `FatalError`, which
 * parks the tenant), registers its commands and starts the actor, which starts polling.
 */
export async function startTenant(
  config: TenantConfig,
  env: TenantEnvironment,
): Promise<Actor<TenantMsg>> {
  const logger = tenantLogger(config.id);
  const texts = new Texts(config.texts, config.locale);
  const bot = createTenantBot(config, texts, logger);
  await initTenantBot(bot, texts);
  logger.info("Bot @{username} is up; polling for updates.", { username: bot.botInfo.username });

  const behavior = (): Behavior<TenantMsg> => {
    let poller: Promise<void> | undefined;
    return {
      preStart(ctx) {
        poller = runPoller({
          api: bot.api,
          allowedUpdates,
          signal: ctx.signal,
          clock: env.clock,
          logger,
          timeoutSeconds: env.pollTimeoutSeconds,
          handle: (updates) =>
            ctx.self.ask<void>((reply) => ({ type: "HandleUpdates", updates, reply }), {
              timeoutMs: batchTimeoutMs,
            }),
        }).catch((error) => {
          if (!ctx.signal.aborted) ctx.self.tell({ type: "PollerFailed", error });
        });
      },
      async receive(msg) {
        switch (msg.type) {
          case "HandleUpdates":
            // bot.catch logs a failing handler, so one bad update never blocks the rest.
            for (const update of msg.updates) await bot.handleUpdate(update);
            msg.reply();
            return;
          case "PollerFailed":
            throw msg.error;
        }
      },
      async postStop() {
        await poller;
      },
    };
  };
  return Actor.spawn(`tenant:${config.id}`, behavior, {
    clock: env.clock,
    deadLetters: env.deadLetters,
  });
}
