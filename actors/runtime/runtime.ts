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
import { type ChildSpec, Supervisor, type SupervisorOptions } from "../kernel/supervisor.ts";
import { type Clock, systemClock } from "../kernel/clock.ts";
import { SingleFlight } from "../kernel/single_flight.ts";
import { startTenant, type TenantEnvironment, type TenantHandle } from "../tenant/tenant_actor.ts";
import { updateBudget, type UpdatesInFlight } from "../tenant/update_budget.ts";
import { optionalCallBudget } from "../tenant/optional_calls.ts";
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
  OperatorDesk,
  OperatorRefund,
  RuntimeView,
  TenantReport,
  TenantSummary,
} from "../../adapters/http/runtime_view.ts";
import type { StarBalance } from "../../money/bot_stars/types.ts";
import { TenantUnavailableError, type WebhookTarget } from "../../adapters/http/webhook_route.ts";
import type { SecretRedactor } from "../../adapters/observability/redact.ts";
import { runtimeLogger } from "../../adapters/observability/logging.ts";
import {
  discardDeadLetter,
  listDeadLetters,
  type UpdateDeadLetter,
} from "../../money/delivery/update_dead_letters.ts";
import { runAsTenant, type UncaughtErrorOwner } from "./containment.ts";
import { FatalError } from "../kernel/child.ts";
import { LeaseKeeper } from "../cluster/lease_keeper.ts";
import type { ClusterOptions } from "../cluster/cluster_options.ts";
import type { TenantLease } from "../cluster/tenant_lease.ts";
import { WebhookRelay } from "../cluster/webhook_relay.ts";
import { FencedDatabase } from "../../adapters/storage/fenced_database.ts";
import { storedWebhookSecret } from "../../adapters/telegram/update_source.ts";
import { describeError } from "../../adapters/telegram/describe_error.ts";

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
  /** Set when several instances share the database: tenants then run only on their lease. */
  cluster?: ClusterOptions;
  /**
   * Updates in flight at once, across the process and per tenant, shared fairly among the
   * tenants; the defaults are explained in `actors/tenant/update_budget.ts`.
   */
  updatesInFlight?: Partial<UpdatesInFlight>;
}

/**
 * How long a tenant gets to stop: enough to finish the batch in hand, confirm it to Telegram and
 * let the outbox send what is due; short enough that a stuck tenant cannot hold a deploy hostage.
 */
const tenantShutdownMs = 10_000;

/**
 * How many tenants start at the same time: 128. Tenants need nothing from each other, and each one
 * spends its start waiting for Telegram (getMe, deleteWebhook; the command menu comes after, on
 * the process's optional-call budget): one after another, a thousand took seconds (BENCHMARKS.md).
 * Against the sandbox, a thousand tenants polled after 1.40–1.65 s with 32 at a time, 1.17–1.33 s
 * with 64 and 1.09–1.57 s with 128 (alternating runs, issue 15); at Telegram's 30–100 ms a start
 * waits far longer than here, so the larger number pays more there. Starts still begin in id
 * order, and each tenant's own start is unchanged.
 */
const tenantStartConcurrency = 128;

interface TenantEntry {
  /** The last good config; `undefined` when the file was never valid. */
  config?: TenantConfig;
  /** What is wrong with the tenant's file now, if anything. */
  configError?: string;
  /** The running instance, set by its start. */
  handle?: TenantHandle;
  /** In a cluster, a webhook tenant's secret, so any instance can check its requests. */
  webhookSecret?: string;
}

const log = runtimeLogger("runtime");

/** A running runtime. */
export class Runtime
  implements RuntimeView, WebhookTarget, DeadLetterDesk, OperatorDesk, UncaughtErrorOwner {
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
  /** Console refunds under way, by `tenant/charge`: a double click asks Telegram once. */
  readonly #refunds = new SingleFlight<string, OperatorRefund>();

  readonly #cluster?: ClusterOptions;
  #keeper?: LeaseKeeper;
  #relay?: WebhookRelay;
  #stopSweeping?: () => void;
  #unlistenInbox?: () => Promise<void>;

  private constructor(options: RuntimeOptions) {
    const clock = options.clock ?? systemClock;
    this.#cluster = options.cluster;
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
      updateBudget: updateBudget(options.updatesInFlight),
      optionalCallBudget: optionalCallBudget(),
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
          [...runtime.#entries.keys()].filter((id) => runtime.#runsHere(id)).map((id) =>
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
    if (options.cluster) runtime.#joinCluster(options.cluster, options.db);
    return runtime;
  }

  /** Builds what running on leases takes; nothing is acquired before {@linkcode Runtime.run}. */
  #joinCluster(cluster: ClusterOptions, db: Database): void {
    this.#keeper = new LeaseKeeper({
      leases: cluster.leases,
      timings: cluster.timings,
      clock: this.#env.clock,
      logger: log,
      metrics: this.#metrics,
      signal: cluster.changes,
      hooks: {
        tenants: () => [...this.#entries.keys()].filter((id) => this.#enabled(id)),
        acquired: (lease) => this.#startLeased(lease),
        handOver: (id) => this.#stopHere(id),
        lost: (id) => void this.#stopHere(id),
      },
    });
    this.#relay = new WebhookRelay({
      db,
      clock: this.#env.clock,
      notifyOwner: (id) => cluster.inbox?.notify(id) ?? Promise.resolve(),
    });
  }

  /** The instance id when several instances share the database. */
  get instanceId(): string | undefined {
    return this.#keeper?.instanceId;
  }

  /** Whether the tenant runs on this instance: always alone, with its lease in a cluster. */
  #runsHere(id: string): boolean {
    if (!this.#enabled(id)) return false;
    return this.#keeper === undefined || this.#keeper.leaseOf(id) !== undefined;
  }

  /** Starts a tenant whose lease was just acquired. */
  async #startLeased(lease: TenantLease): Promise<void> {
    const tenants = this.#tenants;
    if (!tenants || this.#draining || !this.#enabled(lease.tenantId)) return;
    // A run of this tenant that lost its previous lease may still be stopping.
    if (tenants.stateOf(lease.tenantId) !== undefined) await this.#stopHere(lease.tenantId);
    if (lease.signal.aborted) return;
    await tenants.addChild(this.#spec(lease.tenantId));
  }

  /** Stops a tenant here (its lease lost or handed over): polling ends at once, then the rest. */
  async #stopHere(id: string): Promise<void> {
    const entry = this.#entries.get(id);
    entry?.handle?.drain();
    const tenants = this.#tenants;
    if (tenants?.stateOf(id) === undefined) return;
    await tenants.removeChild(id).catch((error) =>
      log.warn("Tenant {id}: stopping it failed: {error}", { id, error: describeError(error) })
    );
  }

  /** The environment a tenant starts in: alone, the runtime's; on a lease, fenced by it. */
  #environmentOf(id: string): TenantEnvironment {
    if (!this.#keeper) return this.#env;
    const lease = this.#keeper.leaseOf(id);
    if (!lease?.heldLocally()) {
      // A restart after a crash, racing the loss of the lease: the new owner runs it.
      throw new FatalError(`tenant ${id} runs on another instance now (its lease here is gone)`);
    }
    return {
      ...this.#env,
      db: new FencedDatabase(this.#env.db, lease),
      pollWindowMs: () => lease.windowMs(),
    };
  }

  /** Reads the webhook secret of every webhook tenant, so any instance checks its requests. */
  async #learnWebhookSecrets(): Promise<void> {
    for (const [id, entry] of this.#entries) {
      const config = entry.config;
      if (config?.updates !== "webhook" || entry.webhookSecret !== undefined) continue;
      try {
        entry.webhookSecret = config.webhook?.secretToken ??
          await storedWebhookSecret(this.#env.db, id);
        this.#redactor.add(entry.webhookSecret);
      } catch (error) {
        log.warn("Tenant {id}: cannot read its webhook secret: {error}", {
          id,
          error: describeError(error),
        });
      }
    }
  }

  /** Hears owners' inbox notices and sweeps the webhook tenants held here every interval. */
  async #sweepInboxes(cluster: ClusterOptions): Promise<void> {
    const sweep = (id: string) => this.#live(id)?.sweepInbox();
    this.#unlistenInbox = await cluster.inbox?.listen(sweep).catch((error) => {
      log.warn("Cannot listen for inbox notices ({error}); sweeping every interval only.", {
        error: describeError(error),
      });
      return undefined;
    });
    const timer = setInterval(() => {
      for (const [id, entry] of this.#entries) {
        if (entry.config?.updates === "webhook") sweep(id);
      }
    }, cluster.timings.renewMs);
    this.#stopSweeping = () => clearInterval(timer);
  }

  /**
   * Starts the BalanceActor, then every enabled tenant in order; in a cluster, joins it and
   * starts the tenants whose leases this instance acquires.
   */
  async run(): Promise<void> {
    await this.#root.start();
    if (!this.#cluster || !this.#keeper) return;
    await this.#learnWebhookSecrets();
    await this.#sweepInboxes(this.#cluster);
    await this.#keeper.start();
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
        const env = this.#environmentOf(id);
        const handle = await runAsTenant(id, () => startTenant(config, env));
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
      // In a cluster, a tenant starts where its lease is acquired (the keeper's next pass).
      const here = tenants.stateOf(config.id) !== undefined;
      if (transition === "start" && !this.#keeper) await tenants.addChild(this.#spec(config.id));
      if (transition === "restart" && here) await tenants.restartChild(config.id);
      if (transition === "stop" && here) await tenants.removeChild(config.id);
    }
    for (const id of plan.remove) {
      log.info("Tenant {id}: its file is gone; stopping it.", { id });
      if (tenants.stateOf(id) !== undefined) await tenants.removeChild(id);
      this.#entries.delete(id);
    }
    if (this.#keeper) {
      await this.#learnWebhookSecrets();
      this.#keeper.poke();
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
      if (this.#keeper) {
        const lease = this.#keeper.leases().get(id);
        const ownership = { owner: lease?.owner ?? null, epoch: lease?.epoch ?? 0 };
        if (!child) return { ...common, ...ownership, enabled: true, state: "remote" as const };
        return { ...common, ...ownership, enabled: true, state: child.state };
      }
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
    if (this.#keeper) return entry.webhookSecret;
    const source = entry.handle?.source;
    return source?.mode === "webhook" ? source.secret : undefined;
  }

  /**
   * Hands a webhook update to its tenant; resolves once it is durably recorded. Rejects with
   * {@linkcode TenantUnavailableError} while the tenant is not running.
   */
  accept(tenantId: string, update: unknown): Promise<void> {
    const handle = this.#live(tenantId);
    if (handle) return handle.accept(update);
    // In a cluster the owner may be another instance, or this one between two runs: the inbox
    // keeps the update for whoever runs the tenant next.
    const config = this.#entries.get(tenantId)?.config;
    if (this.#relay && config) return this.#relay.accept(config, update);
    return Promise.reject(new TenantUnavailableError(tenantId));
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

  /** Crashes a running tenant through its supervisor; false when it is not running. */
  crashTenant(tenantId: string, error: unknown): boolean {
    const handle = this.#live(tenantId);
    handle?.crash(error);
    return handle !== undefined;
  }

  /** An operator's refund from the console; the tenant must be running (its bot is asked). */
  refund(tenantId: string, chargeId: string): Promise<OperatorRefund> {
    const handle = this.#live(tenantId);
    if (!handle) return Promise.resolve({ kind: "not_running", chargeId });
    return this.#refunds.run(`${tenantId}/${chargeId}`, () => handle.refund(chargeId));
  }

  /** The bot's own Stars through the BalanceActor, or why they cannot be read now. */
  async starsBalance(tenantId: string): Promise<StarBalance | { error: string }> {
    if (!this.#live(tenantId)) return { error: `tenant ${tenantId} is not running` };
    try {
      return await this.#balances.client.balance(tenantId);
    } catch (error) {
      return {
        error: this.#redactor.redact(error instanceof Error ? error.message : String(error)),
      };
    }
  }

  /** A tenant's last good config without its secrets, for the console. */
  tenantSummary(tenantId: string): TenantSummary | undefined {
    const config = this.#entries.get(tenantId)?.config;
    if (!config) return undefined;
    return {
      id: config.id,
      source: config.source,
      updates: config.updates,
      apiRoot: config.apiRoot,
      testEnvironment: config.testEnvironment,
      locale: config.locale,
      admins: config.admins,
      starsEnabled: config.stars.enabled,
      products: config.products.map(({ id, kind, title, price, enabled }) => ({
        id,
        kind,
        // A title per language is shown in English, or its first language.
        title: typeof title === "string" ? title : title.en ?? Object.values(title)[0] ?? id,
        price,
        enabled,
      })),
      plugin: config.plugin,
      mtproto: config.mtproto !== undefined,
    };
  }

  /** A running tenant's outbox backlog, for the console. */
  async outboxBacklog(tenantId: string): Promise<number | undefined> {
    return await this.#live(tenantId)?.outboxBacklog();
  }

  #live(tenantId: string): TenantHandle | undefined {
    const running = this.#tenants?.stateOf(tenantId) === "running";
    return running ? this.#entries.get(tenantId)?.handle : undefined;
  }

  async #collect(): Promise<void> {
    const metrics = this.#metrics!;
    const reports = this.tenants();
    metrics.recordTenantStates(reports);
    if (this.#keeper) {
      metrics.tenantLeaseEpoch.reset();
      for (const [tenant, lease] of this.#keeper.leases()) {
        metrics.tenantLeaseEpoch.set({ tenant, owner: lease.owner ?? "" }, lease.epoch);
      }
    }
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

  /**
   * Stops every tenant in reverse start order; in a cluster, then releases their leases and
   * leaves it, so the other instances take the tenants over at once.
   */
  async stop(): Promise<void> {
    this.#keeper?.stopAcquiring();
    this.drain();
    await this.#reloading;
    await this.#root.stop();
    this.#stopSweeping?.();
    await this.#unlistenInbox?.().catch(() => {});
    await this.#keeper?.leave();
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
