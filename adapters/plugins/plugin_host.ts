/**
 * A tenant's plugin, run in a worker (`worker_session.ts`) and seen by the tenant's bot as one
 * middleware, where the plugin's composer used to be: after the runtime's handlers, before the
 * fallbacks. The middleware hands each update to the tenant's plugin instance in the worker and
 * calls `next()` only when the plugin did.
 *
 * **Which worker.** By default (`"pluginWorker": "shared"`) the tenant joins the process-wide
 * worker of its plugin file (`plugin_workers.ts`), shared with every tenant using that file:
 * each gets an instance of its own in it (its default export is called once per tenant), and
 * only the module's top-level state is shared. Sharing is the default because a worker per
 * tenant is what made plugins expensive (an isolate of about 13 MiB each, and 10× the CPU per
 * update at 100 tenants); `"own"` gives the tenant a worker of its own, as before sharing, for a
 * plugin that keeps per-tenant state at its top level or must not share for any other reason.
 * Either way the worker starts on demand and stops when idle (`worker_group.ts`).
 *
 * **What is checked when the tenant starts**: everything that can be known without running the
 * plugin — its path is its real path (no link leading out of the config folder since the config
 * was loaded), its folder holds no link leading out of it, and it is a readable file. A failure
 * there is a configuration error, a `FatalError` that parks the tenant. Whether the plugin
 * *installs* (loads, exports a function, and that function returns) can only be known by running
 * it, which is the cost this design avoids at start; so it is found on first use: logged with the
 * reason, the update that needed it fails (its user is told), and it is tried again with backoff
 * (`actors/kernel/backoff.ts`): updates fail at once until the delay has passed, and the next
 * update after it tries again. A module that cannot load fails the worker (every tenant of the
 * file alike); a default export that throws for this tenant fails only this tenant's instance.
 * Meanwhile the tenant's own commands and payments go on as usual.
 *
 * **What crosses to the worker.** A plugin may declare which updates it wants
 * (`update_filter.ts`); once the tenant's instance is installed, any other update passes
 * straight on to the fallbacks. The updates handed over within a turn of the event loop cross in
 * one message, and the worker's calls and outcomes come back likewise (`message_batch.ts`).
 * @module
 */
import type { Context, MiddlewareFn } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Logger } from "@logtape/logtape";
import { FatalError } from "../../actors/kernel/child.ts";
import { type Clock, systemClock } from "../../actors/kernel/clock.ts";
import {
  backoffDelay,
  type BackoffPolicy,
  resolveBackoffPolicy,
} from "../../actors/kernel/backoff.ts";
import { runtimeLogger } from "../observability/logging.ts";
import { PluginFailure, type PluginLimits, type TenantBinding } from "./worker_session.ts";
import type { StarsService } from "./plugin_api.ts";
import type { RawCall } from "./plugin_bot_api.ts";
import { type Member, WorkerGroup } from "./worker_group.ts";
import { type PluginWorkers, pluginWorkers } from "./plugin_workers.ts";
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

/** Whether a tenant shares its plugin file's worker (the default) or has one of its own. */
export type PluginWorkerMode = "shared" | "own";

/** What a tenant's plugin needs; the worker, limits, backoff, idle stop and clock have defaults. */
export interface PluginHostOptions {
  /** The plugin module's real path. */
  path: string;
  tenantId: string;
  stars: StarsService;
  /** The tenant's own Bot API client; its plugin instance's calls go through it. */
  callApi: RawCall;
  /** The tenant's plugin logger: the plugin's records and what happens to its worker. */
  logger: Logger;
  /** `"shared"` by default; see the module doc. */
  worker?: PluginWorkerMode;
  /** Where shared workers are kept; the process's by default. */
  workers?: PluginWorkers;
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
export class PluginHost implements Member {
  readonly #options: PluginHostOptions;
  readonly #backoff: BackoffPolicy;
  readonly #random: () => number;
  readonly #clock: Clock;
  #binding: TenantBinding | undefined;
  /** The worker's group, and its key among the shared ones (none for an own worker). */
  #group: WorkerGroup | undefined;
  #groupKey: string | undefined;
  /** After the instance failed to install, it is not tried again before this time (the clock's). */
  #retryAt = 0;
  /** Installs that failed one after another, for the backoff. */
  #failures = 0;
  /** Why the last install failed, for the updates that fail meanwhile. */
  #lastFailure = "";
  /** Whether the instance is to be installed after a failure (its worker's or its own). */
  #recovering = false;
  #stopped = false;

  constructor(options: PluginHostOptions) {
    this.#options = options;
    this.#backoff = resolveBackoffPolicy(options.backoff);
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Checks, without running the plugin, that its file and folder are usable (see the module
   * doc), and joins its worker's group; throws `FatalError` if not usable. The worker starts
   * with the first update.
   */
  async start(me: UserFromGetMe): Promise<void> {
    const { path, tenantId, stars, callApi, logger } = this.#options;
    let modifiedAt: number;
    try {
      await pluginPermissions(path);
      const info = await Deno.stat(path);
      if (!info.isFile) throw new PluginPathError(`plugin ${path} is not a file`);
      (await Deno.open(path, { read: true })).close();
      modifiedAt = info.mtime?.getTime() ?? 0;
    } catch (error) {
      const message = error instanceof PluginPathError
        ? error.message
        : `plugin ${path} could not be loaded: ${(error as Error).message}`;
      throw new FatalError(message, { cause: error });
    }
    if (this.#stopped || this.#group !== undefined) return;
    this.#binding = {
      tenantId,
      me,
      stars,
      callApi,
      logger,
      onInstallFailed: (reason) => this.#installFailed(reason),
    };
    if ((this.#options.worker ?? "shared") === "own") {
      this.#group = new WorkerGroup(this.#groupOptions(`plugin of ${tenantId}`, logger));
      this.#group.add(this);
      return;
    }
    this.#groupKey = `${path}\n${modifiedAt}`;
    this.#group = (this.#options.workers ?? pluginWorkers).join(
      this.#groupKey,
      () => this.#groupOptions(`plugin ${path}`, runtimeLogger("plugins").getChild(path)),
      this,
    );
  }

  /** Whether the worker this tenant uses runs now (none before the first update, idle…). */
  get running(): boolean {
    return this.#group?.running ?? false;
  }

  /** The tenant's side of the worker; see `Member`. */
  get binding(): TenantBinding {
    if (this.#binding === undefined) throw new Error("the plugin host was not started");
    return this.#binding;
  }

  /** The middleware that stands for the plugin in the tenant's bot. */
  middleware(): MiddlewareFn<Context> {
    const { tenantId } = this.#options;
    return async (ctx, next) => {
      // An update the installed plugin declared it does not want never crosses to its worker.
      const running = this.#group?.session;
      if (running !== undefined && !running.wants(tenantId, ctx)) return await next();
      const group = this.#groupForUpdate();
      const session = group.sessionFor(this);
      group.began();
      let passedOn: boolean;
      try {
        ({ passedOn } = await session.handle(tenantId, ctx.update));
      } finally {
        group.finished();
      }
      if (passedOn) await next();
    };
  }

  /** Takes the tenant's instance out of its worker; its updates still there fail. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const group = this.#group;
    this.#group = undefined;
    if (group === undefined) return;
    const reason = "the tenant is stopping";
    if (this.#groupKey === undefined) group.remove(this, reason);
    else (this.#options.workers ?? pluginWorkers).leave(this.#groupKey, this, reason);
  }

  joining(installed: Promise<void>): void {
    if (!this.#recovering) return;
    installed.then(() => {
      this.#recovering = false;
      this.#failures = 0;
      this.#options.logger.info("The plugin's worker is running again.");
    }, () => {}); // how it failed is reported on its own (`#installFailed`, `workerFailed`)
  }

  workerFailed(reason: string, delayMs: number): void {
    this.#recovering = true;
    this.#options.logger.error(
      "The plugin's worker was stopped ({reason}); restarting it with the next update after " +
        "{delayMs} ms.",
      { reason, delayMs },
    );
  }

  /** The group to hand an update to; throws while the tenant waits to install again. */
  #groupForUpdate(): WorkerGroup {
    if (this.#stopped) throw new PluginFailure("the tenant is stopping");
    if (this.#group === undefined) throw new PluginFailure("the plugin was not checked yet");
    if (this.#clock.now() < this.#retryAt) {
      throw new PluginFailure(`the plugin is restarting (${this.#lastFailure})`);
    }
    return this.#group;
  }

  /** The tenant's instance failed to install, alone: it is tried again after a backoff delay. */
  #installFailed(reason: string): void {
    if (this.#stopped) return;
    this.#recovering = true;
    this.#lastFailure = reason;
    const delayMs = Math.round(backoffDelay(this.#backoff, this.#failures, this.#random));
    this.#failures++;
    this.#retryAt = this.#clock.now() + delayMs;
    this.#options.logger.error(
      "The plugin failed to install ({reason}); trying again with the next update after " +
        "{delayMs} ms.",
      { reason, delayMs },
    );
  }

  #groupOptions(name: string, logger: Logger) {
    const { path, limits, idleStopAfterMs } = this.#options;
    return {
      path,
      name,
      limits: { ...DEFAULT_PLUGIN_LIMITS, ...limits },
      backoff: this.#backoff,
      random: this.#random,
      clock: this.#clock,
      idleStopAfterMs: idleStopAfterMs ?? DEFAULT_IDLE_STOP_AFTER_MS,
      logger,
    };
  }
}
