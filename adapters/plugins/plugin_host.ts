/**
 * A tenant's plugin, run in a worker of its own (`worker_session.ts`) and seen by the tenant's
 * bot as one middleware, where the plugin's composer used to be: after the runtime's handlers,
 * before the fallbacks. The middleware hands each update to the worker and calls `next()` only
 * when the plugin did.
 *
 * **The worker starts on demand.** A worker costs about 15 MiB and 30 ms to start, and most
 * tenants of a large fleet are idle most of the time, so nothing starts with the tenant: the
 * first update that reaches the middleware starts the worker (and waits for the plugin to
 * install), and a worker that has handled nothing for `idleStopAfterMs` (5 minutes) is stopped,
 * to start again with the next update. A plugin therefore must not count on its in-memory state
 * or its timers outliving an idle spell (nor a restart, as before).
 *
 * **What is checked when the tenant starts**: everything that can be known without running the
 * plugin — its path is its real path (no link leading out of the config folder since the config
 * was loaded), its folder holds no link leading out of it, and it is a readable file. A failure
 * there is a configuration error, a `FatalError` that parks the tenant. Whether the plugin
 * *installs* (loads, exports a function, and that function returns) can only be known by running
 * it, which is the cost this design avoids at start; so a plugin that fails to install is a
 * failure of its worker like any other, found on first use: logged with the reason, the update
 * that needed it fails (its user is told), and the worker is started again with backoff
 * (`actors/kernel/backoff.ts`). Restarts are on demand too: after a failure, updates fail at once
 * until the backoff delay has passed, and the next update after it starts the worker — a broken
 * plugin of an idle tenant costs nothing, rather than a worker started every 30 s forever.
 * Meanwhile the tenant's own commands and payments go on as usual.
 *
 * **What crosses to the worker.** A plugin may declare which updates it wants
 * (`update_filter.ts`); once its worker has installed it, any other update passes straight on to
 * the fallbacks. The updates handed over within a turn of the event loop cross in one message,
 * and the worker's calls and outcomes come back likewise (`message_batch.ts`).
 * @module
 */
import type { Context, MiddlewareFn } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { FatalError } from "../../actors/kernel/child.ts";
import { type Clock, systemClock, type TimerId } from "../../actors/kernel/clock.ts";
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
import { PluginPathError, pluginPermissions } from "./plugin_permissions.ts";

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

/** A worker idle this long is stopped; the next update starts it again. */
export const DEFAULT_IDLE_STOP_AFTER_MS = 5 * 60_000;

/** What a tenant's plugin needs; limits, backoff, idle stop and clock have defaults. */
export interface PluginHostOptions extends Omit<SessionOptions, "me" | "limits"> {
  limits?: Partial<PluginLimits>;
  backoff?: Partial<BackoffPolicy>;
  /** Jitter of the restart delays, returning [0, 1]. */
  random?: () => number;
  /** How long a worker may handle nothing before it is stopped; 5 minutes by default. */
  idleStopAfterMs?: number;
  /** Times the idle stop and the restart backoff; the system clock by default. */
  clock?: Clock;
}

/** A tenant's plugin in its worker; see the module doc. */
export class PluginHost {
  readonly #options: Omit<SessionOptions, "me">;
  readonly #backoff: BackoffPolicy;
  readonly #random: () => number;
  readonly #clock: Clock;
  readonly #idleStopAfterMs: number;
  #me: UserFromGetMe | undefined;
  /** The running worker; none before the first update, while idle or while a restart waits. */
  #session: WorkerSession | undefined;
  /** When the current worker was started (the clock's time), for the backoff's reset. */
  #sessionStartedAt = 0;
  /** Updates in the worker now; it is never stopped as idle while it holds one. */
  #busy = 0;
  /** When the worker last received or finished an update (the clock's time). */
  #lastUsedAt = 0;
  #idleTimer: TimerId | undefined;
  /** After a failure, no worker is started before this time (the clock's). */
  #retryAt = 0;
  /** Runs that ended one after another, for the backoff. */
  #failures = 0;
  /** Why the last run ended, for the updates that fail meanwhile. */
  #lastFailure = "";
  #stopped = false;

  constructor(options: PluginHostOptions) {
    const { limits, backoff, random, idleStopAfterMs, clock, ...session } = options;
    this.#options = { ...session, limits: { ...DEFAULT_PLUGIN_LIMITS, ...limits } };
    this.#backoff = resolveBackoffPolicy(backoff);
    this.#random = random ?? Math.random;
    this.#clock = clock ?? systemClock;
    this.#idleStopAfterMs = idleStopAfterMs ?? DEFAULT_IDLE_STOP_AFTER_MS;
  }

  /**
   * Checks, without running the plugin, that its file and folder are usable (see the module
   * doc); throws `FatalError` if not. The worker starts with the first update.
   */
  async start(me: UserFromGetMe): Promise<void> {
    const { path } = this.#options;
    try {
      await pluginPermissions(path);
      const info = await Deno.stat(path);
      if (!info.isFile) throw new PluginPathError(`plugin ${path} is not a file`);
      (await Deno.open(path, { read: true })).close();
    } catch (error) {
      const message = error instanceof PluginPathError
        ? error.message
        : `plugin ${path} could not be loaded: ${(error as Error).message}`;
      throw new FatalError(message, { cause: error });
    }
    this.#me = me;
  }

  /** Whether a worker runs now (none before the first update, while idle or restarting). */
  get running(): boolean {
    return this.#session !== undefined;
  }

  /** The middleware that stands for the plugin in the tenant's bot. */
  middleware(): MiddlewareFn<Context> {
    return async (ctx, next) => {
      // An update the running plugin declared it does not want never crosses to its worker.
      if (this.#session !== undefined && !this.#session.wants(ctx)) return await next();
      const session = this.#sessionForUpdate();
      this.#busy++;
      let passedOn: boolean;
      try {
        ({ passedOn } = await session.handle(ctx.update));
      } finally {
        this.#busy--;
        this.#lastUsedAt = this.#clock.now();
      }
      if (passedOn) await next();
    };
  }

  /** Ends the worker; updates still in it fail. */
  stop(): void {
    this.#stopped = true;
    this.#clearIdleTimer();
    this.#session?.terminate("the tenant is stopping");
    this.#session = undefined;
  }

  /** The running worker, started now if there is none; throws while a restart waits. */
  #sessionForUpdate(): WorkerSession {
    this.#lastUsedAt = this.#clock.now();
    if (this.#session !== undefined) return this.#session;
    if (this.#stopped) throw new PluginFailure("the tenant is stopping");
    if (this.#me === undefined) throw new PluginFailure("the plugin was not checked yet");
    if (this.#lastUsedAt < this.#retryAt) {
      throw new PluginFailure(`the plugin is restarting (${this.#lastFailure})`);
    }
    const session = WorkerSession.start({ ...this.#options, me: this.#me });
    this.#session = session;
    this.#sessionStartedAt = this.#lastUsedAt;
    void session.ended.then((reason) => this.#ended(session, reason));
    if (this.#failures > 0) {
      session.installed.then(
        () => this.#options.logger.info("The plugin's worker is running again."),
        () => {}, // the run ended, and `ended` reports it
      );
    }
    this.#armIdleTimer(this.#idleStopAfterMs);
    return session;
  }

  #ended(session: WorkerSession, reason: string): void {
    if (this.#stopped || this.#session !== session) return;
    this.#session = undefined;
    this.#clearIdleTimer();
    this.#lastFailure = reason;
    const now = this.#clock.now();
    if (now - this.#sessionStartedAt >= this.#backoff.resetAfterMs) this.#failures = 0;
    const delayMs = Math.round(backoffDelay(this.#backoff, this.#failures, this.#random));
    this.#failures++;
    this.#retryAt = now + delayMs;
    this.#options.logger.error(
      "The plugin's worker was stopped ({reason}); restarting it with the next update after " +
        "{delayMs} ms.",
      { reason, delayMs },
    );
  }

  #armIdleTimer(delayMs: number): void {
    this.#clearIdleTimer();
    this.#idleTimer = this.#clock.setTimeout(() => this.#checkIdle(), delayMs);
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer !== undefined) this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Stops a worker idle for `idleStopAfterMs`; otherwise looks again when it would be. */
  #checkIdle(): void {
    this.#idleTimer = undefined;
    const session = this.#session;
    if (session === undefined || this.#stopped) return;
    const idleMs = this.#clock.now() - this.#lastUsedAt;
    if (this.#busy > 0 || idleMs < this.#idleStopAfterMs) {
      this.#armIdleTimer(this.#busy > 0 ? this.#idleStopAfterMs : this.#idleStopAfterMs - idleMs);
      return;
    }
    this.#session = undefined;
    this.#failures = 0; // it ran until it had nothing to do: the next start is no retry
    session.terminate("idle");
    this.#options.logger.debug(
      "Stopped the plugin's worker, idle for {idleMs} ms; the next update starts it again.",
      { idleMs },
    );
  }
}
