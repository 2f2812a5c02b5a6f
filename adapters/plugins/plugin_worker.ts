/**
 * The entry of a plugin's worker (`plugin_host.ts` starts it). It runs with Deno permissions cut
 * down to reading the plugin's own folder: no environment, no files written, no network. So
 * everything the plugin does outside its isolate goes over the message protocol
 * (`protocol.ts`): its Bot API calls are posted to the host, which makes them with the token
 * the worker never sees; its Stars service calls and its log records are posted likewise.
 *
 * A worker may hold several tenants using the same plugin file (`plugin_workers.ts`). The
 * module is imported once; its default export is called once per tenant, with a composer, a
 * Stars service, a Bot API client and a logger of that tenant's own (an *instance*), so a
 * tenant's handlers and what their closures hold are its own, and only the module's top-level
 * state is shared. Every request an instance posts names its tenant, so the host makes it with
 * that tenant's bot.
 *
 * For the plugin nothing changes: its default export gets a grammY composer, the Stars service
 * and the tenant (id and logger), and its handlers see a normal grammY context whose `ctx.api`
 * (and so `ctx.reply`) calls its own bot. Each update it is given is answered `handled` (with
 * whether it called `next()`, so the tenant's fallbacks run only then) or `failed`.
 * @module
 */
import { Api, type Context as ContextType, GrammyError, InputFile } from "grammy/web";
import { Context, type MiddlewareFn } from "grammy/web";
import type { Update, UserFromGetMe } from "grammy/types";
import { getLogger } from "@logtape/logtape";
import { instantiatePlugin, loadPlugin, type PluginModule } from "./load_plugin.ts";
import { forwardLogs, type LogRoute } from "./forwarded_logs.ts";
import { MessageBatch } from "./message_batch.ts";
import type { StarsService } from "./plugin_api.ts";
import type { ApiReply, HostMessage, Settled, StarsCall, WorkerMessage } from "./protocol.ts";

/** The part of a worker's global scope this file uses. */
interface WorkerScope {
  postMessage(messages: WorkerMessage[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent<HostMessage[]>) => void): void;
  addEventListener(type: "error", listener: (event: ErrorEvent) => void): void;
  addEventListener(
    type: "unhandledrejection",
    listener: (event: PromiseRejectionEvent) => void,
  ): void;
}

const scope = globalThis as unknown as WorkerScope;
// Taken before the plugin loads, so that replacing them from the plugin changes neither how the
// worker answers the host nor the memory it reports.
const postNow = scope.postMessage.bind(scope);
const memoryUsage = Deno.memoryUsage.bind(Deno);

/**
 * What goes to the host in this turn, in one message: the calls, then the outcomes, of the
 * updates of every host message this turn brought. (Sent as a microtask instead, the batches
 * halved at 10 tenants, 8.4 to 4.6 messages: the host's messages that arrive together are read
 * in one turn, but each in a go of the microtasks of its own.)
 */
const outbox = new MessageBatch<WorkerMessage>(sendBatch);

/** Queues `message` for the host; it goes out with the rest of this turn's. */
function post(message: WorkerMessage): void {
  outbox.push(message);
}

/**
 * Sends `message` now, after what was queued before it. For what the host must see even if the
 * plugin then holds this thread (a busy loop right after installing, say): that the plugin is
 * installed, a heartbeat's answer, an uncaught error.
 */
function postAtOnce(message: WorkerMessage): void {
  outbox.push(message);
  outbox.flush();
}

function sendBatch(messages: WorkerMessage[]): void {
  try {
    postNow(messages);
  } catch (error) {
    // A value a message cannot carry (a function in a call's payload, say): the others still
    // go, one by one, and the call that held it fails.
    if (messages.length > 1) {
      for (const message of messages) sendBatch([message]);
      return;
    }
    const [message] = messages;
    if (message?.kind === "api" || message?.kind === "stars") {
      waiting.get(message.id)?.settle.reject(error);
      waiting.delete(message.id);
    }
  }
}

/** This isolate's JavaScript heap and the buffers outside it (`ArrayBuffer`s), in bytes. */
function ownMemory(): number {
  const { heapUsed, external } = memoryUsage();
  return heapUsed + external;
}

/** Requests posted to the host, waiting for their reply, by id, with the tenant they are for. */
const waiting = new Map<
  number,
  {
    tenantId: string;
    settle: { resolve(reply: Settled | ApiReply): void; reject(error: unknown): void };
  }
>();
let lastRequestId = 0;

/** grammY's type for the signal a plugin may pass to a call (its polyfill's, in the Node build). */
interface CallSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
}

/**
 * Posts the request `build` makes and resolves with the host's reply. An aborted `signal` stops
 * the waiting, not the host's call.
 */
function request(
  tenantId: string,
  build: (id: number) => WorkerMessage,
  signal?: CallSignal,
): Promise<unknown> {
  const id = ++lastRequestId;
  return new Promise((resolve, reject) => {
    const aborted = () => new DOMException("The call was aborted", "AbortError");
    if (signal?.aborted) return reject(aborted());
    signal?.addEventListener("abort", () => {
      waiting.delete(id);
      reject(aborted());
    }, { once: true });
    waiting.set(id, { tenantId, settle: { resolve, reject } });
    // A value a message cannot carry (a function, say) in the arguments fails the call when its
    // batch is sent (`sendBatch`).
    post(build(id));
  });
}

/** The Stars service of `tenantId`, each call answered by its payment services in the host. */
function starsOf(tenantId: string): StarsService {
  const callStars = async (call: StarsCall): Promise<never> => {
    const reply = await request(
      tenantId,
      (id) => ({ kind: "stars", id, tenantId, call }),
    ) as Settled;
    if (reply.ok) return reply.value as never;
    const error = new Error(reply.error.message);
    error.name = reply.error.name;
    throw error;
  };
  return {
    balance: (userId) => callStars({ method: "balance", userId }),
    deduct: (userId, amount, { reason, idempotencyKey, languageCode, chatId }) =>
      callStars({
        method: "deduct",
        userId,
        amount,
        request: { reason, idempotencyKey, languageCode, chatId },
      }),
    offer: (userId, chatId, productId, languageCode) =>
      callStars({ method: "offer", userId, chatId, productId, languageCode }),
    history: (userId, page) => callStars({ method: "history", userId, page }),
  };
}

/**
 * A Bot API client of `tenantId` that never reaches the network: the host makes each call for
 * it, with that tenant's bot.
 */
function forwardingApi(tenantId: string): Api {
  // The host holds the token; this one only fills the place grammY keeps for it.
  const api = new Api("held-by-the-host");
  api.config.use(async (_prev, method, payload, signal) => {
    if (holdsFile(payload)) {
      throw new Error(
        `${method}: a plugin cannot upload file contents; send a file_id or a URL instead`,
      );
    }
    const reply = await request(
      tenantId,
      (id) => ({
        kind: "api",
        id,
        tenantId,
        method,
        payload: (payload ?? {}) as Record<string, unknown>,
      }),
      signal,
    ) as ApiReply;
    if (reply.kind === "unreachable") throw new Error(`${method}: ${reply.message}`);
    return reply.answer as never;
  });
  return api;
}

/** Whether a call's payload carries an `InputFile`, whose contents a message cannot carry. */
function holdsFile(value: unknown, depth = 0): boolean {
  if (value instanceof InputFile) return true;
  if (depth > 3 || typeof value !== "object" || value === null) return false;
  return Object.values(value).some((inner) => holdsFile(inner, depth + 1));
}

/** One tenant's plugin instance in this worker; see the module doc. */
interface Instance {
  me: UserFromGetMe;
  api: Api;
  /** Its handlers, once its default export has returned. */
  middleware: Promise<MiddlewareFn<ContextType>>;
  logs: LogRoute;
}

/** The instances, by tenant id. */
const instances = new Map<string, Instance>();
/** The plugin module, imported with the first install and shared by every instance. */
let loaded: Promise<PluginModule> | undefined;
/** LogTape is configured again as instances come and go, one configuration at a time. */
let logsConfigured: Promise<void> = Promise.resolve();

function configureLogs(): Promise<void> {
  logsConfigured = logsConfigured.catch(() => {}).then(() =>
    forwardLogs([...instances.values()].map((instance) => instance.logs))
  );
  return logsConfigured;
}

async function install(message: Extract<HostMessage, { kind: "install" }>): Promise<void> {
  const { tenantId, path } = message;
  const installation = Promise.withResolvers<MiddlewareFn<ContextType>>();
  // Updates wait on the installation; when it fails the host fails them itself, so nothing
  // else may report that rejection (it would count as an uncaught error of the plugin).
  installation.promise.catch(() => {});
  const instance: Instance = {
    me: message.me,
    api: forwardingApi(tenantId),
    middleware: installation.promise,
    logs: {
      category: message.logCategory,
      lowestLevel: message.lowestLevel,
      post: (record) => post({ kind: "log", tenantId, record }),
    },
  };
  instances.set(tenantId, instance);
  let ofModule = true;
  try {
    await configureLogs();
    if (loaded === undefined) {
      loaded = loadPlugin(path);
      void loaded.then(() => postAtOnce({ kind: "loaded" }), () => {});
    }
    const module = await loaded;
    ofModule = false;
    const composer = await instantiatePlugin(path, module, starsOf(tenantId), {
      id: tenantId,
      logger: getLogger([...message.logCategory]),
    });
    installation.resolve(composer.middleware());
    const { updates } = module;
    postAtOnce(
      updates ? { kind: "installed", tenantId, updates } : { kind: "installed", tenantId },
    );
  } catch (error) {
    installation.reject(error);
    postAtOnce({ kind: "installFailed", tenantId, error: describe(error), ofModule });
  }
}

/**
 * Drops a tenant's instance, and its calls still waiting for the host, which will not answer
 * them. They are left unsettled rather than failed: a call the plugin made from a timer would
 * otherwise reject where nothing catches it, which ends the worker of every other tenant.
 */
function uninstall(tenantId: string): void {
  if (!instances.delete(tenantId)) return;
  void configureLogs();
  for (const [id, request] of waiting) {
    if (request.tenantId === tenantId) waiting.delete(id);
  }
}

async function handle(id: number, tenantId: string, json: string): Promise<void> {
  let outcome: WorkerMessage;
  try {
    const instance = instances.get(tenantId);
    if (instance === undefined) throw new Error(`no plugin instance of tenant ${tenantId}`);
    const update = JSON.parse(json) as Update;
    const middleware = await instance.middleware;
    let passedOn = false;
    await middleware(new Context(update, instance.api, instance.me), () => {
      passedOn = true;
      return Promise.resolve();
    });
    outcome = { kind: "handled", id, passedOn };
  } catch (error) {
    outcome = { kind: "failed", id, error: describe(error) };
  }
  post(outcome);
}

function describe(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code} ${error.description}`;
  return error instanceof Error ? error.message : String(error);
}

// What the plugin leaves uncaught is reported rather than printed by Deno: the host logs it
// with the tenant's id and ends this worker.
scope.addEventListener("error", (event) => {
  event.preventDefault();
  postAtOnce({ kind: "threw", error: describe(event.error ?? event.message) });
});
scope.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  postAtOnce({ kind: "threw", error: `an unhandled rejection: ${describe(event.reason)}` });
});

scope.addEventListener("message", ({ data: messages }) => {
  for (const message of messages) receive(message);
});

function receive(message: HostMessage): void {
  switch (message.kind) {
    case "install":
      void install(message);
      return;
    case "update":
      void handle(message.id, message.tenantId, message.update);
      return;
    case "uninstall":
      uninstall(message.tenantId);
      return;
    case "ping":
      postAtOnce({ kind: "pong", id: message.id, memoryBytes: ownMemory() });
      return;
    case "starsReply":
    case "apiReply":
      waiting.get(message.id)?.settle.resolve(message.reply);
      waiting.delete(message.id);
      return;
  }
}
