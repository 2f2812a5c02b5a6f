/**
 * Generates `sandbox/bot_api_spec.ts`, the method table the sandbox validates requests against,
 * from the Bot API description in JSON. The sandbox never reads the JSON at run time: the table
 * is committed, and this script is re-run only when the Bot API version changes.
 *
 * @example
 * ```sh
 * deno run --allow-read --allow-write=sandbox/bot_api_spec.ts sandbox/gen_spec.ts \
 *   /work/shared/telegram/bot-api-10.1.json
 * ```
 * @module
 */

/** One parameter of one method, as the JSON description states it. */
interface JsonField {
  name: string;
  types: string[];
  required: boolean;
}

/** One method of the JSON description; `fields` is absent for methods without parameters. */
interface JsonMethod {
  name: string;
  fields?: JsonField[];
}

/** The parts of the JSON description the generator uses. */
interface JsonSpec {
  version: string;
  release_date: string;
  methods: Record<string, JsonMethod>;
}

const DEFAULT_OUTPUT = new URL("./bot_api_spec.ts", import.meta.url);

/**
 * Checks that the parsed JSON has the shape this generator relies on, naming the first part
 * that does not, so a changed upstream format fails loudly instead of producing a thin table.
 */
export function parseSpec(raw: unknown): JsonSpec {
  if (typeof raw !== "object" || raw === null) throw new Error("spec: top level is not an object");
  const spec = raw as Partial<JsonSpec>;
  if (typeof spec.version !== "string") throw new Error("spec: `version` is not a string");
  if (typeof spec.release_date !== "string") {
    throw new Error("spec: `release_date` is not a string");
  }
  if (typeof spec.methods !== "object" || spec.methods === null) {
    throw new Error("spec: `methods` is not an object");
  }
  for (const [key, method] of Object.entries(spec.methods)) {
    if (method.name !== key) throw new Error(`spec: method key ${key} has name ${method.name}`);
    for (const field of method.fields ?? []) {
      if (typeof field.name !== "string" || typeof field.required !== "boolean") {
        throw new Error(`spec: a field of ${key} lacks a string name or a boolean required flag`);
      }
      if (!Array.isArray(field.types) || field.types.some((t) => typeof t !== "string")) {
        throw new Error(`spec: ${key}.${field.name} has no list of type names`);
      }
    }
  }
  return spec as JsonSpec;
}

/**
 * Renders the TypeScript module: one line per method, each parameter as `req(...)`/`opt(...)`
 * with its type names, so a diff after a Bot API upgrade reads method by method.
 */
export function renderTable(spec: JsonSpec, sourceName: string): string {
  const names = Object.keys(spec.methods).sort();
  const lines = names.map((name) => {
    const params = (spec.methods[name].fields ?? []).map((field) => {
      const types = field.types.map((t) => JSON.stringify(t)).join(", ");
      return `${field.name}: ${field.required ? "req" : "opt"}(${types})`;
    });
    return `  ${name}: { ${params.join(", ")} },`;
  });
  return [
    "// deno-fmt-ignore-file",
    "/**",
    ` * GENERATED from ${sourceName} (${spec.version}, ${spec.release_date}) by`,
    " * `deno run --allow-read --allow-write=sandbox/bot_api_spec.ts sandbox/gen_spec.ts <spec.json>`.",
    " * Do not edit by hand: re-run the generator. Formatting is left as generated (one method per",
    " * line) so that upgrades diff method by method.",
    " *",
    " * @example",
    " * ```ts",
    ' * import assert from "node:assert/strict";',
    ' * import { BOT_API_METHODS } from "./bot_api_spec.ts";',
    ' * assert.deepEqual(BOT_API_METHODS.sendMessage.chat_id, { required: true, types: ["Integer", "String"] });',
    " * ```",
    " * @module",
    " */",
    "",
    "/** A parameter of a Bot API method: whether it must be present and the type names it accepts. */",
    "export interface ParamSpec {",
    "  readonly required: boolean;",
    "  readonly types: readonly string[];",
    "}",
    "",
    "const req = (...types: string[]): ParamSpec => ({ required: true, types });",
    "const opt = (...types: string[]): ParamSpec => ({ required: false, types });",
    "",
    "/** The Bot API version the table was generated from. */",
    `export const BOT_API_VERSION = ${JSON.stringify(spec.version)};`,
    "",
    "/** Every Bot API method, by its exact name, with its parameters by name. */",
    "export const BOT_API_METHODS: Readonly<Record<string, Readonly<Record<string, ParamSpec>>>> = {",
    ...lines,
    "};",
    "",
  ].join("\n");
}

async function main(args: string[]): Promise<void> {
  const [input, output] = args;
  if (input === undefined) {
    throw new Error(
      "usage: gen_spec.ts <bot-api.json> [output.ts] (output defaults to bot_api_spec.ts)",
    );
  }
  const spec = parseSpec(JSON.parse(await Deno.readTextFile(input)));
  const target = output ?? DEFAULT_OUTPUT;
  const sourceName = input.split("/").pop() ?? input;
  await Deno.writeTextFile(target, renderTable(spec, sourceName));
  console.log(`wrote ${Object.keys(spec.methods).length} methods (${spec.version}) to ${target}`);
}

if (import.meta.main) await main(Deno.args);
