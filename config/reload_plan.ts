/**
 * What a reload of the tenant files changes: which tenants to start, stop, restart or leave
 * alone. Pure: it compares the configs the runtime holds with a fresh {@linkcode loadTenants}
 * result and decides nothing about how the runtime carries the plan out.
 *
 * A broken file never takes a bot down: a tenant whose file became invalid keeps running on its
 * last good config and the problem is reported, so a typo in one file is fixed without an outage.
 * Only a file that is gone removes its tenant.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type LoadResult, parseTenant } from "./load_tenants.ts";
 * import { planReload, transitionOf } from "./reload_plan.ts";
 * import type { TenantConfig } from "./tenant_schema.ts";
 *
 * const tenant = (id: string, file: object, token = "123:abc"): TenantConfig => {
 *   const origin = { id, source: `${id}.json`, configDir: ".", env: () => token };
 *   const result = parseTenant(file, origin);
 *   if (!result.ok) throw new Error(result.problem.message);
 *   return result.tenant;
 * };
 * const shop = tenant("shop", { token: "env:SHOP_BOT_TOKEN" });
 * const running = new Map([["shop", shop], ["quiz", tenant("quiz", { token: "env:QUIZ" })]]);
 *
 * const loaded: LoadResult = {
 *   tenants: [
 *     tenant("shop", { token: "env:SHOP_BOT_TOKEN" }, "123:rotated"), // same file, new token
 *     tenant("news", { token: "env:NEWS_BOT_TOKEN", enabled: false }),
 *   ],
 *   problems: [{ file: "config/tenants/quiz.json", message: "not valid JSON", issues: [] }],
 *   warnings: [],
 * };
 * const plan = planReload(running, loaded);
 * assert.deepEqual(plan.restart.map((config) => config.id), ["shop"]);
 * assert.deepEqual(plan.add.map((config) => config.id), ["news"]);
 * // quiz's file broke: it keeps running on its last good config until the file is fixed.
 * assert.deepEqual(plan.invalid.map(({ id, keptRunning }) => ({ id, keptRunning })), [
 *   { id: "quiz", keptRunning: true },
 * ]);
 * assert.deepEqual(plan.remove, []);
 *
 * assert.equal(transitionOf(shop, plan.restart[0]), "restart");
 * assert.equal(transitionOf(undefined, plan.add[0]), "none"); // known, but disabled
 * ```
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import { type ConfigProblem, type LoadResult, tenantIdOf } from "./load_tenants.ts";
import type { TenantConfig } from "./tenant_schema.ts";

/** A tenant file that is present but could not be loaded. */
export interface InvalidTenant {
  /**
   * The tenant the file belongs to, from its name; `undefined` when the name is not a valid
   * tenant id (such a file never touches a running tenant).
   */
  id: string | undefined;
  problem: ConfigProblem;
  /** True when the tenant was running and goes on running on its last good config. */
  keptRunning: boolean;
}

/**
 * The changes one reload makes, every list sorted by tenant id. Every tenant the runtime knows
 * lands in exactly one of `remove`, `restart`, `invalid` and `unchanged`; every valid file in
 * exactly one of `add`, `restart` and `unchanged`.
 *
 * `enabled` is part of the config, so turning a tenant off or on is a `restart` whose new config
 * says what to do, and a new file with `enabled: false` is an `add` that only makes the tenant
 * known: {@linkcode transitionOf} turns an entry into the action the runtime takes.
 */
export interface ReloadPlan {
  /** Tenants with a new, valid file. */
  add: TenantConfig[];
  /** Tenants whose file is gone (never a tenant whose file became invalid). */
  remove: string[];
  /** Tenants whose resolved config changed (secrets included: a rotated token counts). */
  restart: TenantConfig[];
  /** Files present but invalid; their tenants keep their last good config. */
  invalid: InvalidTenant[];
  /** Tenants whose resolved config is the same. */
  unchanged: string[];
}

/**
 * What the runtime does for one `add` or `restart` entry:
 * `start` a tenant that was not running, `stop` (drain) one whose new config disables it,
 * `restart` a running one with its new config, or `none` when it stays stopped (only its
 * recorded config changes).
 */
export type TenantTransition = "start" | "stop" | "restart" | "none";

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares the configs the runtime holds (`current`, the last good config of every known tenant,
 * running or disabled) with a fresh load of the tenant files.
 *
 * Configs are compared deeply after secrets are resolved from the environment, so a token
 * rotated in the environment restarts the bot even though its file did not change.
 */
export function planReload(
  current: ReadonlyMap<string, TenantConfig>,
  loaded: LoadResult,
): ReloadPlan {
  const plan: ReloadPlan = { add: [], remove: [], restart: [], invalid: [], unchanged: [] };
  const present = new Set<string>();

  for (const tenant of loaded.tenants) {
    present.add(tenant.id);
    const previous = current.get(tenant.id);
    if (previous === undefined) plan.add.push(tenant);
    else if (isDeepStrictEqual(previous, tenant)) plan.unchanged.push(tenant.id);
    else plan.restart.push(tenant);
  }
  for (const problem of loaded.problems) {
    const id = tenantIdOf(problem.file);
    if (id !== undefined) present.add(id);
    const keptRunning = id !== undefined && current.get(id)?.enabled === true;
    plan.invalid.push({ id, problem, keptRunning });
  }
  for (const id of current.keys()) {
    if (!present.has(id)) plan.remove.push(id);
  }

  plan.add.sort((a, b) => byId(a.id, b.id));
  plan.restart.sort((a, b) => byId(a.id, b.id));
  plan.remove.sort(byId);
  plan.unchanged.sort(byId);
  // Problems without a tenant id come last, by file.
  plan.invalid.sort((a, b) =>
    a.id === b.id
      ? byId(a.problem.file, b.problem.file)
      : a.id === undefined
      ? 1
      : b.id === undefined
      ? -1
      : byId(a.id, b.id)
  );
  return plan;
}

/**
 * The action for one `add` (`previous` is `undefined`) or `restart` entry of a
 * {@linkcode ReloadPlan}, from whether the tenant ran before and whether its new config enables it.
 */
export function transitionOf(
  previous: TenantConfig | undefined,
  next: TenantConfig,
): TenantTransition {
  const wasRunning = previous?.enabled === true;
  if (wasRunning) return next.enabled ? "restart" : "stop";
  return next.enabled ? "start" : "none";
}
