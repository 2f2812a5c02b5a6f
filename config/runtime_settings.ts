/**
 * Process-wide settings read from environment variables: where the tenant files are, which
 * database to use, the HTTP port, logging. Empty variables count as unset, so a `.env` template
 * with blank values keeps the defaults.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadRuntimeSettings, RuntimeSettingsError } from "./runtime_settings.ts";
 *
 * const vars: Record<string, string> = { HTTP_PORT: "9000", LOG_LEVEL: "DEBUG", PUBLIC_URL: "" };
 * const settings = loadRuntimeSettings((name) => vars[name]);
 * assert.equal(settings.httpPort, 9000);
 * assert.equal(settings.logLevel, "debug");
 * assert.equal(settings.configDir, "config"); // unset: the default
 * assert.equal(settings.publicUrl, undefined); // empty counts as unset
 *
 * const wrong: Record<string, string> = { HTTP_PORT: "80a", LOG_FORMAT: "xml" };
 * assert.throws(() => loadRuntimeSettings((name) => wrong[name]), (error) => {
 *   assert.ok(error instanceof RuntimeSettingsError);
 *   assert.deepEqual(error.issues.map((issue) => issue.path), ["HTTP_PORT", "LOG_FORMAT"]);
 *   return true;
 * });
 * ```
 * @module
 */
import { z } from "zod";
import { describeIssues, type FieldIssue, SHOW_INPUT } from "./plain_issues.ts";
import { type EnvLookup, processEnv } from "./secrets.ts";
import { isHttpUrl } from "./tenant_schema.ts";

/** Log levels, as named by `@logtape/logtape`. */
export const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"] as const;

/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Default `DATABASE_URL`: a SQLite file under `data/` (which `.gitignore` excludes). */
export const DEFAULT_DATABASE_URL = "sqlite:data/constellation.db";

/** Process-wide settings. */
export interface RuntimeSettings {
  /** `CONFIG_DIR`: the folder holding `tenants/`. Default `config`. */
  configDir: string;
  /** `DATABASE_URL`: `sqlite:<path>` or `postgres://…`. Default {@linkcode DEFAULT_DATABASE_URL}. */
  databaseUrl: string;
  /** `HTTP_PORT`: 0 to 65535 (0 picks a free port). Default 8080. */
  httpPort: number;
  /**
   * `HTTP_MAX_CONNECTIONS`: how many connections the HTTP server holds at once; more are closed
   * as soon as they are accepted. Default: half the open-files limit (`adapters/http/`).
   */
  httpMaxConnections?: number;
  /**
   * `HTTP_HOSTNAME`: the interface the HTTP server binds. Default `0.0.0.0`, so Telegram can
   * reach webhooks; `127.0.0.1` keeps it local (behind a reverse proxy, or in tests).
   */
  httpHostname: string;
  /** `LOG_LEVEL`, case-insensitive. Default `info`. */
  logLevel: LogLevel;
  /** `LOG_FORMAT`: `text` for people, `json` for log collectors. Default `text`. */
  logFormat: "text" | "json";
  /** `PUBLIC_URL`: the http(s) URL this process is reachable at, without trailing slash. */
  publicUrl?: string;
  /** `ADMIN_TOKEN`: bearer token for the admin HTTP endpoints. */
  adminToken?: string;
  /**
   * `INSTANCE_ID`: this process's name among the instances sharing a PostgreSQL database; must
   * be unique among the running ones. Default: the host name and the process id.
   */
  instanceId?: string;
  /** `LEASE_TTL_MS`: how long a tenant lease lasts without renewal (PostgreSQL only). */
  leaseTtlMs?: number;
  /** `LEASE_RENEW_MS`: how often leases are renewed and placement is looked at again. */
  leaseRenewMs?: number;
  /**
   * `MAX_UPDATES_IN_FLIGHT`: updates queued or running at once across the process; a tenant
   * waits for room, which holds back its poller and webhook. Default 200, explained in
   * `actors/tenant/update_budget.ts`.
   */
  maxUpdatesInFlight?: number;
  /**
   * `MAX_UPDATES_IN_FLIGHT_PER_TENANT`: the most of those one tenant holds (at most the total).
   * Default 100, explained in `actors/tenant/update_budget.ts`.
   */
  maxUpdatesInFlightPerTenant?: number;
}

/** Some variables are set but invalid; `issues` are keyed by variable name. */
export class RuntimeSettingsError extends Error {
  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[]) {
    super(
      "invalid runtime settings in the environment:\n" +
        issues.map((issue) => `  ${issue.path}: ${issue.message}`).join("\n"),
    );
    this.name = "RuntimeSettingsError";
    this.issues = issues;
  }
}

const VARIABLES = [
  "CONFIG_DIR",
  "DATABASE_URL",
  "HTTP_PORT",
  "HTTP_HOSTNAME",
  "HTTP_MAX_CONNECTIONS",
  "LOG_LEVEL",
  "LOG_FORMAT",
  "PUBLIC_URL",
  "ADMIN_TOKEN",
  "INSTANCE_ID",
  "LEASE_TTL_MS",
  "LEASE_RENEW_MS",
  "MAX_UPDATES_IN_FLIGHT",
  "MAX_UPDATES_IN_FLIGHT_PER_TENANT",
] as const;

// A database URL may hold a password, and the admin token is a secret: never echo them.
const SECRET_VARIABLES = new Set(["DATABASE_URL", "ADMIN_TOKEN"]);

const PORT_ERROR = "expected an integer from 0 to 65535";
const CONNECTIONS_ERROR = "expected an integer from 1 to 1000000";
// A lease shorter than 3 s leaves no room for a long poll: the poller keeps each one inside the
// lease's local deadline (TTL − TTL/5), and starts none with less than 2 s to go.
const TTL_ERROR = "expected milliseconds, an integer from 3000 to 600000";
const RENEW_ERROR = "expected milliseconds, an integer from 100 to 300000";
const IN_FLIGHT_ERROR = "expected an integer from 1 to 1000000";

/** An integer variable within [min, max], with `error` when it is not. */
const integerVariable = (min: number, max: number, error: string) =>
  z.string()
    .regex(/^\d+$/, { error })
    .transform(Number)
    .pipe(z.int().min(min, { error }).max(max, { error }));

/** The environment, keyed by variable name so error paths name the variable. */
const RuntimeEnvSchema = z.object({
  CONFIG_DIR: z.string().default("config"),
  DATABASE_URL: z.string().refine(
    (url) => /^sqlite:.+/.test(url) || /^postgres(ql)?:\/\/.+/.test(url),
    { error: `expected "sqlite:<file path>" or a "postgres://" or "postgresql://" URL` },
  ).default(DEFAULT_DATABASE_URL),
  HTTP_PORT: z.string()
    .regex(/^\d+$/, { error: PORT_ERROR })
    .transform(Number)
    .pipe(z.int().min(0, { error: PORT_ERROR }).max(65535, { error: PORT_ERROR }))
    .default(8080),
  HTTP_HOSTNAME: z.string()
    .regex(/^[A-Za-z0-9.:[\]-]+$/, { error: "expected a hostname or an IP address" })
    .default("0.0.0.0"),
  HTTP_MAX_CONNECTIONS: z.string()
    .regex(/^\d+$/, { error: CONNECTIONS_ERROR })
    .transform(Number)
    .pipe(z.int().min(1, { error: CONNECTIONS_ERROR }).max(1_000_000, { error: CONNECTIONS_ERROR }))
    .optional(),
  LOG_LEVEL: z.string()
    .transform((level) => level.toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(", ")}` }))
    .default("info"),
  LOG_FORMAT: z.string()
    .transform((format) => format.toLowerCase())
    .pipe(z.enum(["text", "json"], { error: `expected "text" or "json"` }))
    .default("text"),
  PUBLIC_URL: z.string()
    .refine(isHttpUrl, {
      error: "expected an http:// or https:// URL without query or fragment",
      params: SHOW_INPUT,
    })
    .transform((url) => url.replace(/\/+$/, ""))
    .optional(),
  ADMIN_TOKEN: z.string().optional(),
  INSTANCE_ID: z.string()
    .refine((id) => /^[A-Za-z0-9._:-]{1,100}$/.test(id), {
      error: "expected 1–100 letters, digits, '.', '_', ':' or '-'",
      params: SHOW_INPUT,
    })
    .optional(),
  LEASE_TTL_MS: integerVariable(3_000, 600_000, TTL_ERROR).optional(),
  LEASE_RENEW_MS: integerVariable(100, 300_000, RENEW_ERROR).optional(),
  MAX_UPDATES_IN_FLIGHT: integerVariable(1, 1_000_000, IN_FLIGHT_ERROR).optional(),
  MAX_UPDATES_IN_FLIGHT_PER_TENANT: integerVariable(1, 1_000_000, IN_FLIGHT_ERROR).optional(),
}).refine(
  // A lease must survive a failed renewal: the next one comes before it lapses.
  (vars) => (vars.LEASE_RENEW_MS ?? 5_000) * 2 <= (vars.LEASE_TTL_MS ?? 15_000),
  { error: "must be at most half of LEASE_TTL_MS (default 15000)", path: ["LEASE_RENEW_MS"] },
);

/**
 * Reads and validates the runtime settings. Throws {@linkcode RuntimeSettingsError} naming every
 * invalid variable.
 */
export function loadRuntimeSettings(env: EnvLookup = processEnv): RuntimeSettings {
  const input: Record<string, string> = {};
  for (const name of VARIABLES) {
    const value = env(name);
    if (value !== undefined && value.trim() !== "") input[name] = value.trim();
  }
  const parsed = RuntimeEnvSchema.safeParse(input);
  if (!parsed.success) {
    const isSecret = (path: string) => SECRET_VARIABLES.has(path);
    throw new RuntimeSettingsError(describeIssues(parsed.error, input, { isSecret }));
  }
  const vars = parsed.data;
  return {
    configDir: vars.CONFIG_DIR,
    databaseUrl: vars.DATABASE_URL,
    httpPort: vars.HTTP_PORT,
    httpHostname: vars.HTTP_HOSTNAME,
    ...(vars.HTTP_MAX_CONNECTIONS !== undefined &&
      { httpMaxConnections: vars.HTTP_MAX_CONNECTIONS }),
    logLevel: vars.LOG_LEVEL,
    logFormat: vars.LOG_FORMAT,
    ...(vars.PUBLIC_URL !== undefined && { publicUrl: vars.PUBLIC_URL }),
    ...(vars.ADMIN_TOKEN !== undefined && { adminToken: vars.ADMIN_TOKEN }),
    ...(vars.INSTANCE_ID !== undefined && { instanceId: vars.INSTANCE_ID }),
    ...(vars.LEASE_TTL_MS !== undefined && { leaseTtlMs: vars.LEASE_TTL_MS }),
    ...(vars.LEASE_RENEW_MS !== undefined && { leaseRenewMs: vars.LEASE_RENEW_MS }),
    ...(vars.MAX_UPDATES_IN_FLIGHT !== undefined &&
      { maxUpdatesInFlight: vars.MAX_UPDATES_IN_FLIGHT }),
    ...(vars.MAX_UPDATES_IN_FLIGHT_PER_TENANT !== undefined &&
      { maxUpdatesInFlightPerTenant: vars.MAX_UPDATES_IN_FLIGHT_PER_TENANT }),
  };
}
