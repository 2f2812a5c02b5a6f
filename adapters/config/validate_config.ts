/**
 * `deno task validate [dir]`: checks a config folder without starting anything and without the
 * network. `dir` (default `$CONFIG_DIR`, else `config`) is a config folder holding `tenants/`,
 * or a folder of tenant files itself (such as `config/examples`). Every problem is printed with
 * its file and field; the exit code is 1 when there is any, 0 otherwise.
 *
 * The tenants are checked as `deno task start` loads them (schema, secrets, plugin path, text
 * keys and placeholders, webhook mode without `PUBLIC_URL`), with the environment and `.env`
 * (`ENV_FILE`) of the shell running it; a secret whose variable is not set there is only noted,
 * since the machine that checks is often not the one that runs the bots.
 * @module
 */
import { join } from "node:path";
import {
  ConfigDirMissingError,
  formatProblem,
  formatWarning,
  loadTenantFolder,
  loadTenants,
} from "../../config/load_tenants.ts";
import { loadRuntimeSettings } from "../../config/runtime_settings.ts";
import { EnvFile } from "./env_file.ts";
import { tenantLoadOptions } from "./tenant_checks.ts";

/** What {@linkcode validateConfig} found, as lines to print. */
export interface ValidationReport {
  problems: string[];
  warnings: string[];
  notes: string[];
  /** The tenant files that loaded. */
  valid: number;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** Checks the tenant files of `dir` with the environment `env`. */
export async function validateConfig(
  dir: string,
  env: (name: string) => string | undefined,
): Promise<ValidationReport> {
  const report: ValidationReport = { problems: [], warnings: [], notes: [], valid: 0 };
  const unset = new Set<string>();
  // An unset variable stands in as a well-formed value and is noted, not counted as a problem.
  const lookup = (name: string) => {
    const value = env(name);
    if (value !== undefined) return value;
    unset.add(name);
    return "1";
  };
  let publicUrl: string | undefined;
  try {
    publicUrl = loadRuntimeSettings(env).publicUrl;
  } catch (error) {
    report.problems.push(`environment: ${(error as Error).message}`);
  }
  const options = tenantLoadOptions(publicUrl);
  let loaded;
  try {
    loaded = await isDirectory(join(dir, "tenants"))
      ? await loadTenants(dir, lookup, options)
      : await isDirectory(dir)
      ? await loadTenantFolder(dir, dir, lookup, options)
      : await loadTenants(dir, lookup, options);
  } catch (error) {
    if (!(error instanceof ConfigDirMissingError)) throw error;
    report.problems.push(error.message);
    return report;
  }
  for (const problem of loaded.problems) {
    report.problems.push(...formatProblem(problem).split("\n"));
  }
  report.warnings.push(...loaded.warnings.map(formatWarning));
  report.valid = loaded.tenants.length;
  if (loaded.tenants.length + loaded.problems.length === 0) {
    report.problems.push(`${dir}: no tenant files (<tenantId>.json) found`);
  }
  for (const name of [...unset].sort()) {
    report.notes.push(`${name} is not set here; set it where the bots run`);
  }
  return report;
}

if (import.meta.main) {
  const processEnv = (name: string) => Deno.env.get(name);
  const envFile = EnvFile.locate(processEnv);
  const unread = envFile?.read();
  if (unread !== undefined && Deno.env.get("ENV_FILE") !== undefined) {
    console.error(unread);
    Deno.exit(2);
  }
  const env = envFile ? envFile.overlay(processEnv) : processEnv;
  const dir = Deno.args[0] ?? env("CONFIG_DIR") ?? "config";
  const report = await validateConfig(dir, env);
  for (const line of report.problems) console.log(`error: ${line}`);
  for (const line of report.warnings) console.log(`warning: ${line}`);
  for (const line of report.notes) console.log(`note: ${line}`);
  const count = report.problems.length;
  console.log(
    count === 0
      ? `${dir}: ${report.valid} tenant file(s) valid`
      : `${dir}: ${count} problem(s); ${report.valid} tenant file(s) valid`,
  );
  Deno.exit(count === 0 ? 0 : 1);
}
