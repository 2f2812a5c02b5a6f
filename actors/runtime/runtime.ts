/**
 * The whole runtime as one supervision tree, plus what the HTTP server and the config watcher
 * need from it:
 *
 * ```text
 * root (one-for-one)
 * ├── balance (the BalanceActor every tenant shares)
 * └── tenants (one-for-one, children added and removed at run time)
 *     ├── tenant:shop
 *     └── tenant:quiz …
 * ```
 *
 * Every tenant the config names has an entry: its last good config, the problem with its file if
 * there is one, and its running instance. A reload applies a {@linkcode ReloadPlan}: new tenants
 * start, removed ones drain and stop, changed ones restart with their new config, and a file that
 * became invalid leaves its tenant running on the last good config — the others are untouched.
 *
 * @example One tenant, and a config change that is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { Runtime } from "./runtime.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { SecretRedactor } from "../../adapters/observability/redact.ts";
 * import { parseTenant } from "../../config/load_tenants.ts";
 * import { Sandbox } from "../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const account = sandbox.createBot({ username: "shop_bot" });
 * const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
 * const source = "config/tenants/shop.json";
 * const parsed = parseTenant(
 *   { token: "env:SHOP_TOKEN", apiRoot: sandbox.apiRoot },
 *   { id: "shop", source, configDir: "config", env: () => account.token },
 * );
 * assert(parsed.ok);
 * const db = await openDatabase("sqlite::memory:");
 * // The redactor the log sink and the HTTP server use; the runtime adds every tenant's secrets.
 * const redactor = new SecretRedactor();
 * const runtime = await Runtime.start({ tenants: [parsed.tenant], db, redactor });
 * assert.equal(redactor.redact(`/bot${account.token}/getMe`), "/bot<redacted>/getMe");
 * await ann.send(account, "/start");
 * assert.match((await ann.waitForMessage(account)).text ?? "", /^Hello, Ann!/);
 *
 * // The file became invalid: the tenant keeps running on its last good config.
 * const problem = { file: source, message: "invalid JSON", issues: [] };
 * const plan = await runtime.reload({ tenants: [], problems: [problem], warnings: [] });
 * assert.equal(plan.invalid[0].keptRunning, true);
 * const [shop] = runtime.tenants();
 * assert.equal(shop.state, "running");
 * assert.equal(shop.configError, "config/tenants/shop.json: invalid JSON");
 * await runtime.stop();
 * await db.close();
 * ```
 * @module
 */
import { pathToFileURL } from "node:url";
import { type ChildSpec, Supervisor, type SupervisorOptions } from "../kernel/supervisor.ts";
import { type Clock, systemClock } from "../kernel/clock.ts";
import { startTenant, type TenantEnvironment, type TenantHandle } from "../tenant/tenant_actor.ts";
import { supervisionObserver } from "./supervision_log.ts";
import { BalanceRegistry } from "../balance/registry.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import {
  type ConfigProblem,
  type ConfigWarning,
  formatProblem,
  formatWarning,
  type LoadResult,
} from "../../config/load_tenants.ts";
import { planReload, type ReloadPlan, transitionOf } from "../../config/reload_plan.ts";
import type { Database } from "../../money/ports.ts";
import type { Metrics } from "../../adapters/observability/metrics.ts";
import type {
  DeadLetterDesk,
  DeadLetterRetry,
  RuntimeView,
  TenantReport,
} from "../../adapters/http/runtime_view.ts";
import { TenantUnavailableError, type WebhookTarget } from "../../adapters/http/webhook_route.ts";
import type { SecretRedactor } from "../../adapters/observability/redact.ts";
import { runtimeLogger } from "../../adapters/observability/logging.ts";
import {
  discardDeadLetter,
  listDeadLetters,
  type UpdateDeadLetter,
} from "../../money/delivery/update_dead_letters.ts";
import { runAsTenant, type UncaughtErrorOwner } from "./containment.ts";

/** What the runtime is started with. */
export interface RuntimeOptions {
  /** The tenants to run (a file's `enabled: false` tenant is known but not started). */
  tenants: readonly TenantConfig[];
  /** The process's database; tenants share it, keyed by tenant id. */
  db: Database;
  clock?: Clock;
  /** Restart policy overrides; the defaults are explained in `supervisor.ts`. */
  supervision?: Omit<SupervisorOptions, "clock" | "onEvent">;
  /** Long-poll duration in seconds (30 by default). */
  pollTimeoutSeconds?: number;
  /** `PUBLIC_URL`, for webhook tenants. */
  publicUrl?: string;
  metrics?: Metrics;
  /**
   * Where the runtime registers each tenant's secrets (token, webhook secret, API hash) as it
   * learns them. Pass the redactor the log sink and the HTTP server use: secrets registered
   * anywhere else would still show in logs, `/status` and `/metrics`.
   */
  redactor: SecretRedactor;
  /**
   * The tenants' source of randomness, returning [0, 1): reconciliation start times and retry
   * jitter. Default `Math.random`; a test may pin it.
   */
  random?: () => number;
}

/**
 * How long a tenant gets to stop: enough to finish the batch in hand, confirm it to Telegram and
 * let the outbox send what is due; short enough that a stuck tenant cannot hold a deploy hostage.
 */
const tenantShutdownMs = 10_000;

/**
 * How many tenants start at the same time. Tenants need nothing from each other, and each one
 * spends its start waiting for Telegram (getMe, the command menu, deleteWebhook): one after
 * another, a thousand took seconds (BENCHMARKS.md). Starts still begin in id order, and each
 * tenant's own start is unchanged.
 */
const tenantStartConcurrency = 32;

interface TenantEntry {
  /** The last good config; `undefined` when the file was never valid. */
  config?: TenantConfig;
  /** What is wrong with the tenant's file now, if anything. */
  configError?: string;
  /** The running instance, set by its start. */
  handle?: TenantHandle;
}

const log = runtimeLogger("runtime");

/** A running runtime. */
export class Runtime implements RuntimeView, WebhookTarget, DeadLetterDesk, UncaughtErrorOwner {
  readonly #entries = new Map<string, TenantEntry>();
  readonly #balances = new BalanceRegistry();
  readonly #env: TenantEnvironment;
  readonly #redactor: SecretRedactor;
  readonly #metrics?: Metrics;
  readonly #supervision: SupervisorOptions;
  #root!: Supervisor;
  #tenants?: Supervisor;
  #draining = false;
  /** Tenants whose next start is a config reload's (see `supervisionObserver`). */
  readonly #configReloads = new Set<string>();
  #reloading: Promise<void> = Promise.resolve();

  private constructor(options: RuntimeOptions) {
    const clock = options.clock ?? systemClock;
    this.#metrics = options.metrics;
    this.#redactor = options.redactor;
    this.#env = {
      clock,
      db: options.db,
      pollTimeoutSeconds: options.pollTimeoutSeconds,
      publicUrl: options.publicUrl,
      metrics: options.metrics,
      balances: this.#balances,
      random: options.random ?? Math.random,
    };
    this.#supervision = {
      ...options.supervision,
      clock,
      onEvent: supervisionObserver({
        metrics: options.metrics,
        takeConfigReload: (id) => this.#configReloads.delete(id),
        redact: (text) => this.#redactor.redact(text),
      }),
    };
  }

  /**
   * Builds the runtime and starts every enabled tenant, in order; one that cannot start does not
   * stop the rest. Same as {@linkcode Runtime.create} followed by {@linkcode Runtime.run}.
   */
  static async start(options: RuntimeOptions): Promise<Runtime> {
    const runtime = Runtime.create(options);
    await runtime.run();
    return runtime;
  }

  /**
   * Builds the runtime without starting anything, so the HTTP server can answer (`/healthz`,
   * `/readyz` saying which tenants are still starting) while a thousand tenants start.
   */
  static create(options: RuntimeOptions): Runtime {
    const runtime = new Runtime(options);
    for (const config of options.tenants) {
      runtime.#rememberSecrets(config);
      runtime.#entries.set(config.id, { config });
    }
    const balanceSpec = runtime.#balances.spec({
      db: options.db,
      clock: runtime.#env.clock,
      onCacheLookup: (tenant, hit) =>
        (hit ? options.metrics?.balanceCacheHits : options.metrics?.balanceCacheMisses)?.inc({
          tenant,
        }),
    });
    runtime.#root = new Supervisor("root", [balanceSpec, {
      id: "tenants",
      // A fresh tenant supervisor for every (re)start, with the tenants enabled at that time.
      start: async () => {
        const tenants = new Supervisor(
          "tenants",
          [...runtime.#entries.keys()].filter((id) => runtime.#enabled(id)).map((id) =>
            runtime.#spec(id)
          ),
          { ...runtime.#supervision, startConcurrency: tenantStartConcurrency },
        );
        runtime.#tenants = tenants;
        await tenants.start();
        return tenants;
      },
      restart: "permanent",
      // Tenants stop one after another, each within its own deadline; read at stop time, so
      // tenants added by a reload count too.
      get shutdownMs() {
        return tenantShutdownMs * Math.max(1, runtime.#entries.size);
      },
    }], runtime.#supervision);
    runtime.#metrics?.onCollect(() => runtime.#collect());
    return runtime;
  }

  /** Starts the BalanceActor, then every enabled tenant in order. */
  async run(): Promise<void> {
    await this.#root.start();
  }

  /**
   * Registers a tenant's secrets before anything about the tenant is logged or shown, so no log
   * line, status or metric can show them.
   */
  #rememberSecrets(config: TenantConfig): void {
    this.#redactor.add(config.token);
    this.#redactor.add(config.webhook?.secretToken);
    this.#redactor.add(config.mtproto?.apiHash);
  }

  #enabled(id: string): boolean {
    return this.#entries.get(id)?.config?.enabled === true;
  }

  #spec(id: string): ChildSpec {
    return {
      id,
      // Reads the entry at each start, so a restart after a reload runs the new config.
      start: async () => {
        const entry = this.#entries.get(id);
        const config = entry?.config;
        if (!entry || !config) throw new Error(`tenant ${id} has no valid config`);
        // Everything the tenant starts runs in its scope, so an error nothing catches is traced
        // back to it (containment.ts).
        const handle = await runAsTenant(id, () => startTenant(config, this.#env));
        // A webhook secret the config does not name was generated (or read back from storage)
        // during the start; it is as secret as a configured one.
        if (handle.source.mode === "webhook") this.#redactor.add(handle.source.secret);
        // A tenant restarted during the drain takes no new updates either.
        if (this.#draining) handle.drain();
        entry.handle = handle;
        return handle;
      },
      restart: "permanent",
      shutdownMs: tenantShutdownMs,
    };
  }

  /** Applies a fresh load of the tenant files; reloads never overlap. */
  reload(loaded: LoadResult): Promise<ReloadPlan> {
    const next = this.#reloading.then(() => this.#apply(loaded));
    this.#reloading = next.then(() => {}, () => {});
    return next;
  }

  async #apply(loaded: LoadResult): Promise<ReloadPlan> {
    const current = new Map<string, TenantConfig>();
    for (const [id, entry] of this.#entries) if (entry.config) current.set(id, entry.config);
    const plan = planReload(current, loaded);
    const tenants = this.#tenants!;
    for (const config of [...plan.add, ...plan.restart]) {
      this.#rememberSecrets(config);
      const entry = this.#entries.get(config.id) ?? {};
      const previous = entry.config;
      if (entry.configError !== undefined) logValidAgain(config.source);
      this.#entries.set(config.id, { ...entry, config, configError: undefined });
      const transition = transitionOf(previous, config);
      log.info("Tenant {id}: {transition} after a config change.", { id: config.id, transition });
      if (transition !== "none") {
        this.#metrics?.tenantConfigReloads.inc({ tenant: config.id });
        if (transition !== "stop") this.#configReloads.add(config.id);
      }
      if (transition === "start") await tenants.addChild(this.#spec(config.id));
      if (transition === "restart") await tenants.restartChild(config.id);
      if (transition === "stop") await tenants.removeChild(config.id);
    }
    for (const id of plan.remove) {
      log.info("Tenant {id}: its file is gone; stopping it.", { id });
      if (this.#enabled(id)) await tenants.removeChild(id);
      this.#entries.delete(id);
    }
    for (const id of plan.unchanged) {
      const entry = this.#entries.get(id);
      if (entry?.configError !== undefined && entry.config) logValidAgain(entry.config.source);
      if (entry) entry.configError = undefined;
    }
    const invalidIds = new Set<string>();
    logConfigWarnings(loaded.warnings);
    for (const { id, problem, keptRunning } of plan.invalid) {
      const message = formatProblem(problem);
      logConfigProblem(problem, keptRunning);
      if (id === undefined) continue;
      invalidIds.add(id);
      this.#entries.set(id, { ...this.#entries.get(id), configError: message });
    }
    // A file that was never valid and is now gone leaves nothing behind.
    for (const [id, entry] of this.#entries) {
      if (!entry.config && !invalidIds.has(id)) this.#entries.delete(id);
    }
    return plan;
  }

  /** One report per known tenant, sorted by id: for `/status`, `/readyz` and metrics. */
  tenants(): TenantReport[] {
    const status = new Map((this.#tenants?.status() ?? []).map((s) => [s.id, s]));
    return [...this.#entries.keys()].sort().map((id) => {
      const entry = this.#entries.get(id)!;
      const child = status.get(id);
      const updates = entry.config?.updates ?? "polling";
      const common = {
        id,
        updates,
        restarts: child?.restarts ?? 0,
        lastError: child?.lastError,
        lastUpdateAt: entry.handle?.lastUpdateAt(),
        configError: entry.configError,
        failingOptionalCalls: child?.state === "running"
          ? entry.handle?.failingOptionalCalls()
          : undefined,
      };
      if (!entry.config) return { ...common, enabled: false, state: "invalid" as const };
      if (!entry.config.enabled) return { ...common, enabled: false, state: "disabled" as const };
      // Not yet known to the supervisor: the runtime is still starting the tenants before it.
      return { ...common, enabled: true, state: child?.state ?? "starting" };
    });
  }

  /**
   * The webhook secret of an enabled webhook tenant, from its latest start. It is known while
   * the tenant stops or restarts too, so that Telegram's requests then are told to come back
   * (503 from `accept`, or from draining) rather than that the tenant does not exist (404).
   */
  secretFor(tenantId: string): string | undefined {
    const entry = this.#entries.get(tenantId);
    if (entry?.config?.enabled !== true || entry.config.updates !== "webhook") return undefined;
    const source = entry.handle?.source;
    return source?.mode === "webhook" ? source.secret : undefined;
  }

  /**
   * Hands a webhook update to its tenant; resolves once it is durably recorded. Rejects with
   * {@linkcode TenantUnavailableError} while the tenant is not running.
   */
  accept(tenantId: string, update: unknown): Promise<void> {
    const handle = this.#live(tenantId);
    if (!handle) return Promise.reject(new TenantUnavailableError(tenantId));
    return handle.accept(update);
  }

  /** True from {@linkcode Runtime.drain} on: webhooks answer 503 so Telegram retries later. */
  draining(): boolean {
    return this.#draining;
  }

  /** Every tenant's dead letters, running or not; for `/status`. */
  deadLetters(): Promise<UpdateDeadLetter[]> {
    return listDeadLetters(this.#env.db);
  }

  /** Runs a dead letter again in its tenant, which must be running. */
  async retryDeadLetter(tenantId: string, updateId: number): Promise<DeadLetterRetry> {
    if (!this.#entries.has(tenantId)) return "not_found";
    const handle = this.#live(tenantId);
    if (!handle) return "unavailable";
    return await handle.retryDeadLetter(updateId) ? "retried" : "not_found";
  }

  /** Forgets a dead letter of a known tenant, running or not. */
  async discardDeadLetter(tenantId: string, updateId: number): Promise<boolean> {
    if (!this.#entries.has(tenantId)) return false;
    const discarded = await discardDeadLetter(this.#env.db, tenantId, updateId);
    if (discarded) {
      log.warn("Dead letter {updateId} of tenant {tenantId} discarded by an operator.", {
        tenantId,
        updateId,
      });
    }
    return discarded;
  }

  /** The tenants whose plugin module `text` names (as a path or a file URL). */
  tenantsNamedIn(text: string): string[] {
    const named: string[] = [];
    for (const [id, entry] of this.#entries) {
      const plugin = entry.config?.plugin;
      if (plugin && (text.includes(pathToFileURL(plugin).href) || text.includes(plugin))) {
        named.push(id);
      }
    }
    return named;
  }

  /** Crashes a running tenant through its supervisor; false when it is not running. */
  crashTenant(tenantId: string, error: unknown): boolean {
    const handle = this.#live(tenantId);
    handle?.crash(error);
    return handle !== undefined;
  }

  #live(tenantId: string): TenantHandle | undefined {
    const running = this.#tenants?.stateOf(tenantId) === "running";
    return running ? this.#entries.get(tenantId)?.handle : undefined;
  }

  async #collect(): Promise<void> {
    const metrics = this.#metrics!;
    const reports = this.tenants();
    metrics.recordTenantStates(reports);
    metrics.mailboxDepth.set({ actor: "balance" }, this.#balances.mailboxDepth());
    const deadLetters = new Map<string, number>();
    for (const letter of await this.deadLetters()) {
      deadLetters.set(letter.tenantId, (deadLetters.get(letter.tenantId) ?? 0) + 1);
    }
    metrics.updateDeadLetters.reset();
    for (const report of reports) {
      metrics.updateDeadLetters.set({ tenant: report.id }, deadLetters.get(report.id) ?? 0);
    }
    for (const report of reports) {
      const handle = report.state === "running" ? this.#entries.get(report.id)?.handle : undefined;
      if (!handle) continue;
      metrics.outboxBacklog.set({ tenant: report.id }, await handle.outboxBacklog());
      metrics.mailboxDepth.set({ actor: `tenant:${report.id}` }, handle.mailboxDepth());
    }
  }

  /**
   * Starts draining: webhooks refuse new updates and every tenant stops polling at once, while
   * the tenants finish what they hold.
   */
  drain(): void {
    this.#draining = true;
    for (const entry of this.#entries.values()) entry.handle?.drain();
  }

  /** Stops every tenant in reverse start order. */
  async stop(): Promise<void> {
    this.drain();
    await this.#reloading;
    await this.#root.stop();
  }
}

/**
 * Logs a refused tenant file once, one record per line (a problem may name several fields), so
 * no line carries a literal `\n`. The runtime logs every load it applies, the first one at start
 * included; `main.ts` calls this itself only when it stops before the runtime gets the load.
 */
export function logConfigProblem(problem: ConfigProblem, keptRunning = false): void {
  const kept = keptRunning ? " (the tenant keeps its last good config)" : "";
  for (const line of formatProblem(problem).split("\n")) {
    log.error("Config refused{kept}: {line}", { kept, line, file: problem.file });
  }
}

/** Logs what should be changed in the tenant files (a literal token…), at start and on reload. */
export function logConfigWarnings(warnings: readonly ConfigWarning[]): void {
  for (const warning of warnings) {
    log.warn("{warning}", { warning: formatWarning(warning), file: warning.file });
  }
}

function logValidAgain(file: string): void {
  log.info("{file} is valid again.", { file });
}
