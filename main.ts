/**
 * Constellation's entry point: `deno task start`.
 *
 * Reads the runtime settings from the environment, loads one tenant per file in
 * `$CONFIG_DIR/tenants/` (or the single bot of a `.env` with `TELEGRAM_BOT_TOKEN`), opens the
 * database, starts the supervision tree and the HTTP server (webhooks, health, metrics, status),
 * watches the tenant files for changes (and reloads on SIGHUP), and drains cleanly on SIGINT or
 * SIGTERM. No error of a tenant or its plugin ends the process: an unhandled rejection or a
 * throw in a timer crashes only the tenant it came from (`actors/runtime/containment.ts`), and
 * an HTTP server whose listener fails listens again (`adapters/http/lasting_server.ts`).
 *
 * Exit codes: 0 after a clean stop; 1 when the stop missed its deadline; 2 when the settings,
 * the config folder or the database leave nothing to run.
 * @module
 */
import "./adapters/observability/node_warnings.ts";
import { loadRuntimeSettings, type RuntimeSettings } from "./config/runtime_settings.ts";
import { ConfigDirMissingError, type LoadResult, loadTenants } from "./config/load_tenants.ts";
import { tenantFromEnv } from "./config/env_tenant.ts";
import { configureLogging, flushLogs, runtimeLogger } from "./adapters/observability/logging.ts";
import { logConfigProblem, logConfigWarnings, Runtime } from "./actors/runtime/runtime.ts";
import { containUncaughtErrors } from "./actors/runtime/containment.ts";
import { globalDeadLetters } from "./actors/kernel/dead_letters.ts";
import { isPostgresUrl, openDatabase } from "./adapters/storage/open_database.ts";
import { DEFAULT_LEASE_TIMINGS } from "./actors/cluster/lease_keeper.ts";
import { type OpenCluster, openCluster } from "./actors/cluster/cluster_options.ts";
import { instanceConnectionName } from "./adapters/storage/postgres/leases.ts";
import type { Database } from "./money/ports.ts";
import { createMetrics } from "./adapters/observability/metrics.ts";
import type { HttpServer } from "./adapters/http/server.ts";
import { startLastingHttpServer } from "./adapters/http/lasting_server.ts";
import { webhookRoute } from "./adapters/http/webhook_route.ts";
import { opsRoutes } from "./adapters/http/ops_routes.ts";
import { operatorConsole } from "./adapters/http/console/console_routes.ts";
import { tenantLogTail } from "./adapters/observability/log_tail.ts";
import { systemClock } from "./actors/kernel/clock.ts";
import { countTenantStates, describeTenantStates } from "./adapters/http/runtime_view.ts";
import { watchTenantConfig } from "./adapters/config/config_watcher.ts";
import { secrets } from "./adapters/observability/redact.ts";
import { EnvFile } from "./adapters/config/env_file.ts";
import { tenantLoadOptions } from "./adapters/config/tenant_checks.ts";

/** How long a stop may take before the process gives up waiting and exits with 1. */
const shutdownDeadlineMs = 20_000;

const help = `See config/examples/shop.json for a tenant file, or run \`deno task demo\` to see
Constellation work against the local Telegram sandbox.`;

function fail(message: string): never {
  console.error(`constellation: ${message}`);
  Deno.exit(2);
}

// `.env` (ENV_FILE) is read at start and again before every reload, so a token rotated there is
// picked up on SIGHUP; its values win over the environment the process started with.
const envFile = EnvFile.locate((name) => Deno.env.get(name));
const envFileError = envFile?.read();
if (envFileError !== undefined && Deno.env.get("ENV_FILE") !== undefined) fail(envFileError);
const env = envFile
  ? envFile.overlay((name) => Deno.env.get(name))
  : (name: string) => Deno.env.get(name);
let settings: RuntimeSettings;
try {
  settings = loadRuntimeSettings(env);
} catch (error) {
  fail((error as Error).message);
}
secrets.add(settings.adminToken);
await configureLogging({ level: settings.logLevel, format: settings.logFormat });
const log = runtimeLogger("main");

let loaded;
try {
  loaded = await loadTenants(settings.configDir, env, tenantLoadOptions(settings.publicUrl));
} catch (error) {
  if (error instanceof ConfigDirMissingError) fail(`${error.message}\n${help}`);
  throw error;
}
// The runtime logs the load's problems and warnings as it applies it (below), once each; a
// start that stops before then logs them itself.
function logUnappliedLoad(load: LoadResult): void {
  logConfigWarnings(load.warnings);
  for (const problem of load.problems) logConfigProblem(problem);
}
// Tenant files, or else the original single bot of a `.env`; only files are watched.
const fromFiles = loaded.tenants.length > 0 || loaded.problems.length > 0;
let tenants = loaded.tenants;
if (!fromFiles) {
  try {
    const fromEnv = tenantFromEnv(env, settings.configDir);
    if (fromEnv) tenants = [fromEnv];
  } catch (error) {
    fail((error as Error).message);
  }
}
if (!tenants.some((t) => t.enabled)) {
  logUnappliedLoad(loaded);
  await flushLogs();
  fail(
    `no usable tenant in ${settings.configDir}/tenants/ (and no TELEGRAM_BOT_TOKEN in the environment).\n${help}`,
  );
}

// On PostgreSQL, instances sharing the database split the tenants between them by leases.
const clustered = isPostgresUrl(settings.databaseUrl);
const instanceId = settings.instanceId ?? `${Deno.hostname()}-${Deno.pid}`;
const leaseTimings = {
  ttlMs: settings.leaseTtlMs ?? DEFAULT_LEASE_TIMINGS.ttlMs,
  renewMs: settings.leaseRenewMs ?? DEFAULT_LEASE_TIMINGS.renewMs,
};
let db: Database;
try {
  db = await openDatabase(settings.databaseUrl, {
    applicationName: instanceConnectionName(instanceId),
    // A paused instance's transaction holds its fence's row lock until the server ends it: at
    // most a renewal interval, so the tenant's next owner is not kept waiting past the TTL.
    idleInTransactionTimeoutMs: Math.min(15_000, Math.round(leaseTimings.ttlMs / 3)),
  });
} catch (error) {
  logUnappliedLoad(loaded);
  await flushLogs();
  fail((error as Error).message);
}
let cluster: OpenCluster | undefined;
if (clustered) {
  try {
    cluster = await openCluster(settings.databaseUrl, instanceId, leaseTimings);
  } catch (error) {
    await flushLogs();
    fail((error as Error).message);
  }
  log.info("Instance {instanceId} joins the cluster.", { instanceId });
}
const metrics = createMetrics();
globalDeadLetters.subscribe(({ actor }) => metrics.deadLetters.inc({ actor }));
// The process has one redactor, which the log sink reads: the runtime registers the tenants'
// secrets into it, and the HTTP server redacts its answers with it.
const runtime = Runtime.create({
  tenants,
  db,
  metrics,
  publicUrl: settings.publicUrl,
  redactor: secrets,
  cluster: cluster?.options,
  updatesInFlight: {
    total: settings.maxUpdatesInFlight,
    perTenant: settings.maxUpdatesInFlightPerTenant,
  },
});
// Before any tenant starts: from here on, an error nothing caught crashes only its tenant.
containUncaughtErrors(runtime, { metrics });

// The HTTP server comes first: /healthz and /readyz answer (/status shows the tenants starting)
// while they start, and webhooks find a listener as soon as they are registered.
const redact = (text: string) => secrets.redact(text);
// The operator console (/console): off while ADMIN_TOKEN is not set.
const opsConsole = operatorConsole({
  runtime,
  deadLetters: runtime,
  operator: runtime,
  db,
  logs: tenantLogTail,
  clock: systemClock,
  redact,
  adminToken: settings.adminToken,
  publicUrl: settings.publicUrl,
});
let http: HttpServer;
try {
  http = await startLastingHttpServer({
    port: settings.httpPort,
    hostname: settings.httpHostname,
    limits: { maxConnections: settings.httpMaxConnections },
    routes: [
      webhookRoute({ target: runtime, metrics, redact }),
      ...opsRoutes({
        runtime,
        deadLetters: runtime,
        metrics,
        adminToken: settings.adminToken,
        redact,
      }),
      ...opsConsole.routes,
    ],
    redact,
  });
} catch (error) {
  logUnappliedLoad(loaded);
  await flushLogs();
  fail((error as Error).message);
}

await runtime.run();
// Record the files refused at start, so /status shows them too.
if (fromFiles) await runtime.reload(loaded);
// Counted by state: "running 1 tenant" would be wrong while that tenant is in backoff.
log.info("Constellation is running: {tenants}.", {
  tenants: describeTenantStates(runtime.tenants()),
  states: countTenantStates(runtime.tenants()),
});

const stopWatching = new AbortController();
const watcher = fromFiles
  ? watchTenantConfig({
    configDir: settings.configDir,
    signal: stopWatching.signal,
    onChange: async () => {
      const unread = envFile?.read();
      if (unread !== undefined) log.warn("{problem}", { problem: unread });
      await runtime.reload(
        await loadTenants(settings.configDir, env, tenantLoadOptions(settings.publicUrl)),
      );
    },
  })
  : undefined;

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info("{signal} received; draining.", { signal });
  // Webhooks answer 503 from now on, so Telegram keeps new updates until the next start.
  runtime.drain();
  const deadline = new Promise<"late">((resolve) =>
    setTimeout(() => resolve("late"), shutdownDeadlineMs)
  );
  const outcome = await Promise.race([
    (async () => {
      stopWatching.abort();
      await watcher?.closed;
      await runtime.stop();
      // Live console views end first: the server waits for every answer in flight.
      opsConsole.close();
      await http.shutdown();
      await db.close();
      await cluster?.close();
      return "stopped" as const;
    })(),
    deadline,
  ]);
  if (outcome === "late") {
    log.error("Stop did not finish within {ms} ms.", { ms: shutdownDeadlineMs });
  } else log.info("Stopped cleanly.");
  await flushLogs();
  Deno.exit(outcome === "late" ? 1 : 0);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => void shutdown(signal));
}
