/**
 * The original single-bot mode: one bot configured only through environment variables (usually
 * a `.env` file), as before tenant files existed. It goes through the same schema as a tenant
 * file, so its defaults are exactly those of a file tenant.
 *
 * | variable             | meaning                                                  |
 * | -------------------- | -------------------------------------------------------- |
 * | `TELEGRAM_BOT_TOKEN` | the bot token; the mode is on when it is set             |
 * | `USE_TELEGRAM_STARS` | `stars.enabled`: true/false, 1/0 or yes/no               |
 * | `TELEGRAM_API_ID`    | `mtproto.apiId`, together with `TELEGRAM_API_HASH`       |
 * | `TELEGRAM_API_HASH`  | `mtproto.apiHash`, together with `TELEGRAM_API_ID`       |
 * | `TELEGRAM_API_ROOT`  | `apiRoot`                                                |
 * | `TELEGRAM_ADMINS`    | `admins`, comma-separated Telegram user ids              |
 *
 * Empty variables count as unset, so a `.env` template with blank lines does not switch anything
 * on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EnvTenantError, tenantFromEnv } from "./env_tenant.ts";
 *
 * const vars: Record<string, string> = {
 *   TELEGRAM_BOT_TOKEN: "123:abc",
 *   USE_TELEGRAM_STARS: "yes",
 *   TELEGRAM_ADMINS: "42, 43",
 *   TELEGRAM_API_ROOT: "",
 * };
 * const tenant = tenantFromEnv((name) => vars[name], "config");
 * assert.equal(tenant?.id, "default");
 * assert.equal(tenant?.token, "123:abc");
 * assert.deepEqual(tenant?.admins, [42, 43]);
 * assert.equal(tenant?.apiRoot, "https://api.telegram.org"); // empty counts as unset
 *
 * assert.equal(tenantFromEnv(() => undefined, "config"), undefined); // the mode is off
 * const halfMtproto: Record<string, string> = { TELEGRAM_BOT_TOKEN: "1:a", TELEGRAM_API_ID: "1" };
 * assert.throws(() => tenantFromEnv((name) => halfMtproto[name], "config"), (error) => {
 *   assert.ok(error instanceof EnvTenantError);
 *   assert.equal(error.issues[0].path, "TELEGRAM_API_HASH");
 *   return true;
 * });
 * ```
 * @module
 */
import { parseTenant } from "./load_tenants.ts";
import type { FieldIssue } from "./plain_issues.ts";
import type { EnvLookup } from "./secrets.ts";
import type { TenantConfig } from "./tenant_schema.ts";

/** Id of the tenant built from the environment. */
export const ENV_TENANT_ID = "default";

/** `source` of the tenant built from the environment. */
export const ENV_TENANT_SOURCE = "environment";

// Which variable feeds which tenant field, to name the variable in errors about that field.
const VARIABLE_OF_FIELD: readonly [field: string, variable: string][] = [
  ["token", "TELEGRAM_BOT_TOKEN"],
  ["stars.enabled", "USE_TELEGRAM_STARS"],
  ["mtproto.apiId", "TELEGRAM_API_ID"],
  ["mtproto.apiHash", "TELEGRAM_API_HASH"],
  ["apiRoot", "TELEGRAM_API_ROOT"],
  ["admins", "TELEGRAM_ADMINS"],
];

/** The single-bot environment variables are set but wrong; `issues` are keyed by variable. */
export class EnvTenantError extends Error {
  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[]) {
    super(
      "invalid single-bot settings in the environment:\n" +
        issues.map((issue) => `  ${issue.path}: ${issue.message}`).join("\n"),
    );
    this.name = "EnvTenantError";
    this.issues = issues;
  }
}

const TRUE_WORDS = new Set(["true", "1", "yes"]);
const FALSE_WORDS = new Set(["false", "0", "no"]);

function variableFor(path: string): string {
  const match = VARIABLE_OF_FIELD.find(([field]) =>
    path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[`)
  );
  return match ? match[1] : path;
}

/**
 * Builds the `default` tenant from `TELEGRAM_BOT_TOKEN` and its companion variables, or returns
 * `undefined` when `TELEGRAM_BOT_TOKEN` is unset or empty. Throws {@linkcode EnvTenantError},
 * naming each wrong variable, when the variables are set but invalid.
 */
export function tenantFromEnv(env: EnvLookup, configDir: string): TenantConfig | undefined {
  const read = (name: string) => {
    const value = env(name);
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  if (read("TELEGRAM_BOT_TOKEN") === undefined) return undefined;

  const issues: FieldIssue[] = [];
  // Secrets stay references so they are resolved (and never echoed) like a file's secrets.
  const data: Record<string, unknown> = { token: "env:TELEGRAM_BOT_TOKEN" };

  const stars = read("USE_TELEGRAM_STARS");
  if (stars !== undefined) {
    const word = stars.toLowerCase();
    if (TRUE_WORDS.has(word)) data.stars = { enabled: true };
    else if (FALSE_WORDS.has(word)) data.stars = { enabled: false };
    else {
      issues.push({
        path: "USE_TELEGRAM_STARS",
        message: `expected true/false, 1/0 or yes/no, got ${JSON.stringify(stars)}`,
      });
    }
  }

  const apiId = read("TELEGRAM_API_ID");
  const apiHash = read("TELEGRAM_API_HASH");
  if (apiId !== undefined && apiHash !== undefined) {
    data.mtproto = { apiId: "env:TELEGRAM_API_ID", apiHash: "env:TELEGRAM_API_HASH" };
  } else if (apiId !== undefined || apiHash !== undefined) {
    const [set, unset] = apiId !== undefined
      ? ["TELEGRAM_API_ID", "TELEGRAM_API_HASH"]
      : ["TELEGRAM_API_HASH", "TELEGRAM_API_ID"];
    issues.push({
      path: unset,
      message: `expected ${unset} to be set because ${set} is; set both to use MTProto, or neither`,
    });
  }

  const apiRoot = read("TELEGRAM_API_ROOT");
  if (apiRoot !== undefined) data.apiRoot = apiRoot;

  const admins = read("TELEGRAM_ADMINS");
  if (admins !== undefined) {
    const parts = admins.split(",").map((part) => part.trim()).filter((part) => part !== "");
    const bad = parts.find((part) => !/^\d+$/.test(part));
    if (bad === undefined) data.admins = parts.map(Number);
    else {
      issues.push({
        path: "TELEGRAM_ADMINS",
        message: `expected comma-separated Telegram user ids (positive integers), ` +
          `got ${JSON.stringify(bad)} in the list`,
      });
    }
  }

  if (issues.length > 0) throw new EnvTenantError(issues);
  const result = parseTenant(data, {
    id: ENV_TENANT_ID,
    source: ENV_TENANT_SOURCE,
    configDir,
    env,
  });
  if (result.ok) return result.tenant;
  throw new EnvTenantError(
    result.problem.issues.map((issue) => {
      const variable = variableFor(issue.path);
      // Keep the field path when it adds detail, e.g. which admin id is duplicated.
      const detail = issue.path !== "" && issue.path !== variable &&
          !VARIABLE_OF_FIELD.some(([field]) => field === issue.path)
        ? ` (${issue.path})`
        : "";
      return { path: variable, message: issue.message + detail };
    }),
  );
}
