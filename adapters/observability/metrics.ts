/**
 * The runtime's Prometheus metrics, served at `GET /metrics`. Every metric is named
 * `constellation_…` and lives in its own prom-client {@linkcode Registry} (not prom-client's
 * global one), so two runtimes in one process (tests, the demo) never share or clash over counts.
 * Per-tenant metrics carry a `tenant` label. The registry also holds prom-client's default
 * process metrics under their standard names (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `process_start_time_seconds`, `nodejs_heap_size_used_bytes`,
 * `nodejs_eventloop_lag_seconds`, …, through Deno's Node compatibility; those prom-client reads
 * from `/proc/self` are left out or, for the resident memory, read from Deno) and `constellation_build_info{version,deno}` = 1.
 *
 * Counters are incremented where things happen. Gauges describe a current level (tenant state,
 * backlog, mailbox depth) that nobody "happens": the runtime registers
 * {@linkcode Metrics.onCollect} callbacks that set them just before each scrape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMetrics } from "./metrics.ts";
 *
 * const metrics = createMetrics();
 * metrics.updatesHandled.inc({ tenant: "shop" });
 * let backlog = 3;
 * metrics.onCollect(() => {
 *   metrics.outboxBacklog.set({ tenant: "shop" }, backlog);
 *   metrics.recordTenantStates([{ id: "shop", state: "running" }]);
 * });
 * metrics.onCollect(() => Promise.reject(new Error("a broken collector")));
 *
 * const text = await metrics.render();
 * assert.match(text, /^constellation_updates_handled_total\{tenant="shop"\} 1$/m);
 * assert.match(text, /^constellation_outbox_backlog\{tenant="shop"\} 3$/m);
 * assert.match(text, /^constellation_tenant_state\{tenant="shop",state="running"\} 1$/m);
 * assert.match(text, /^constellation_tenant_state\{tenant="shop",state="failed"\} 0$/m);
 * // The broken callback is counted; the scrape still answers.
 * assert.match(text, /^constellation_metrics_collect_errors_total 1$/m);
 * assert.match(text, /^constellation_build_info\{version="[^"]+",deno="[^"]+"\} 1$/m);
 * assert.match(text, /^process_resident_memory_bytes \d+$/m);
 *
 * backlog = 0; // gauges are read at scrape time
 * assert.match(await metrics.render(), /^constellation_outbox_backlog\{tenant="shop"\} 0$/m);
 * ```
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { runtimeLogger } from "./logging.ts";
import { redactTokens } from "./redact.ts";
import { TENANT_STATES, type TenantState } from "../http/runtime_view.ts";

/**
 * Pre-checkout queries must be answered within 10 s, and we aim for 100 ms: the buckets are fine
 * around the target and coarse up to Telegram's deadline.
 */
/** The version of Constellation, as `constellation_build_info{version}` reports it. */
export const CONSTELLATION_VERSION = "0.1.0";

/** Default process metrics prom-client reads from `/proc/self` (see `createMetrics`). */
const PROC_FS_METRICS = [
  "process_resident_memory_bytes",
  "process_virtual_memory_bytes",
  "process_heap_bytes",
  "process_open_fds",
  "process_max_fds",
];

const PRE_CHECKOUT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Sets gauges just before a scrape. A callback that throws is counted in
 * `constellation_metrics_collect_errors_total` and logged; the scrape still answers.
 */
export type CollectCallback = () => void | Promise<void>;

/** The runtime's metrics. Members are prom-client metrics, typed by their label names. */
export interface Metrics {
  /** `constellation_updates_handled_total{tenant}`: updates a tenant finished handling. */
  readonly updatesHandled: Counter<"tenant">;
  /** `constellation_handler_errors_total{tenant}`: updates whose handler threw. */
  readonly handlerErrors: Counter<"tenant">;
  /**
   * `constellation_tenant_restarts_total{tenant}`: restarts of a tenant by its supervisor after
   * it crashed or failed to start; a config change is not one (see `tenantConfigReloads`).
   */
  readonly tenantRestarts: Counter<"tenant">;
  /**
   * `constellation_tenant_config_reloads_total{tenant}`: config changes applied to a tenant by a
   * reload (started, restarted with its new config, or stopped).
   */
  readonly tenantConfigReloads: Counter<"tenant">;
  /**
   * `constellation_stars_received_total{tenant}`: Telegram Stars received in applied payments
   * (each payment once, whatever it granted).
   */
  readonly starsReceived: Counter<"tenant">;
  /** `constellation_stars_refunded_total{tenant}`: Telegram Stars given back by refunds. */
  readonly starsRefunded: Counter<"tenant">;
  /**
   * `constellation_payments_total{tenant,kind}`: payment outcomes by kind (`credited`,
   * `delivered`, `subscribed`, `renewed`, `double_payment_refunding`, …).
   */
  readonly payments: Counter<"tenant" | "kind">;
  /** `constellation_refunds_total{tenant}`: Star payments refunded. */
  readonly refunds: Counter<"tenant">;
  /** `constellation_ledger_credits_total{tenant}`: sum of credits deposited to user balances. */
  readonly ledgerCredits: Counter<"tenant">;
  /** `constellation_balance_cache_hits_total{tenant}`: bot balance reads served from cache. */
  readonly balanceCacheHits: Counter<"tenant">;
  /** `constellation_balance_cache_misses_total{tenant}`: bot balance reads that missed the cache. */
  readonly balanceCacheMisses: Counter<"tenant">;
  /** `constellation_balance_upstream_calls_total{tenant,source}`: balance calls to Telegram. */
  readonly balanceUpstreamCalls: Counter<"tenant" | "source">;
  /**
   * `constellation_dead_letters_total{actor}`: messages no actor could take. Actor names carry
   * the tenant (`tenant:shop`).
   */
  readonly deadLetters: Counter<"actor">;
  /**
   * `constellation_webhook_requests_total{tenant,outcome,status}`: webhook requests by tenant
   * (empty for a path naming no webhook tenant, so strangers cannot add series), outcome
   * (`recorded`, `bad_secret`, `not_found`, `malformed`, `too_large`, `not_json`, `unavailable`,
   * `error`) and HTTP status.
   */
  readonly webhookRequests: Counter<"tenant" | "outcome" | "status">;
  /**
   * `constellation_updates_rejected_total{tenant}`: updates that were not of the Update shape,
   * recorded as rejected and never run.
   */
  readonly updatesRejected: Counter<"tenant">;
  /**
   * `constellation_updates_dead_lettered_total{tenant}`: updates set aside as dead letters
   * (failed too often, or a malformed payment).
   */
  readonly updatesDeadLettered: Counter<"tenant">;
  /** `constellation_update_dead_letters{tenant}`: dead letters waiting for an operator. */
  readonly updateDeadLetters: Gauge<"tenant">;
  /**
   * `constellation_uncaught_errors_total{tenant}`: errors nothing caught (an unhandled
   * rejection, a throw in a timer), by the tenant they were traced to; `tenant=""` when none.
   */
  readonly uncaughtErrors: Counter<"tenant">;
  /** `constellation_tenant_state{tenant,state}`: 1 for the tenant's current state, 0 otherwise. */
  readonly tenantState: Gauge<"tenant" | "state">;
  /** `constellation_outbox_backlog{tenant}`: outgoing messages not yet sent. */
  readonly outboxBacklog: Gauge<"tenant">;
  /** `constellation_mailbox_depth{actor}`: messages waiting in an actor's mailbox. */
  readonly mailboxDepth: Gauge<"actor">;
  /** `constellation_pre_checkout_latency_seconds{tenant}`: time to answer a pre-checkout query. */
  readonly preCheckoutLatency: Histogram<"tenant">;
  /**
   * `constellation_lease_acquisitions_total{tenant,kind}`: tenant leases this instance took;
   * `kind` is `fresh` (never held), `handover` (released by its owner) or `failover` (expired).
   */
  readonly leaseAcquisitions: Counter<"tenant" | "kind">;
  /**
   * `constellation_lease_losses_total{tenant,reason}`: leases this instance lost without
   * releasing them: `expired` (not renewed in time by the local clock), `taken` (another
   * instance holds it) or `fenced` (a write was refused).
   */
  readonly leaseLosses: Counter<"tenant" | "reason">;
  /** `constellation_fenced_writes_total{tenant}`: write transactions refused for a lost lease. */
  readonly fencedWrites: Counter<"tenant">;
  /** `constellation_tenant_lease_epoch{tenant,owner}`: every tenant's lease epoch and its owner. */
  readonly tenantLeaseEpoch: Gauge<"tenant" | "owner">;
  /** The `Content-Type` of {@linkcode Metrics.render}'s text. */
  readonly contentType: string;
  /**
   * Replaces every tenant's `tenant_state` series: 1 for its state, 0 for each other state, so
   * `constellation_tenant_state{state="failed"} == 1` selects the failed tenants and a removed
   * tenant's series disappear. Meant to be called from an {@linkcode onCollect} callback.
   */
  recordTenantStates(tenants: Iterable<{ id: string; state: TenantState }>): void;
  /** Runs `callback` before every {@linkcode render}; returns a function that unregisters it. */
  onCollect(callback: CollectCallback): () => void;
  /** Runs the collect callbacks, then renders every metric in the Prometheus text format. */
  render(): Promise<string>;
}

const log = runtimeLogger("metrics");

/** Creates a fresh set of metrics in a registry of its own. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name: `constellation_${name}`, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name: `constellation_${name}`, help, labelNames, registers });

  const collectErrors = counter(
    "metrics_collect_errors_total",
    "Collect callbacks that threw while preparing a scrape.",
    [],
  );
  const tenantState = gauge(
    "tenant_state",
    "1 for the tenant's current state, 0 for the others.",
    ["tenant", "state"],
  );
  const callbacks = new Set<{ callback: CollectCallback }>();
  collectDefaultMetrics({ register: registry });
  // prom-client reads these from /proc/self, which Deno lets only a process started with
  // --allow-all read: under `deno task start` they would read 0. The resident memory comes from
  // Deno instead; the others are left out rather than served wrong.
  for (const name of PROC_FS_METRICS) registry.removeSingleMetric(name);
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers,
    collect() {
      this.set(Deno.memoryUsage().rss);
    },
  });
  gauge("build_info", "Always 1; the labels name the running build.", ["version", "deno"])
    .set({ version: CONSTELLATION_VERSION, deno: Deno.version.deno }, 1);

  return {
    updatesHandled: counter(
      "updates_handled_total",
      "Updates a tenant finished handling.",
      ["tenant"],
    ),
    handlerErrors: counter("handler_errors_total", "Updates whose handler threw.", ["tenant"]),
    tenantRestarts: counter(
      "tenant_restarts_total",
      "Restarts of a tenant by its supervisor after a crash or a failed start.",
      ["tenant"],
    ),
    tenantConfigReloads: counter(
      "tenant_config_reloads_total",
      "Config changes applied to a tenant by a reload (started, restarted or stopped).",
      ["tenant"],
    ),
    starsReceived: counter(
      "stars_received_total",
      "Telegram Stars received in applied payments.",
      ["tenant"],
    ),
    starsRefunded: counter("stars_refunded_total", "Telegram Stars given back by refunds.", [
      "tenant",
    ]),
    payments: counter("payments_total", "Payment outcomes by kind.", ["tenant", "kind"]),
    refunds: counter("refunds_total", "Star payments refunded.", ["tenant"]),
    ledgerCredits: counter(
      "ledger_credits_total",
      "Sum of credits deposited to user balances.",
      ["tenant"],
    ),
    balanceCacheHits: counter(
      "balance_cache_hits_total",
      "Bot balance reads served from the cache.",
      ["tenant"],
    ),
    balanceCacheMisses: counter(
      "balance_cache_misses_total",
      "Bot balance reads that missed the cache.",
      ["tenant"],
    ),
    balanceUpstreamCalls: counter(
      "balance_upstream_calls_total",
      "Balance calls to Telegram, by source.",
      ["tenant", "source"],
    ),
    deadLetters: counter(
      "dead_letters_total",
      "Messages no actor could take, by actor.",
      ["actor"],
    ),
    webhookRequests: counter(
      "webhook_requests_total",
      "Webhook requests by tenant, outcome and HTTP status.",
      ["tenant", "outcome", "status"],
    ),
    updatesRejected: counter(
      "updates_rejected_total",
      "Updates not of the Update shape, recorded as rejected and never run.",
      ["tenant"],
    ),
    updatesDeadLettered: counter(
      "updates_dead_lettered_total",
      "Updates set aside as dead letters.",
      ["tenant"],
    ),
    updateDeadLetters: gauge(
      "update_dead_letters",
      "Dead letters waiting for an operator.",
      ["tenant"],
    ),
    uncaughtErrors: counter(
      "uncaught_errors_total",
      "Errors nothing caught, by the tenant they were traced to (empty: none).",
      ["tenant"],
    ),
    tenantState,
    outboxBacklog: gauge("outbox_backlog", "Outgoing messages not yet sent.", ["tenant"]),
    mailboxDepth: gauge("mailbox_depth", "Messages waiting in an actor's mailbox.", ["actor"]),
    preCheckoutLatency: new Histogram({
      name: "constellation_pre_checkout_latency_seconds",
      help: "Time to answer a pre-checkout query.",
      labelNames: ["tenant"],
      buckets: PRE_CHECKOUT_BUCKETS,
      registers,
    }),
    leaseAcquisitions: counter(
      "lease_acquisitions_total",
      "Tenant leases this instance took, by kind (fresh, handover, failover).",
      ["tenant", "kind"],
    ),
    leaseLosses: counter(
      "lease_losses_total",
      "Tenant leases this instance lost without releasing them, by reason.",
      ["tenant", "reason"],
    ),
    fencedWrites: counter(
      "fenced_writes_total",
      "Write transactions refused because this instance no longer held the tenant's lease.",
      ["tenant"],
    ),
    tenantLeaseEpoch: gauge(
      "tenant_lease_epoch",
      "Every tenant's lease epoch, labelled with the instance that owns it (empty: nobody).",
      ["tenant", "owner"],
    ),
    contentType: registry.contentType,

    recordTenantStates(tenants) {
      tenantState.reset();
      for (const tenant of tenants) {
        for (const state of TENANT_STATES) {
          tenantState.set({ tenant: tenant.id, state }, state === tenant.state ? 1 : 0);
        }
      }
    },

    onCollect(callback) {
      // One entry per registration, so registering a function twice runs it twice and each
      // unregister removes exactly its own registration.
      const entry = { callback };
      callbacks.add(entry);
      return () => callbacks.delete(entry);
    },

    async render() {
      const results = await Promise.allSettled(
        [...callbacks].map(async (entry) => await entry.callback()),
      );
      for (const result of results) {
        if (result.status === "fulfilled") continue;
        // A broken callback leaves its gauges stale but must not take every other metric down
        // with it: a failed scrape would hide exactly the numbers needed to diagnose it.
        collectErrors.inc();
        const reason = result.reason;
        log.warn("A metrics collect callback failed: {error}", {
          error: redactTokens(reason instanceof Error ? reason.message : String(reason)),
        });
      }
      return await registry.metrics();
    },
  };
}
