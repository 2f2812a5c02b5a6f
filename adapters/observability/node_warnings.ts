/**
 * Keeps one Node.js deprecation warning off the console: DEP0040 (the `punycode` module), which
 * grammY's npm build triggers through `node-fetch` → `whatwg-url`. It is not ours to fix and
 * would greet every start of the runtime with a warning an operator can do nothing about.
 * Every other warning still shows. Import this module before any npm package.
 *
 * @example
 * ```ts ignore
 * import "./adapters/node_warnings.ts"; // first import of an entry point
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
