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
 * lane goes on); the worker, still answering heartbeats, keeps running. Deadlines are checked on
 * the heartbeat's ticks (every `blockedAfterMs / 3`, 1 s by default), so an update fails up to one
 * tick after its deadline: a timer per update, set and cleared, cost more on the hot path than
 * that precision is worth. `plugin_host.ts` restarts a run that ended.
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
  updateId: number;
  resolve(handled: Handled): void;
  reject(error: PluginFailure): void;
  /**
   * When it fails unless finished (`Date.now()`); set once the plugin is installed, as installing
   * has its own limit, `installTimeoutMs`.
   */
  deadlineAt: number | undefined;
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
  #installTimer: ReturnType<typeof setTimeout> | undefined;
  #isInstalled = false;
  /** The updates the installed plugin declared it wants (`update_filter.ts`); none: all. */
  #wants: ((ctx: Context) => boolean) | undefined;
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
    // The install goes first, then whatever was queued meanwhile.
    this.#postNow([{
      kind: "install",
      path,
      tenantId,
      logCategory: [...logger.category],
      me,
      lowestLevel: lowestLevelOf(logger),
    }]);
    this.#outbox.release();
  }

  /**
   * Whether the plugin wants the update of `ctx`: false only when its installed plugin declared
   * which updates it wants and this is none of them (`update_filter.ts`).
   */
  wants(ctx: Context): boolean {
    return this.#wants === undefined || this.#wants(ctx);
  }

  /** Hands `update` to the plugin; rejects with a {@linkcode PluginFailure} if it fails. */
  handle(update: Update): Promise<Handled> {
    if (this.#over) {
      return Promise.reject(new PluginFailure("the plugin's worker has stopped"));
    }
    const id = ++this.#lastId;
    const { promise, resolve, reject } = Promise.withResolvers<Handled>();
    // The first updates of a run wait for the plugin to install, which `installTimeoutMs` bounds;
    // their own deadline counts from then (`#act`, "installed").
    const deadlineAt = this.#isInstalled ? this.#deadlineFromNow() : undefined;
    this.#inFlight.set(id, { updateId: update.update_id, resolve, reject, deadlineAt });
    this.#post({ kind: "update", id, update: JSON.stringify(update) });
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
    this.#outbox.close();
    this.#worker?.terminate();
    this.#calls.abort();
    clearInterval(this.#ticker);
    clearTimeout(this.#installTimer);
    this.#install.reject(new PluginFailure(reason));
    for (const update of this.#inFlight.values()) {
      update.reject(new PluginFailure(`the plugin's worker stopped: ${reason}`));
    }
    this.#inFlight.clear();
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
    const installing = this.#installTimer !== undefined;
    const idle = this.#inFlight.size === 0;
    if (installing || (idle && this.#ticks % IDLE_TICKS_PER_HEARTBEAT !== 0)) return;
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
        for (const update of this.#inFlight.values()) update.deadlineAt = this.#deadlineFromNow();
        if (message.updates) this.#wants = this.#filterOf(message.updates);
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
