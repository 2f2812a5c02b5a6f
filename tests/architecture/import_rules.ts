/**
 * The dependency rule of the tree, as data and a checker: actor kernel ← money domain ← actors
 * → adapters. The kernel imports nothing else of the project; the domain imports the kernel and
 * the config schema, never an adapter or an actor (it declares what it needs in
 * `money/ports.ts`); adapters may use the kernel and the domain's types, never the actors; the
 * config schema imports only itself. Only `main.ts` and `actors/` wire adapters into the domain.
 *
 * Only real import statements count (including `import()` in code): an `import` inside a doc
 * example is documentation, not a dependency.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { importViolations } from "./import_rules.ts";
 *
 * const files = new Map([
 *   ["money/ledger.ts", 'import { sqlite } from "../adapters/storage/sqlite.ts";\n'],
 *   ["adapters/storage/sqlite.ts", ""],
 * ]);
 * assert.equal(importViolations(files).length, 1);
 * ```
 * @module
 */

/** A layer of the tree; every project file belongs to exactly one. */
export type Layer = "kernel" | "domain" | "actors" | "adapters" | "config" | "main";

/** Which layers each layer may import. */
export const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  kernel: ["kernel"],
  domain: ["kernel", "domain", "config"],
  actors: ["kernel", "domain", "actors", "adapters", "config"],
  adapters: ["kernel", "domain", "adapters", "config"],
  config: ["config"],
  main: ["kernel", "domain", "actors", "adapters", "config"],
};

/** The layer of a path relative to the repository root, or `undefined` outside the runtime. */
export function layerOf(path: string): Layer | undefined {
  if (path.startsWith("actors/kernel/")) return "kernel";
  if (path.startsWith("money/")) return "domain";
  if (path.startsWith("actors/")) return "actors";
  if (path.startsWith("adapters/")) return "adapters";
  if (path.startsWith("config/")) return "config";
  if (path === "main.ts") return "main";
  return undefined;
}

// `import … from "x"`, `export … from "x"` and `import "x"` at the start of a line (a doc example's
// lines start with ` *`), and `import("x")` anywhere outside a comment line.
const STATIC = /^(?:import|export)\b[^;]*?["']([^"']+)["']/gms;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** The project-relative targets of a file's relative imports. */
export function importsOf(path: string, source: string): string[] {
  const code = source.split("\n").filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line)).join("\n");
  const specifiers = [
    ...[...code.matchAll(STATIC)].map((m) => m[1]),
    ...[...code.matchAll(DYNAMIC)].map((m) => m[1]),
  ];
  const dir = path.split("/").slice(0, -1);
  return specifiers.filter((s) => s.startsWith(".")).map((specifier) => {
    const parts = [...dir];
    for (const segment of specifier.split("/")) {
      if (segment === "..") parts.pop();
      else if (segment !== ".") parts.push(segment);
    }
    return parts.join("/");
  });
}

/** One import that breaks the rule. */
export interface Violation {
  from: string;
  to: string;
  why: string;
}

/** Every import among `files` (path → source) that breaks the layer rule or closes a cycle. */
export function importViolations(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  const graph = new Map<string, string[]>();
  for (const [from, source] of files) {
    const fromLayer = layerOf(from);
    if (fromLayer === undefined) continue;
    const targets = importsOf(from, source);
    graph.set(from, targets);
    for (const to of targets) {
      const toLayer = layerOf(to);
      if (toLayer === undefined || ALLOWED[fromLayer].includes(toLayer)) continue;
      violations.push({ from, to, why: `${fromLayer} may not import ${toLayer}` });
    }
  }
  for (const cycle of cycles(graph)) {
    violations.push({ from: cycle[0], to: cycle[1], why: `cycle: ${cycle.join(" → ")}` });
  }
  return violations;
}

/** The import cycles of a graph, each as the path that closes it (first node repeated last). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node);
  return found;
}
