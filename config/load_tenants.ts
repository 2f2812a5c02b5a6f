/**
 * Loads every tenant file in `<configDir>/tenants/`. A bad file (unreadable, invalid JSON, schema
 * errors, a secret that cannot be resolved) becomes a {@linkcode ConfigProblem} and is skipped, so
 * one broken bot never stops the others.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProblem, loadTenants } from "./load_tenants.ts";
 *
 * const configDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${configDir}/tenants`);
 * const write = (name: string, text: string) =>
 *   Deno.writeTextFile(`${configDir}/tenants/${name}`, text);
 * await write("shop.json", '{ "token": "env:SHOP_BOT_TOKEN" }');
 * await write("news.json", '{ "token": "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAA" }');
 * await write("quiz.json", '{ "token": "env:QUIZ_BOT_TOKEN", "locale": "German" }');
 * await write("broken.json", '{ "token": ');
 * await write("README.txt", "not a tenant file");
 * const vars: Record<string, string> = { SHOP_BOT_TOKEN: "123:abc", QUIZ_BOT_TOKEN: "456:def" };
 *
 * const { tenants, problems, warnings } = await loadTenants(configDir, (name) => vars[name]);
 * assert.deepEqual(tenants.map((tenant) => tenant.id), ["news", "shop"]);
 * assert.equal(tenants[1].token, "123:abc"); // resolved from the environment
 * // The broken files are skipped, each with what is wrong; the other bots load.
 * assert.deepEqual(problems.map((problem) => formatProblem(problem).replace(configDir, "…")), [
 *   "…/tenants/broken.json: not valid JSON: Unexpected end of JSON input",
 *   '…/tenants/quiz.json: locale: expected a lowercase locale tag such as "en", "ru" or "pt-br", got "German"',
 * ]);
 * // A token written into the file works, with a warning: the file is no longer safe to share.
 * assert.deepEqual(warnings.map((warning) => warning.path), ["token"]);
 * assert.ok(warnings[0].file.endsWith("news.json"));
 * await Deno.remove(configDir, { recursive: true });
 * ```
 * @module
 */
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { describeIssues, type FieldIssue } from "./plain_issues.ts";
import { NotARegularFileError, readRegularTextFile } from "./read_regular_file.ts";
import { type EnvLookup, processEnv, resolveSecret, SecretError } from "./secrets.ts";
import {
  isSecretPath,
  TENANT_ID_PATTERN,
  type TenantConfig,
  type TenantFile,
  TenantFileSchema,
} from "./tenant_schema.ts";

/** A file that could not be loaded; `issues` holds one entry per wrong field (may be empty). */
export interface ConfigProblem {
  file: string;
  message: string;
  issues: FieldIssue[];
}

/** Something that works but should be changed, e.g. a literal token in a file. */
export interface ConfigWarning {
  file: string;
  path: string;
  message: string;
}

/** What {@linkcode loadTenants} found. */
export interface LoadResult {
  /** Loaded tenants, sorted by id. */
  tenants: TenantConfig[];
  /** Files that were skipped, sorted by file. */
  problems: ConfigProblem[];
  warnings: ConfigWarning[];
}

/** The outcome of loading one tenant file. */
export type TenantFileResult =
  | { ok: true; tenant: TenantConfig; warnings: ConfigWarning[] }
  | { ok: false; problem: ConfigProblem; warnings: ConfigWarning[] };

/** Where a tenant's data came from, for {@linkcode parseTenant}. */
export interface TenantOrigin {
  id: string;
  /** File path (or another description of the origin) used in problems and warnings. */
  source: string;
  /** Folder that relative plugin paths are resolved against. */
  configDir: string;
  env: EnvLookup;
  /** Further checks, see {@linkcode LoadOptions}. */
  options?: LoadOptions;
}

/**
 * What the loader checks beyond the schema, so that a tenant it accepts can start: a reload
 * never swaps in a config that fails as the tenant starts.
 */
export interface LoadOptions {
  /**
   * `PUBLIC_URL` as the runtime knows it: a string, or `null` when it is unset (then a webhook
   * tenant is an error). Left out, webhook tenants are not checked here.
   */
  publicUrl?: string | null;
  /**
   * Whether a plugin must be a file that exists now, as the tenant's start needs. Left out, a
   * missing file is reported only when the tenant starts.
   */
  checkPluginFile?: boolean;
  /**
   * Checks of what the config layer cannot see (the text keys of the bot, the locales it has
   * texts for, …). Also run on the texts of a file with other errors when they are well-formed
   * (without its locale and products), so every problem is reported.
   */
  check?: (
    tenant: Pick<TenantConfig, "texts"> & Partial<Pick<TenantConfig, "locale" | "products">>,
  ) => FieldIssue[];
}

/** The configuration folder does not exist (or is not a folder). */
export class ConfigDirMissingError extends Error {
  readonly configDir: string;

  constructor(configDir: string, reason: "missing" | "not a folder") {
    const what = reason === "missing" ? "does not exist" : "is not a folder";
    super(
      `configuration folder "${configDir}" ${what} (resolved to ${resolve(configDir)}); ` +
        `create it with a tenants/ subfolder, or point CONFIG_DIR at the right folder`,
    );
    this.name = "ConfigDirMissingError";
    this.configDir = configDir;
  }
}

/** Formats a problem for logs: one line per issue, `file: path: message`. */
export function formatProblem(problem: ConfigProblem): string {
  if (problem.issues.length === 0) return `${problem.file}: ${problem.message}`;
  return problem.issues
    .map((issue) => `${problem.file}: ${issue.path ? `${issue.path}: ` : ""}${issue.message}`)
    .join("\n");
}

/** Formats a warning for logs as `file: path: message`. */
export function formatWarning(warning: ConfigWarning): string {
  return `${warning.file}: ${warning.path}: ${warning.message}`;
}

function literalSecretWarning(source: string, path: string): ConfigWarning {
  return {
    file: source,
    path,
    message: `the secret is written literally in the configuration; write "env:NAME" instead ` +
      `and put the value in the environment variable NAME, so the file can be shared safely`,
  };
}

/**
 * Validates already-parsed JSON as a tenant, resolves its secrets and plugin path, and returns the
 * tenant or a problem. Used for files and for the single-bot `.env` mode alike.
 */
export function parseTenant(data: unknown, origin: TenantOrigin): TenantFileResult {
  const parsed = TenantFileSchema.safeParse(data);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error, data, { isSecret: isSecretPath });
    const texts = TenantFileSchema.shape.texts.safeParse(
      typeof data === "object" && data !== null ? (data as { texts?: unknown }).texts : undefined,
    );
    if (texts.success && origin.options?.check) {
      issues.push(...origin.options.check({ texts: texts.data }));
    }
    return { ok: false, problem: invalid(origin.source, issues), warnings: [] };
  }
  return resolveTenant(parsed.data, origin);
}

function invalid(file: string, issues: FieldIssue[]): ConfigProblem {
  const count = `${issues.length} problem${issues.length === 1 ? "" : "s"}`;
  return { file, message: `invalid tenant configuration (${count})`, issues };
}

function resolveTenant(file: TenantFile, origin: TenantOrigin): TenantFileResult {
  const issues: FieldIssue[] = [];
  const warnings: ConfigWarning[] = [];
  // Resolves one secret field, recording an issue or a literal-value warning under its path.
  const secret = (path: string, value: string, warnIfLiteral = true): string | undefined => {
    try {
      const resolved = resolveSecret(value, origin.env);
      if (resolved.literal && warnIfLiteral) {
        warnings.push(literalSecretWarning(origin.source, path));
      }
      return resolved.value;
    } catch (error) {
      if (!(error instanceof SecretError)) throw error;
      issues.push({ path, message: error.message });
      return undefined;
    }
  };

  const { $schema: _ignored, webhook, mtproto, plugin, ...settings } = file;
  const token = secret("token", file.token);
  if (token !== undefined && settings.apiRoot.includes(token)) {
    issues.push({
      path: "apiRoot",
      message: "expected apiRoot without the bot token (it is added to the URL automatically)",
    });
  }
  const secretToken = webhook?.secretToken === undefined
    ? undefined
    : secret("webhook.secretToken", webhook.secretToken);
  const credentials = mtproto && resolveMtproto(mtproto, secret, issues);
  const pluginPath = plugin === undefined
    ? undefined
    : resolvePlugin(plugin, origin.configDir, issues, origin.options?.checkPluginFile === true);

  if (
    origin.options?.publicUrl === null && settings.updates === "webhook" && settings.enabled
  ) {
    issues.push({
      path: "updates",
      message: `"webhook" needs PUBLIC_URL, the https address Telegram can reach this process ` +
        `at (webhooks arrive at PUBLIC_URL/telegram/${origin.id}); set it, or use "polling"`,
    });
  }

  if (issues.length > 0 || token === undefined) {
    if (origin.options?.check) issues.push(...origin.options.check(settings));
    return { ok: false, problem: invalid(origin.source, issues), warnings };
  }
  const tenant: TenantConfig = {
    ...settings,
    id: origin.id,
    source: origin.source,
    token,
    ...(webhook && { webhook: secretToken === undefined ? {} : { secretToken } }),
    ...(credentials && { mtproto: credentials }),
    ...(pluginPath !== undefined && { plugin: pluginPath }),
  };
  const checked = origin.options?.check?.(tenant) ?? [];
  if (checked.length > 0) return { ok: false, problem: invalid(origin.source, checked), warnings };
  return { ok: true, tenant, warnings };
}

function resolveMtproto(
  mtproto: NonNullable<TenantFile["mtproto"]>,
  secret: (path: string, value: string, warnIfLiteral?: boolean) => string | undefined,
  issues: FieldIssue[],
): { apiId: number; apiHash: string } | undefined {
  const apiHash = secret("mtproto.apiHash", mtproto.apiHash);
  let apiId: number | undefined;
  if (typeof mtproto.apiId === "number") {
    apiId = mtproto.apiId;
  } else {
    // The schema only lets `env:NAME` through here, never a literal.
    const text = secret("mtproto.apiId", mtproto.apiId, false);
    if (text !== undefined && /^\s*\d+\s*$/.test(text) && Number(text) >= 1) {
      apiId = Number(text);
    } else if (text !== undefined) {
      const variable = mtproto.apiId.slice("env:".length);
      issues.push({
        path: "mtproto.apiId",
        message:
          `expected environment variable ${variable} to hold a positive integer (the api_id)`,
      });
    }
  }
  return apiId === undefined || apiHash === undefined ? undefined : { apiId, apiHash };
}

function resolvePlugin(
  plugin: string,
  configDir: string,
  issues: FieldIssue[],
  checkFile: boolean,
) {
  const root = resolve(configDir);
  const absolute = resolve(root, plugin);
  const inside = relative(root, absolute);
  // The schema already rejects `..` and absolute paths; this re-checks the resolved result.
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) {
    issues.push({ path: "plugin", message: "expected a path inside the config folder" });
    return undefined;
  }
  return realPluginPath(plugin, root, absolute, issues, checkFile);
}

/**
 * The plugin's path with symbolic links resolved: its worker may read the folder it is in, so a
 * link leading out of the config folder is refused, and so is a plugin in the config folder
 * itself or in `tenants/`, which hold every tenant's file. With `checkFile` (the runtime's
 * loads), a path that is not a regular file is refused too; without it, a path that does not
 * resolve (the file is not there yet) is kept: the tenant's start reports it.
 */
function realPluginPath(
  plugin: string,
  root: string,
  absolute: string,
  issues: FieldIssue[],
  checkFile: boolean,
) {
  let real = absolute;
  let realRoot = root;
  try {
    real = Deno.realPathSync(absolute);
    realRoot = Deno.realPathSync(root);
  } catch {
    // Both stay as written, so they compare alike.
  }
  const inside = relative(realRoot, real);
  if (inside.startsWith("..") || isAbsolute(inside)) {
    issues.push({
      path: "plugin",
      message: `expected a file inside the config folder; ${JSON.stringify(plugin)} leads ` +
        `through a symbolic link to ${real}`,
    });
    return undefined;
  }
  const [folder, ...rest] = inside.split(/[\\/]/);
  if (rest.length === 0 || folder === "tenants") {
    issues.push({
      path: "plugin",
      message: `expected a file in a folder of its own, such as "plugins/${basename(plugin)}": ` +
        `a plugin may read the folder it is in, and ${JSON.stringify(plugin)} would see the ` +
        `tenant files`,
    });
    return undefined;
  }
  const problem = checkFile ? notAFile(real) : undefined;
  if (problem !== undefined) {
    issues.push({
      path: "plugin",
      message: `expected a .ts or .js file; ${JSON.stringify(plugin)} ${problem} (${real})`,
    });
    return undefined;
  }
  return real;
}

/** Why `path` is not a regular file, or `undefined` when it is (or cannot be told here). */
function notAFile(path: string): string | undefined {
  try {
    return Deno.statSync(path).isFile ? undefined : "is not a regular file";
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? "does not exist" : undefined;
  }
}

/**
 * The tenant id a file name gives, or `undefined` when the name is not `<tenantId>.json` with a
 * valid id.
 */
export function tenantIdOf(path: string): string | undefined {
  const name = basename(path);
  if (!name.endsWith(".json")) return undefined;
  const id = name.slice(0, -".json".length);
  return TENANT_ID_PATTERN.test(id) ? id : undefined;
}

/**
 * Explains a `JSON.parse` failure with line and column when known. V8's messages may quote part
 * of the file, which could be a secret, so only the kind of error is kept from them.
 */
function describeJsonError(error: SyntaxError, text: string): string {
  if (text.trim() === "") {
    return "the file is empty; expected a JSON object with the tenant's settings";
  }
  const reason = error.message
    .replace(/ (?:in JSON )?at position[\s\S]*$/, "")
    .replace(/, (?:\.\.\.)?"[\s\S]*$/, "");
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(error.message);
  const position = /at position (\d+)/.exec(error.message);
  let where = "";
  if (lineColumn) {
    where = ` at line ${lineColumn[1]}, column ${lineColumn[2]}`;
  } else if (position) {
    const before = text.slice(0, Number(position[1])).split("\n");
    where = ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
  }
  return `not valid JSON${where}: ${reason}`;
}

/**
 * Loads one tenant file; the tenant id is its name without `.json`. Never throws for a bad file:
 * the result says what is wrong.
 */
export async function loadTenantFile(
  path: string,
  configDir: string,
  env: EnvLookup = processEnv,
  options: LoadOptions = {},
): Promise<TenantFileResult> {
  const id = tenantIdOf(path);
  if (id === undefined) {
    const message = `the file name ${JSON.stringify(basename(path))} does not give a valid ` +
      `tenant id: expected <id>.json where <id> is 1 to 63 lowercase letters, digits, "_" or ` +
      `"-", starting with a letter or digit`;
    return { ok: false, problem: { file: path, message, issues: [] }, warnings: [] };
  }
  let text: string;
  try {
    text = await readRegularTextFile(path);
  } catch (error) {
    return {
      ok: false,
      problem: { file: path, message: unreadable(error), issues: [] },
      warnings: [],
    };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const message = describeJsonError(error, text);
    return { ok: false, problem: { file: path, message, issues: [] }, warnings: [] };
  }
  return parseTenant(data, { id, source: path, configDir, env, options });
}

/** Why a tenant file could not be read, as a problem's message. */
function unreadable(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "the file does not exist";
  if (error instanceof NotARegularFileError) {
    return `skipped: ${error.message}; only regular files are read as tenant files`;
  }
  return `could not read the file: ${error instanceof Error ? error.message : String(error)}`;
}

async function isDirectory(path: string): Promise<boolean | undefined> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Loads every `*.json` file in `<configDir>/tenants/` (other files are ignored); a `*.json` that
 * is not a regular file (a folder, a FIFO, a socket, or a link to one) is a problem, skipped.
 * Throws {@linkcode ConfigDirMissingError} when `configDir` does not exist; a missing `tenants/`
 * subfolder means no tenants.
 */
export async function loadTenants(
  configDir: string,
  env: EnvLookup = processEnv,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const configIsDirectory = await isDirectory(configDir);
  if (configIsDirectory === undefined) throw new ConfigDirMissingError(configDir, "missing");
  if (!configIsDirectory) throw new ConfigDirMissingError(configDir, "not a folder");

  return await loadTenantFolder(join(configDir, "tenants"), configDir, env, options);
}

/**
 * Loads every `*.json` file in `tenantsDir` as {@linkcode loadTenants} does, resolving plugin
 * paths against `configDir`; a missing `tenantsDir` means no tenants.
 */
export async function loadTenantFolder(
  tenantsDir: string,
  configDir: string,
  env: EnvLookup = processEnv,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const result: LoadResult = { tenants: [], problems: [], warnings: [] };
  const tenantsIsDirectory = await isDirectory(tenantsDir);
  if (tenantsIsDirectory === undefined) return result;
  if (!tenantsIsDirectory) {
    const message = "expected a folder holding one <tenantId>.json file per bot, found a file";
    result.problems.push({ file: tenantsDir, message, issues: [] });
    return result;
  }

  const files: string[] = [];
  for await (const entry of Deno.readDir(tenantsDir)) {
    // Whatever its kind: a folder, FIFO or socket named *.json is reported, not silently passed
    // over, and reading never waits on one (`read_regular_file.ts`).
    if (entry.name.endsWith(".json")) files.push(join(tenantsDir, entry.name));
  }
  files.sort();
  for (const file of files) {
    const loaded = await loadTenantFile(file, configDir, env, options);
    result.warnings.push(...loaded.warnings);
    if (loaded.ok) result.tenants.push(loaded.tenant);
    else result.problems.push(loaded.problem);
  }
  result.tenants.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return result;
}
