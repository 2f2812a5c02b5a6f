/**
 * The system under test: the Constellation runtime hosting every bot of the plan as a tenant,
 * each with the reply plugin and one product, on a SQLite file — as `main.ts` would run them,
 * minus the HTTP server and the config watcher.
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
import { openDatabase } from "../../adapters/storage/open_database.ts";
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
  const db = await openDatabase(`sqlite:${plan.databasePath}`);
  return () => Runtime.start({ tenants, db, redactor: secrets });
}
