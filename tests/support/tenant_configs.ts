/**
 * Test tenant configs, built through the real tenant file parser so that every test runs on a
 * config the runtime would accept (defaults filled in, texts checked), never on a hand-made
 * object that could drift from the schema.
 *
 * @example
 * ```ts ignore
 * const tenant = parseTestTenant({ products: [CREDITS_100] }, { token: "123:abc" });
 * tenant.id; // "shop"
 * ```
 * @module
 */
import { parseTenant } from "../../config/load_tenants.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";

/** Where a test tenant file comes from, and the token its `env:BOT_TOKEN` stands for. */
export interface TestTenantOrigin {
  /** The bot token the file's `env:BOT_TOKEN` resolves to. */
  token: string;
  /** The tenant id, also the file name without `.json`; default `shop`. */
  id?: string;
  /** The config folder that plugin paths are relative to; default `config`. */
  configDir?: string;
}

/**
 * Parses `file` as the tenant file `<id>.json`, on top of the defaults `token: env:BOT_TOKEN`
 * and `locale: en`; throws, naming the tenant and the problem, when the file is invalid.
 *
 * @example
 * ```ts ignore
 * const tenant = parseTestTenant(
 *   { apiRoot: sandbox.apiRoot, products: [CREDITS_100] },
 *   { id: "cafe", token: account.token },
 * );
 * ```
 */
export function parseTestTenant(
  file: Record<string, unknown>,
  origin: TestTenantOrigin,
): TenantConfig {
  const id = origin.id ?? "shop";
  const parsed = parseTenant({ token: "env:BOT_TOKEN", locale: "en", ...file }, {
    id,
    source: `${id}.json`,
    configDir: origin.configDir ?? "config",
    env: (name) => name === "BOT_TOKEN" ? origin.token : undefined,
  });
  if (!parsed.ok) {
    throw new Error(`test tenant ${id} is invalid: ${JSON.stringify(parsed.problem)}`);
  }
  return parsed.tenant;
}
