/**
 * How updates reach a tenant: the update source registered with Telegram at start (polling, or a
 * webhook with its secret), and for a polling tenant the poller itself. Either way a batch is
 * handed to the tenant actor, and Telegram hears it was received only once the actor answers.
 *
 * @module
 */
import type { Update } from "grammy/types";
import type { TenantParts } from "./tenant_build.ts";
import type { TenantEnvironment } from "./tenant_environment.ts";
import { type AllowedUpdate, runPoller } from "../../adapters/telegram/poller.ts";
import { registerUpdateSource, type UpdateSource } from "../../adapters/telegram/update_source.ts";

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
 * Tells Telegram how this tenant takes updates, before its actor starts: a webhook must point
 * here (and polling must find no webhook in the way) before the first update is asked for.
 */
export async function registerIntake(
  parts: Pick<TenantParts, "bot" | "config" | "logger" | "optionalCalls">,
  env: Pick<TenantEnvironment, "db" | "publicUrl">,
): Promise<UpdateSource> {
  const source = await registerUpdateSource(parts.bot.api, parts.config, {
    db: env.db,
    publicUrl: env.publicUrl,
    allowedUpdates,
    // Clearing an old webhook is not needed to poll: retried once the tenant serves.
    retryInBackground: (call, error) => parts.optionalCalls.retryLater(call, error),
  });
  parts.logger.info("Bot @{username} is up; updates by {mode}.", {
    username: parts.bot.botInfo.username,
    mode: source.mode,
  });
  return source;
}

/** What {@linkcode startPolling} needs from the tenant actor. */
export interface PollingHooks {
  /** Aborted when the actor stops or restarts. */
  stop: AbortSignal;
  /** Aborted when the tenant drains ahead of a stop. */
  drain: AbortSignal;
  /** Hands a batch to the actor; the batch is confirmed to Telegram once this resolves. */
  handle(updates: Update[]): Promise<void>;
  /** The poller gave up (a revoked token, a bug): the tenant must crash. */
  onFailure(error: unknown): void;
}

/** Starts the poller; the promise settles, never rejecting, once polling has ended. */
export function startPolling(
  parts: Pick<TenantParts, "bot" | "logger">,
  env: Pick<TenantEnvironment, "clock" | "pollTimeoutSeconds" | "pollWindowMs" | "random">,
  hooks: PollingHooks,
): Promise<void> {
  return runPoller({
    api: parts.bot.api,
    allowedUpdates,
    // Polling ends at the drain, before the stop: SIGTERM must not take new updates while
    // the tenants stop one after another.
    signal: AbortSignal.any([hooks.stop, hooks.drain]),
    clock: env.clock,
    logger: parts.logger,
    random: env.random,
    timeoutSeconds: env.pollTimeoutSeconds,
    windowMs: env.pollWindowMs,
    handle: hooks.handle,
  }).catch(hooks.onFailure);
}
