/**
 * One run of a plugin's worker, seen from the host: it starts the worker with its reduced
 * permissions (`plugin_permissions.ts`), installs the plugin instance of each tenant that joins
 * it, hands it their updates, answers their requests (`protocol.ts`) and watches it. A worker
 * may hold the instances of several tenants using the same plugin file (`plugin_workers.ts`):
 * each request names its tenant, and is made with that tenant's bot and services, only while
 * that tenant's instance is here.
 *
 * The run ends — the worker is terminated and every update it holds, of every tenant, fails —
 * when the worker:
 *
 * - throws where nothing catches it (a timer, an unhandled rejection): the error stays here,
 *   it never reaches the process;
 * - answers no heartbeat for `blockedAfterMs`: a busy loop, which would hold its thread forever;
 * - reports more memory than its limit (its heap and its buffers; see
 *   {@linkcode memoryLimitOf}), before V8's own heap limit ends the whole process;
 * - cannot load the plugin module, or does not finish loading it within `installTimeoutMs`.
 *
 * A tenant's instance whose default export throws, or does not return within
 * `installTimeoutMs` once the module is loaded, fails alone: its updates fail and the tenant
 * is told (`onInstallFailed`); the other instances go on. A run left with no instance at all
 * that way ends too, but as no failure of the worker (there is nothing left to run).
 *
 * An update the plugin does not finish within `updateDeadlineMs` fails on its own (its user's
 * lane goes on); the worker, still answering heartbeats, keeps running. Deadlines are checked on
 * the heartbeat's ticks (every `blockedAfterMs / 3`, 1 s by default), so an update fails up to one
 * tick after its deadline: a timer per update, set and cleared, cost more on the hot path than
 * that precision is worth. `worker_group.ts` restarts a run that ended.
 * @module
 */
import { type Context, type FilterQuery, matchFilter } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import type { Logger } from "@logtape/logtape";
import { describeError } from "../telegram/describe_error.ts";
import { secrets } from "../observability/redact.ts";
import { callForPlugin, type RawCall } from "./plugin_bot_api.ts";
import { emitForwarded, lowestLevelOf } from "./forwarded_logs.ts";
import { pluginPermissions } from "./plugin_permissions.ts";
import type { StarsService } from "./plugin_api.ts";
import type { HostMessage, Settled, StarsCall, WorkerMessage } from "./protocol.ts";
import { messagesOf, readWorkerMessage } from "./worker_messages.ts";
import { MessageBatch } from "./message_batch.ts";

/** How long a plugin may take, and how much memory it may hold; see the module doc. */
export interface PluginLimits {
  updateDeadlineMs: number;
  blockedAfterMs: number;
  memoryLimitBytes: number;
  installTimeoutMs: number;
}

/** What one run of a plugin's worker needs. */
export interface SessionOptions {
  /** The plugin module's real path. */
  path: string;
  /** The worker's name, for the debugger and the process's errors: whom it serves. */
  name: string;
  limits: PluginLimits;
  /** Where what concerns the worker itself is logged (a malformed message, say). */
  logger: Logger;
}

/** A tenant's side of a worker: whose bot and services its plugin instance uses. */
export interface TenantBinding {
  tenantId: string;
  /** The bot, as `getMe` describes it. */
  me: UserFromGetMe;
  stars: StarsService;
  /** The tenant's own Bot API client; its instance's calls go through it, and no other's. */
  callApi: RawCall;
  /** The tenant's plugin logger: its instance's records. */
  logger: Logger;
  /** Its instance failed to install, alone (see the module doc); `reason` says why. */
  onInstallFailed(reason: string): void;
}

/** An update the plugin could not handle: its worker failed, stopped or took too long. */
export class PluginFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PluginFailure";
  }
}

/** How a plugin's update ended, when it did. */
export interface Handled {
  /** Whether the plugin called `next()`: then the tenant's fallbacks run. */
  passedOn: boolean;
}

/** How a run ended by itself: `failure` when the worker failed, not when it had no one left. */
export interface Ending {
  reason: string;
  failure: boolean;
  /** The tenants whose instance was in the worker then, whose updates in it failed. */
  tenants: string[];
}

const WORKER_ENTRY = new URL("./plugin_worker.ts", import.meta.url);

/** Heartbeats per `blockedAfterMs` while updates are in flight: a late answer is seen soon. */
const HEARTBEATS_PER_LIMIT = 3;

/** While idle, one heartbeat in this many ticks: enough to see a hidden busy loop or growth. */
const IDLE_TICKS_PER_HEARTBEAT = 10;

const MIB = 1024 * 1024;

/** Each tenant beyond the first raises a worker's memory limit by this share of the limit. */
const SHARE_PER_EXTRA_TENANT = 1 / 8;

/** However many tenants share it, a worker's memory limit stays below this many times the limit. */
const MOST_SHARES = 4;

/**
 * The memory limit of a worker holding `tenants` instances. One worker costs about 13 MiB before
 * any plugin runs (V8, grammY, the plugin's module), paid once however many tenants share it;
 * each instance adds only its composer, its closures and its updates in flight. So the limit
 * grows by an eighth per tenant beyond the first, not by a whole limit each (100 tenants at
 * 128 MiB each would be 12.5 GiB), and stops at four times the limit (512 MiB by default), well
 * under the heap limit V8 sets for an isolate, past which it ends the whole process.
 */
export function memoryLimitOf(limitBytes: number, tenants: number): number {
  const extra = Math.max(0, tenants - 1) * SHARE_PER_EXTRA_TENANT;
  return Math.round(limitBytes * Math.min(1 + extra, MOST_SHARES));
}

/** A heartbeat sent and not answered yet. */
interface OpenPing {
  id: number;
  sentAt: number;
}

/** An update in the plugin, and how to settle it. */
interface InFlight {
  tenantId: string;
  updateId: number;
  resolve(handled: Handled): void;
  reject(error: PluginFailure): void;
  /**
   * When it fails unless finished (`Date.now()`); set once its instance is installed, as
   * installing has its own limit, `installTimeoutMs`.
   */
  deadlineAt: number | undefined;
}

/** A tenant's plugin instance in the worker, seen from the host. */
interface Instance {
  binding: TenantBinding;
  install: PromiseWithResolvers<void>;
  installed: boolean;
  installTimer: ReturnType<typeof setTimeout> | undefined;
  /** Aborts the Bot API calls made for it once it is gone. */
  calls: AbortController;
}

/** One run of a plugin's worker; see the module doc. */
export class WorkerSession {
  /** Resolves with why the run ended by itself; stays pending after {@linkcode terminate}. */
  readonly ended: Promise<Ending>;
  readonly #options: SessionOptions;
  readonly #end = Promise.withResolvers<Ending>();
  readonly #inFlight = new Map<number, InFlight>();
  readonly #instances = new Map<string, Instance>();
  #worker: Worker | undefined;
  /**
   * What goes to the worker in this turn, in one message; held while the folder is still being
   * checked, before the worker exists.
   */
  readonly #outbox = new MessageBatch<HostMessage>((messages) => this.#postNow(messages), {
    held: true,
  });
  #lastId = 0;
  #ping: OpenPing | undefined;
  #ticks = 0;
  #lastTickAt = Date.now();
  #ticker: ReturnType<typeof setInterval> | undefined;
  /** Whether the worker has loaded the plugin module (`loaded`). */
  #moduleLoaded = false;
  /** The updates the plugin declared it wants (`update_filter.ts`); none: all. */
  #wants: ((ctx: Context) => boolean) | undefined;
  #over = false;

  private constructor(options: SessionOptions) {
    this.#options = options;
    this.ended = this.#end.promise;
  }

  /** Checks the plugin's folder and starts its worker; failures end the run, never throw. */
  static start(options: SessionOptions): WorkerSession {
    const session = new WorkerSession(options);
    void session.#spawn();
    return session;
  }

  async #spawn(): Promise<void> {
    const { path, name, limits } = this.#options;
    let permissions: Deno.PermissionOptionsObject;
    try {
      permissions = await pluginPermissions(path);
    } catch (error) {
      this.#fail(error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.#over) return;
    let worker: Worker;
    try {
      worker = new Worker(WORKER_ENTRY, { type: "module", name, deno: { permissions } });
    } catch (error) {
      // Deno refuses worker permissions without --unstable-worker-options; its message says so.
      this.#fail(`could not start its worker: ${describeError(error)}`);
      return;
    }
    this.#worker = worker;
    worker.onmessage = (event) => this.#receive(event.data);
    worker.onerror = (event) => {
      // The worker reports what its plugin leaves uncaught (`threw`); should anything still get
      // here, handling it ends this worker only, where Deno would otherwise end the process.
      event.preventDefault();
      this.#fail(`threw: ${event.message}`);
    };
    worker.onmessageerror = () =>
      this.#options.logger.warn("A message from the plugin's worker was unreadable.");
    this.#ticker = setInterval(() => this.#tick(), limits.blockedAfterMs / HEARTBEATS_PER_LIMIT);
    // The installs queued meanwhile go first, each before its tenant's updates.
    this.#outbox.release();
  }

  /** How many tenants' instances the worker holds or is installing. */
  get tenants(): number {
    return this.#instances.size;
  }

  /** Whether `tenantId`'s instance is here (installed or installing). */
  holds(tenantId: string): boolean {
    return this.#instances.has(tenantId);
  }

  /**
   * Installs the tenant's instance, unless it is here already; resolves once it is installed,
   * rejects with why it could not be.
   */
  join(binding: TenantBinding): Promise<void> {
    const present = this.#instances.get(binding.tenantId);
    if (present !== undefined) return present.install.promise;
    const install = Promise.withResolvers<void>();
    // Whoever joins awaits it only to log; a run that ends before must not surface as an
    // unhandled rejection.
    install.promise.catch(() => {});
    if (this.#over) {
      install.reject(new PluginFailure("the plugin's worker has stopped"));
      return install.promise;
    }
    const { tenantId, me, logger } = binding;
    const { installTimeoutMs } = this.#options.limits;
    const instance: Instance = {
      binding,
      install,
      installed: false,
      installTimer: setTimeout(
        () => this.#installTimedOut(tenantId, installTimeoutMs),
        installTimeoutMs,
      ),
      calls: new AbortController(),
    };
    this.#instances.set(tenantId, instance);
    this.#post({
      kind: "install",
      path: this.#options.path,
      tenantId,
      logCategory: [...logger.category],
      me,
      lowestLevel: lowestLevelOf(logger),
    });
    return install.promise;
  }

  /** Drops the tenant's instance (the tenant stops or leaves); its updates still here fail. */
  leave(tenantId: string, reason: string): void {
    this.#drop(tenantId, `the plugin's worker stopped: ${reason}`);
  }

  /**
   * Whether the plugin wants the update of `ctx`: false only when the plugin declared which
   * updates it wants, the tenant's instance is installed, and this is none of them
   * (`update_filter.ts`).
   */
  wants(tenantId: string, ctx: Context): boolean {
    if (this.#wants === undefined || !this.#instances.get(tenantId)?.installed) return true;
    return this.#wants(ctx);
  }

  /**
   * Hands `update` to the tenant's instance, which must have joined; rejects with a
   * {@linkcode PluginFailure} if it fails.
   */
  handle(tenantId: string, update: Update): Promise<Handled> {
    const instance = this.#instances.get(tenantId);
    if (this.#over || instance === undefined) {
      return Promise.reject(new PluginFailure("the plugin's worker has stopped"));
    }
    const id = ++this.#lastId;
    const { promise, resolve, reject } = Promise.withResolvers<Handled>();
    // The first updates of an instance wait for it to install, which `installTimeoutMs` bounds;
    // their own deadline counts from then (`#installed`).
    const deadlineAt = instance.installed ? this.#deadlineFromNow() : undefined;
    this.#inFlight.set(id, { tenantId, updateId: update.update_id, resolve, reject, deadlineAt });
    this.#post({ kind: "update", id, tenantId, update: JSON.stringify(update) });
    return promise;
  }

  #deadlineFromNow(): number {
    return Date.now() + this.#options.limits.updateDeadlineMs;
  }

  /** Fails the updates past their deadline; see the module doc. */
  #failLateUpdates(now: number): void {
    const deadlineMs = this.#options.limits.updateDeadlineMs;
    for (const [id, update] of this.#inFlight) {
      if (update.deadlineAt === undefined || now < update.deadlineAt) continue;
      this.#inFlight.delete(id);
      update.reject(
        new PluginFailure(
          `the plugin did not finish update ${update.updateId} within ${deadlineMs} ms`,
        ),
      );
    }
  }

  /** Ends the run from the host (idle, or no tenant left); `ended` does not resolve. */
  terminate(reason: string): void {
    this.#shutDown(reason);
  }

  /** Ends the run because of the worker, for the host to restart it. */
  #fail(reason: string): void {
    if (this.#over) return;
    const tenants = [...this.#instances.keys()];
    this.#shutDown(reason);
    this.#end.resolve({ reason, failure: true, tenants });
  }

  #shutDown(reason: string): void {
    if (this.#over) return;
    this.#over = true;
    this.#outbox.close();
    this.#worker?.terminate();
    clearInterval(this.#ticker);
    for (const instance of this.#instances.values()) {
      clearTimeout(instance.installTimer);
      instance.calls.abort();
      instance.install.reject(new PluginFailure(reason));
    }
    this.#instances.clear();
    for (const update of this.#inFlight.values()) {
      update.reject(new PluginFailure(`the plugin's worker stopped: ${reason}`));
    }
    this.#inFlight.clear();
  }

  /** Removes the tenant's instance here and in the worker; its updates fail with `message`. */
  #drop(tenantId: string, message: string): Instance | undefined {
    const instance = this.#instances.get(tenantId);
    if (instance === undefined || this.#over) return undefined;
    this.#instances.delete(tenantId);
    clearTimeout(instance.installTimer);
    instance.calls.abort();
    instance.install.reject(new PluginFailure(message));
    for (const [id, update] of this.#inFlight) {
      if (update.tenantId !== tenantId) continue;
      this.#inFlight.delete(id);
      update.reject(new PluginFailure(message));
    }
    this.#post({ kind: "uninstall", tenantId });
    return instance;
  }

  /**
   * The tenant's instance failed to install, alone: it is dropped and the tenant told. A run
   * left with no instance ends, as no failure of the worker (see the module doc).
   */
  #failInstance(tenantId: string, reason: string): void {
    const instance = this.#drop(tenantId, `the plugin failed to install: ${reason}`);
    if (instance === undefined) return;
    instance.binding.onInstallFailed(reason);
    if (this.#instances.size === 0 && !this.#over) {
      this.#shutDown(reason);
      this.#end.resolve({ reason, failure: false, tenants: [] });
    }
  }

  /** An install past its limit: the module's if it is not loaded yet, else the tenant's own. */
  #installTimedOut(tenantId: string, installTimeoutMs: number): void {
    const reason = `did not finish installing within ${installTimeoutMs} ms`;
    if (this.#moduleLoaded) this.#failInstance(tenantId, reason);
    else this.#fail(reason);
  }

  /** Queues `message` for the worker; it goes out with the rest of this turn's. */
  #post(message: HostMessage): void {
    if (!this.#over) this.#outbox.push(message);
  }

  #postNow(messages: HostMessage[]): void {
    if (this.#over || this.#worker === undefined) return;
    try {
      this.#worker.postMessage(messages);
    } catch (error) {
      // A value a message cannot carry (a Stars service answer, say): the others still go, one
      // by one; the request it answers runs into its deadline.
      if (messages.length > 1) {
        for (const message of messages) this.#postNow([message]);
        return;
      }
      this.#options.logger.warn("Could not send the plugin's worker a {kind}: {error}", {
        kind: messages[0]?.kind,
        error: describeError(error),
      });
    }
  }

  /** Sends heartbeats and judges the answers; see the module doc. */
  #tick(): void {
    const { blockedAfterMs } = this.#options.limits;
    const now = Date.now();
    // A tick this late means the host's own thread was held up; the worker's answer may be
    // queued behind it, so the open heartbeat is timed from now.
    const hostStalled = now - this.#lastTickAt > 2 * (blockedAfterMs / HEARTBEATS_PER_LIMIT);
    this.#lastTickAt = now;
    this.#ticks++;
    this.#failLateUpdates(now);
    if (this.#ping !== undefined) {
      if (hostStalled) this.#ping.sentAt = now;
      else if (now - this.#ping.sentAt >= blockedAfterMs) {
        this.#fail(`blocked: no answer to a heartbeat for ${blockedAfterMs} ms`);
      }
      return;
    }
    // Loading the module (its first install) has its own limit, `installTimeoutMs`.
    const loading = !this.#moduleLoaded;
    const idle = this.#inFlight.size === 0;
    if (loading || (idle && this.#ticks % IDLE_TICKS_PER_HEARTBEAT !== 0)) return;
    this.#ping = { id: ++this.#lastId, sentAt: now };
    this.#post({ kind: "ping", id: this.#ping.id });
  }

  #receive(data: unknown): void {
    for (const message of messagesOf(data)) {
      if (this.#over) return;
      this.#receiveOne(message);
    }
  }

  #receiveOne(data: unknown): void {
    const read = readWorkerMessage(data);
    if (read.ok) {
      this.#act(read.message);
      return;
    }
    const { problem, request } = read;
    if (request?.kind === "stars") {
      this.#refuseStars(request.id, "TypeError", `a malformed Stars call: ${problem}`);
    } else if (request?.kind === "api") {
      this.#refuseApi(request.id, 400, `Bad Request: a malformed call: ${problem}`);
    } else {
      this.#options.logger.warn("Ignored a malformed message from the plugin's worker: {problem}", {
        problem,
      });
    }
  }

  #refuseStars(id: number, name: string, message: string): void {
    this.#post({ kind: "starsReply", id, reply: { ok: false, error: { name, message } } });
  }

  #refuseApi(id: number, code: number, description: string): void {
    const answer = { ok: false as const, error_code: code, description };
    this.#post({ kind: "apiReply", id, reply: { kind: "answer", answer } });
  }

  #act(message: WorkerMessage): void {
    switch (message.kind) {
      case "loaded":
        this.#moduleLoaded = true;
        return;
      case "installed":
        this.#installed(message.tenantId, message.updates);
        return;
      case "installFailed":
        if (message.ofModule) this.#fail(message.error);
        else this.#failInstance(message.tenantId, message.error);
        return;
      case "threw":
        this.#fail(`threw: ${message.error}`);
        return;
      case "handled":
      case "failed": {
        const update = this.#inFlight.get(message.id);
        if (update === undefined) return; // past its deadline, or its tenant left: already failed
        this.#inFlight.delete(message.id);
        if (message.kind === "handled") update.resolve({ passedOn: message.passedOn });
        else update.reject(new PluginFailure(message.error));
        return;
      }
      case "pong": {
        if (message.id !== this.#ping?.id) return;
        this.#ping = undefined;
        const limitBytes = memoryLimitOf(this.#options.limits.memoryLimitBytes, this.tenants);
        if (message.memoryBytes > limitBytes) {
          this.#fail(
            `held ${Math.round(message.memoryBytes / MIB)} MiB of memory, over its limit of ` +
              `${Math.round(limitBytes / MIB)} MiB`,
          );
        }
        return;
      }
      case "stars": {
        // Only a tenant whose instance is here: a plugin naming another gets nothing of it.
        const instance = this.#instances.get(message.tenantId);
        if (instance === undefined) {
          this.#refuseStars(message.id, "Error", `no plugin instance of ${message.tenantId} here`);
        } else void this.#answerStars(instance, message.id, message.call);
        return;
      }
      case "api": {
        const instance = this.#instances.get(message.tenantId);
        if (instance === undefined) {
          this.#refuseApi(message.id, 403, `Forbidden: no plugin instance of this bot here`);
        } else void this.#answerApi(instance, message.id, message.method, message.payload);
        return;
      }
      case "log": {
        const instance = this.#instances.get(message.tenantId);
        if (instance !== undefined) emitForwarded(instance.binding.logger, message.record);
        return;
      }
    }
  }

  #installed(tenantId: string, updates: string[] | undefined): void {
    const instance = this.#instances.get(tenantId);
    if (instance === undefined) return; // it left while installing
    clearTimeout(instance.installTimer);
    instance.installTimer = undefined;
    instance.installed = true;
    for (const update of this.#inFlight.values()) {
      if (update.tenantId === tenantId) update.deadlineAt = this.#deadlineFromNow();
    }
    // The declaration is the module's, the same for every instance: read once.
    if (updates && this.#wants === undefined) this.#wants = this.#filterOf(updates);
    instance.install.resolve();
  }

  /** The filter of `queries`; none (every update) when grammY does not know one of them. */
  #filterOf(queries: string[]): ((ctx: Context) => boolean) | undefined {
    try {
      return matchFilter(queries as FilterQuery[]);
    } catch (error) {
      // The worker checked them with its own grammY; whatever posted these did not.
      this.#options.logger.warn("Ignored the plugin's declared updates: {error}", {
        error: describeError(error),
      });
      return undefined;
    }
  }

  async #answerStars(instance: Instance, id: number, call: StarsCall): Promise<void> {
    let reply: Settled;
    try {
      reply = { ok: true, value: await callStars(instance.binding.stars, call) };
    } catch (error) {
      reply = {
        ok: false,
        error: {
          name: error instanceof Error ? error.name : "Error",
          message: secrets.redact(describeError(error)),
        },
      };
    }
    this.#post({ kind: "starsReply", id, reply });
  }

  async #answerApi(
    instance: Instance,
    id: number,
    method: string,
    payload: Record<string, unknown>,
  ): Promise<void> {
    const { callApi } = instance.binding;
    const reply = await callForPlugin(method, payload, callApi, instance.calls.signal);
    this.#post({ kind: "apiReply", id, reply });
  }
}

function callStars(stars: StarsService, call: StarsCall): Promise<unknown> {
  switch (call.method) {
    case "balance":
      return stars.balance(call.userId);
    case "deduct":
      return stars.deduct(call.userId, call.amount, call.request);
    case "offer":
      return stars.offer(call.userId, call.chatId, call.productId, call.languageCode);
    case "history":
      return stars.history(call.userId, call.page);
  }
}
