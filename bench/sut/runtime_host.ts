/**
 * The system under test: the Constellation runtime hosting every bot of the plan as a tenant,
 * each with the reply plugin and one product, on a SQLite file or a PostgreSQL database — as
 * `main.ts` would run them, minus the HTTP server and the config watcher. On PostgreSQL `main.ts`
 * always joins a cluster (tenant leases, every transaction fenced by its tenant's lease), so the
 * runtime here does too, as the one instance of its cluster: the figures include that cost.
 *
 * @example
 * ```ts ignore
 * import { prepareRuntime } from "./runtime_host.ts";
 * const start = await prepareRuntime(plan);
 * const runtime = await start();
 * ```
 * @module
 */
import { Runtime } from "../../actors/runtime/runtime.ts";
import { DEFAULT_LEASE_TIMINGS } from "../../actors/cluster/lease_keeper.ts";
import { openCluster } from "../../actors/cluster/cluster_options.ts";
import { isPostgresUrl, openDatabase } from "../../adapters/storage/open_database.ts";
import { secrets } from "../../adapters/observability/redact.ts";
import { formatProblem, parseTenant } from "../../config/load_tenants.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import { BENCH_PRODUCT, type SutPlan } from "./plan.ts";

/**
 * The plan's bots as tenant configs, parsed as tenant files would be.
 *
 * @example
 * ```ts ignore
 * const tenants = runtimeTenants(plan); // one per bot, with the reply plugin
 * ```
 */
export function runtimeTenants(plan: SutPlan): TenantConfig[] {
  return plan.bots.map(({ id, token }) => {
    const parsed = parseTenant({
      token: "env:BOT_TOKEN",
      apiRoot: plan.apiRoot,
      plugin: "plugins/reply.ts",
      products: [BENCH_PRODUCT],
    }, {
      id,
      source: `${id}.json`,
      configDir: plan.configDir,
      env: (name) => name === "BOT_TOKEN" ? token : undefined,
    });
    if (!parsed.ok) throw new Error(formatProblem(parsed.problem));
    return parsed.tenant;
  });
}

/**
 * Parses the tenants and opens (and migrates) the database, then returns the start itself, so
 * that the caller times only `Runtime.start`.
 *
 * @example
 * ```ts ignore
 * const start = await prepareRuntime(plan);
 * const runtime = await start();
 * ```
 */
export async function prepareRuntime(plan: SutPlan): Promise<() => Promise<Runtime>> {
  const tenants = runtimeTenants(plan);
  const db = await openDatabase(plan.databaseUrl, { applicationName: "constellation:bench" });
  // The cluster wiring of `main.ts`, as the only instance, with the default lease timings.
  const cluster = isPostgresUrl(plan.databaseUrl)
    ? (await openCluster(plan.databaseUrl, "bench", DEFAULT_LEASE_TIMINGS)).options
    : undefined;
  return () => Runtime.start({ tenants, db, redactor: secrets, cluster });
}
