/**
 * One run of a plugin's worker, seen from the host: it starts the worker with its reduced
 * permissions (`plugin_permissions.ts`), installs the plugin, hands it updates, answers its
 * requests (`protocol.ts`) and watches it. The run ends — the worker is terminated and every
 * update it holds fails — when the worker:
 *
 * - throws where nothing catches it (a timer, an unhandled rejection): the error stays here,
 *   it never reaches the process;
 * - answers no heartbeat for `blockedAfterMs`: a busy loop, which would hold its thread forever;
 * - reports more memory than `memoryLimitBytes` (its heap and its buffers), before V8's own
 *   heap limit ends the whole process;
 * - does not finish installing within `installTimeoutMs`, or fails to install.
 *
 * An update the plugin does not finish within `updateDeadlineMs` fails on its own (its user's
 * lane goes on); the worker, still answering heartbeats, keeps running. `plugin_host.ts`
 * restarts a run that ended.
 * @module
 */
import type { Update, UserFromGetMe } from "grammy/types";
import type { Logger } from "@logtape/logtape";
import { describeError } from "../telegram/describe_error.ts";
import { secrets } from "../observability/redact.ts";
import { callForPlugin, type RawCall } from "./plugin_bot_api.ts";
import { emitForwarded, lowestLevelOf } from "./forwarded_logs.ts";
import { pluginPermissions } from "./plugin_permissions.ts";
import type { StarsService } from "./plugin_api.ts";
import type { HostMessage, Settled, StarsCall, WorkerMessage } from "./protocol.ts";
import { readWorkerMessage } from "./worker_messages.ts";

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
  tenantId: string;
  /** The bot, as `getMe` describes it. */
  me: UserFromGetMe;
  stars: StarsService;
  /** The tenant's own Bot API client; the plugin's calls go through it. */
  callApi: RawCall;
  /** The tenant's plugin logger: the plugin's records and what happens to its worker. */
  logger: Logger;
  limits: PluginLimits;
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

const WORKER_ENTRY = new URL("./plugin_worker.ts", import.meta.url);

/** Heartbeats per `blockedAfterMs` while updates are in flight: a late answer is seen soon. */
const HEARTBEATS_PER_LIMIT = 3;

/** While idle, one heartbeat in this many ticks: enough to see a hidden busy loop or growth. */
const IDLE_TICKS_PER_HEARTBEAT = 10;

const MIB = 1024 * 1024;

/** A heartbeat sent and not answered yet. */
interface OpenPing {
  id: number;
  sentAt: number;
}

/** An update in the plugin, and how to settle it. */
interface InFlight {
  resolve(handled: Handled): void;
  reject(error: PluginFailure): void;
  /** Armed once the plugin is installed: installing has its own limit, `installTimeoutMs`. */
  deadline: ReturnType<typeof setTimeout> | undefined;
}

/** One run of a plugin's worker; see the module doc. */
export class WorkerSession {
  /** Resolves once the plugin is installed; rejects with why it could not be. */
  readonly installed: Promise<void>;
  /** Resolves with why the run ended by itself; stays pending after {@linkcode terminate}. */
  readonly ended: Promise<string>;
  readonly #options: SessionOptions;
  readonly #install = Promise.withResolvers<void>();
  readonly #end = Promise.withResolvers<string>();
  /** Aborts the Bot API calls the worker is waiting for once it is gone. */
  readonly #calls = new AbortController();
  readonly #inFlight = new Map<number, InFlight>();
  #worker: Worker | undefined;
  /** What was sent while the folder was still being checked, before the worker existed. */
  readonly #unsent: HostMessage[] = [];
  #lastId = 0;
  #ping: OpenPing | undefined;
  #ticks = 0;
  #lastTickAt = Date.now();
  #ticker: ReturnType<typeof setInterval> | undefined;
  #installTimer: ReturnType<typeof setTimeout> | undefined;
  #isInstalled = false;
  #over = false;

  private constructor(options: SessionOptions) {
    this.#options = options;
    this.installed = this.#install.promise;
    this.ended = this.#end.promise;
    // Whoever starts a run awaits `installed`; a run that ends before anyone asks must not
    // surface as an unhandled rejection.
    this.installed.catch(() => {});
  }

  /** Checks the plugin's folder and starts its worker; failures end the run, never throw. */
  static start(options: SessionOptions): WorkerSession {
    const session = new WorkerSession(options);
    void session.#spawn();
    return session;
  }

  async #spawn(): Promise<void> {
    const { path, tenantId, me, logger, limits } = this.#options;
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
      worker = new Worker(WORKER_ENTRY, {
        type: "module",
        name: `plugin of ${tenantId}`,
        deno: { permissions },
      });
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
    worker.onmessageerror = () => logger.warn("A message from the plugin's worker was unreadable.");
    this.#installTimer = setTimeout(
      () => this.#fail(`did not finish installing within ${limits.installTimeoutMs} ms`),
      limits.installTimeoutMs,
    );
    this.#ticker = setInterval(() => this.#tick(), limits.blockedAfterMs / HEARTBEATS_PER_LIMIT);
    this.#post({
      kind: "install",
      path,
      tenantId,
      logCategory: [...logger.category],
      me,
      lowestLevel: lowestLevelOf(logger),
    });
    for (const message of this.#unsent.splice(0)) this.#post(message);
  }

  /** Hands `update` to the plugin; rejects with a {@linkcode PluginFailure} if it fails. */
  handle(update: Update): Promise<Handled> {
    if (this.#over) {
      return Promise.reject(new PluginFailure("the plugin's worker has stopped"));
    }
    const id = ++this.#lastId;
    const { promise, resolve, reject } = Promise.withResolvers<Handled>();
    const inFlight: InFlight = { resolve, reject, deadline: undefined };
    this.#inFlight.set(id, inFlight);
    // The first updates of a run wait for the plugin to install, which `installTimeoutMs` bounds;
    // their own deadline counts from then.
    if (this.#isInstalled) this.#armDeadline(id, inFlight, update.update_id);
    else {
      void this.installed.then(() => {
        if (this.#inFlight.get(id) === inFlight) this.#armDeadline(id, inFlight, update.update_id);
      }, () => {});
    }
    this.#post({ kind: "update", id, update: JSON.stringify(update) });
    return promise;
  }

  #armDeadline(id: number, inFlight: InFlight, updateId: number): void {
    const deadlineMs = this.#options.limits.updateDeadlineMs;
    inFlight.deadline = setTimeout(() => {
      this.#inFlight.delete(id);
      inFlight.reject(
        new PluginFailure(`the plugin did not finish update ${updateId} within ${deadlineMs} ms`),
      );
    }, deadlineMs);
  }

  /** Ends the run from the host (the tenant stops); `ended` does not resolve. */
  terminate(reason: string): void {
    this.#shutDown(reason);
  }

  /** Ends the run because of the worker, for the host to restart it. */
  #fail(reason: string): void {
    if (this.#over) return;
    this.#shutDown(reason);
    this.#end.resolve(reason);
  }

  #shutDown(reason: string): void {
    if (this.#over) return;
    this.#over = true;
    this.#worker?.terminate();
    this.#calls.abort();
    clearInterval(this.#ticker);
    clearTimeout(this.#installTimer);
    this.#install.reject(new PluginFailure(reason));
    for (const update of this.#inFlight.values()) {
      clearTimeout(update.deadline);
      update.reject(new PluginFailure(`the plugin's worker stopped: ${reason}`));
    }
    this.#inFlight.clear();
  }

  #post(message: HostMessage): void {
    if (this.#over) return;
    if (this.#worker === undefined) {
      this.#unsent.push(message);
      return;
    }
    try {
      this.#worker.postMessage(message);
    } catch (error) {
      // A value a message cannot carry; the request it answers runs into its deadline.
      this.#options.logger.warn("Could not send the plugin's worker a {kind}: {error}", {
        kind: message.kind,
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
    if (this.#ping !== undefined) {
      if (hostStalled) this.#ping.sentAt = now;
      else if (now - this.#ping.sentAt >= blockedAfterMs) {
        this.#fail(`blocked: no answer to a heartbeat for ${blockedAfterMs} ms`);
      }
      return;
    }
    const installing = this.#installTimer !== undefined;
    const idle = this.#inFlight.size === 0;
    if (installing || (idle && this.#ticks % IDLE_TICKS_PER_HEARTBEAT !== 0)) return;
    this.#ping = { id: ++this.#lastId, sentAt: now };
    this.#post({ kind: "ping", id: this.#ping.id });
  }

  #receive(data: unknown): void {
    if (this.#over) return;
    const read = readWorkerMessage(data);
    if (read.ok) {
      this.#act(read.message);
      return;
    }
    const { problem, request } = read;
    if (request?.kind === "stars") {
      const error = { name: "TypeError", message: `a malformed Stars call: ${problem}` };
      this.#post({ kind: "starsReply", id: request.id, reply: { ok: false, error } });
    } else if (request?.kind === "api") {
      const description = `Bad Request: a malformed call: ${problem}`;
      const answer = { ok: false as const, error_code: 400, description };
      this.#post({ kind: "apiReply", id: request.id, reply: { kind: "answer", answer } });
    } else {
      this.#options.logger.warn("Ignored a malformed message from the plugin's worker: {problem}", {
        problem,
      });
    }
  }

  #act(message: WorkerMessage): void {
    const { limits, logger } = this.#options;
    switch (message.kind) {
      case "installed":
        clearTimeout(this.#installTimer);
        this.#installTimer = undefined;
        this.#isInstalled = true;
        this.#install.resolve();
        return;
      case "installFailed":
        this.#fail(message.error);
        return;
      case "threw":
        this.#fail(`threw: ${message.error}`);
        return;
      case "handled":
      case "failed": {
        const update = this.#inFlight.get(message.id);
        if (update === undefined) return; // past its deadline, already failed
        this.#inFlight.delete(message.id);
        clearTimeout(update.deadline);
        if (message.kind === "handled") update.resolve({ passedOn: message.passedOn });
        else update.reject(new PluginFailure(message.error));
        return;
      }
      case "pong":
        if (message.id !== this.#ping?.id) return;
        this.#ping = undefined;
        if (message.memoryBytes > limits.memoryLimitBytes) {
          this.#fail(
            `held ${Math.round(message.memoryBytes / MIB)} MiB of memory, over its limit of ` +
              `${Math.round(limits.memoryLimitBytes / MIB)} MiB`,
          );
        }
        return;
      case "stars":
        void this.#answerStars(message.id, message.call);
        return;
      case "api":
        void this.#answerApi(message.id, message.method, message.payload);
        return;
      case "log":
        emitForwarded(logger, message.record);
        return;
    }
  }

  async #answerStars(id: number, call: StarsCall): Promise<void> {
    let reply: Settled;
    try {
      reply = { ok: true, value: await callStars(this.#options.stars, call) };
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

  async #answerApi(id: number, method: string, payload: Record<string, unknown>): Promise<void> {
    const reply = await callForPlugin(method, payload, this.#options.callApi, this.#calls.signal);
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
