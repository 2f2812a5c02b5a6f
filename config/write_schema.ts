/**
 * Writes `config/tenant.schema.json`, the JSON Schema of tenant files generated from
 * {@linkcode TenantFileSchema}, so editors can complete and check tenant files. With `--check`
 * it only compares, and exits 1 when the committed file is out of date.
 *
 * ```sh
 * deno run --allow-read --allow-write=config/tenant.schema.json config/write_schema.ts
 * deno run --allow-read config/write_schema.ts --check
 * ```
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTenantJsonSchema } from "./write_schema.ts";
 *
 * const text = renderTenantJsonSchema();
 * assert.ok(text.endsWith("}\n")); // as `deno fmt` leaves JSON
 * const schema = JSON.parse(text);
 * assert.equal(schema.title, "Constellation tenant");
 * // The input shape: fields with defaults are optional in a file.
 * assert.deepEqual(schema.required, ["token"]);
 * ```
 * @module
 */
import { z } from "zod";
import { TenantFileSchema } from "./tenant_schema.ts";

/** Location of the generated schema, next to this script. */
export const TENANT_SCHEMA_FILE: URL = new URL("./tenant.schema.json", import.meta.url);

/**
 * The schema file's content: the *input* shape (fields with defaults are optional), draft
 * 2020-12, formatted as `deno fmt` formats JSON (2-space indent, trailing newline).
 */
export function renderTenantJsonSchema(): string {
  const schema = z.toJSONSchema(TenantFileSchema, { io: "input", target: "draft-2020-12" });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

async function readCommitted(): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(TENANT_SCHEMA_FILE);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Runs the script; returns the exit code. */
async function main(args: string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== "--check");
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown[0]}; usage: write_schema.ts [--check]`);
    return 2;
  }
  const rendered = renderTenantJsonSchema();
  const path = TENANT_SCHEMA_FILE.pathname;
  if (args.includes("--check")) {
    const committed = await readCommitted();
    if (committed === rendered) return 0;
    const state = committed === undefined
      ? "is missing"
      : "is out of date: it no longer matches config/tenant_schema.ts";
    console.error(`${path} ${state}; run \`deno task schema\` and commit the result`);
    return 1;
  }
  try {
    await Deno.writeTextFile(TENANT_SCHEMA_FILE, rendered);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
    console.error(`no permission to write ${path}; run \`deno task schema\`, which grants it`);
    return 1;
  }
  console.log(`wrote ${path}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
