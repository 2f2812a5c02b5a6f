/**
 * A tenant's plugin, run in a worker of its own (`worker_session.ts`) and seen by the tenant's
 * bot as one middleware, where the plugin's composer used to be: after the runtime's handlers,
 * before the fallbacks. The middleware hands each update to the worker and calls `next()` only
 * when the plugin did.
 *
 * The first start happens with the tenant's: a plugin that cannot be installed is a
 * configuration error, a `FatalError` that parks the tenant. Later, a worker that throws,
 * blocks, grows too big or fails to install again is restarted with backoff
 * (`actors/kernel/backoff.ts`); meanwhile the updates meant for the plugin fail (their users are
 * told), while the tenant's own commands and payments go on as usual.
 *
 * @example
 * ```ts ignore
 * const plugin = new PluginHost({ path, tenantId: "oracle", stars, callApi, logger });
 * bot.use(plugin.middleware()); // after the runtime's handlers, before the fallbacks
 * await plugin.start(bot.botInfo); // FatalError if the plugin cannot be installed
 * plugin.stop();
 * ```
 * @module
 */
import type { Context, MiddlewareFn } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { FatalError } from "../../actors/kernel/child.ts";
import {
  backoffDelay,
  type BackoffPolicy,
  resolveBackoffPolicy,
} from "../../actors/kernel/backoff.ts";
import {
  PluginFailure,
  type PluginLimits,
  type SessionOptions,
  WorkerSession,
} from "./worker_session.ts";

/**
 * Defaults: a heartbeat unanswered for 3 s is a blocked thread (no handler computes that long
 * without yielding); 10 s for an update, as long as Telegram gives a pre-checkout query, and
 * the longest a user's next update should wait behind it; 128 MiB, ten times what a plugin's
 * worker starts with, and far below V8's own heap limit, which would end the process.
 */
export const DEFAULT_PLUGIN_LIMITS: PluginLimits = Object.freeze({
  updateDeadlineMs: 10_000,
  blockedAfterMs: 3_000,
  memoryLimitBytes: 128 * 1024 * 1024,
  installTimeoutMs: 10_000,
});

/** What a tenant's plugin needs; limits and backoff have defaults. */
export interface PluginHostOptions extends Omit<SessionOptions, "me" | "limits"> {
  limits?: Partial<PluginLimits>;
  backoff?: Partial<BackoffPolicy>;
  /** Jitter of the restart delays, returning [0, 1]. */
  random?: () => number;
}

/** A tenant's plugin in its worker; see the module doc. */
export class PluginHost {
  readonly #options: Omit<SessionOptions, "me">;
  readonly #backoff: BackoffPolicy;
  readonly #random: () => number;
  #me: UserFromGetMe | undefined;
  /** The running worker; none while a restart waits. */
  #session: WorkerSession | undefined;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** Runs that ended one after another, for the backoff. */
  #failures = 0;
  /** Why the last run ended, for the updates that fail meanwhile. */
  #lastFailure = "";
  #stopped = false;

  constructor(options: PluginHostOptions) {
    const { limits, backoff, random, ...session } = options;
    this.#options = { ...session, limits: { ...DEFAULT_PLUGIN_LIMITS, ...limits } };
    this.#backoff = resolveBackoffPolicy(backoff);
    this.#random = random ?? Math.random;
  }

  /** Starts the worker and installs the plugin; throws `FatalError` if it cannot be installed. */
  async start(me: UserFromGetMe): Promise<void> {
    this.#me = me;
    const session = this.#spawn();
    try {
      await session.installed;
    } catch (error) {
      throw new FatalError((error as Error).message, { cause: error });
    }
    this.#watch(session);
  }

  /** The middleware that stands for the plugin in the tenant's bot. */
  middleware(): MiddlewareFn<Context> {
    return async (ctx, next) => {
      const session = this.#session;
      if (session === undefined) {
        throw new PluginFailure(`the plugin is restarting (${this.#lastFailure})`);
      }
      const { passedOn } = await session.handle(ctx.update);
      if (passedOn) await next();
    };
  }

  /** Ends the worker; updates still in it fail. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    this.#session?.terminate("the tenant is stopping");
    this.#session = undefined;
  }

  #spawn(): WorkerSession {
    return WorkerSession.start({ ...this.#options, me: this.#me! });
  }

  #watch(session: WorkerSession): void {
    this.#session = session;
    void session.ended.then((reason) => this.#restartLater(session, reason));
  }

  #restartLater(session: WorkerSession, reason: string): void {
    if (this.#stopped || this.#session !== session) return;
    this.#session = undefined;
    this.#lastFailure = reason;
    if (Date.now() - session.startedAt >= this.#backoff.resetAfterMs) this.#failures = 0;
    const delayMs = Math.round(backoffDelay(this.#backoff, this.#failures, this.#random));
    this.#failures++;
    this.#options.logger.error(
      "The plugin's worker was stopped ({reason}); restarting it in {delayMs} ms.",
      { reason, delayMs },
    );
    this.#restartTimer = setTimeout(() => this.#restart(), delayMs);
  }

  #restart(): void {
    if (this.#stopped) return;
    const session = this.#spawn();
    this.#watch(session);
    session.installed.then(
      () => this.#options.logger.info("The plugin's worker is running again."),
      () => {}, // the run ended, and `ended` schedules the next try
    );
  }
}
