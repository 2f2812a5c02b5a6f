/**
 * Keeps one Node.js deprecation warning off the console: DEP0040 (the `punycode` module), which
 * grammY's npm build triggers through `node-fetch` → `whatwg-url`. It is not ours to fix and
 * would greet every start of the runtime with a warning an operator can do nothing about.
 * Every other warning still shows. Import this module before any npm package.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import process from "node:process";
 * import { silencedWarnings } from "./node_warnings.ts"; // an entry point's first import
 *
 * const seen: string[] = [];
 * const onWarning = (warning: Error) => seen.push(warning.message);
 * process.on("warning", onWarning);
 * process.emitWarning("The `punycode` module is deprecated.", "DeprecationWarning", "DEP0040");
 * await new Promise((resolve) => setTimeout(resolve, 0)); // warnings are emitted on a later tick
 * process.off("warning", onWarning);
 * assert.deepEqual(seen, []);
 * assert.ok(silencedWarnings.has("DEP0040"));
 * ```
 * @module
 */
import process from "node:process";

/** The codes of the warnings that are dropped. */
export const silencedWarnings: ReadonlySet<string> = new Set(["DEP0040"]);

const emitWarning = process.emitWarning;

// emitWarning(warning, options) or emitWarning(warning, type, code, ...).
process.emitWarning = function (warning: string | Error, ...rest: unknown[]): void {
  const code = typeof rest[0] === "object" && rest[0] !== null
    ? (rest[0] as { code?: unknown }).code
    : rest[1];
  if (typeof code === "string" && silencedWarnings.has(code)) return;
  (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
} as typeof process.emitWarning;
