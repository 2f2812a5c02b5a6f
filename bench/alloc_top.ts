/**
 * Reads a V8 sampling heap profile (`.heapprofile`, from `BENCH_ALLOC_DIR` for the bench's
 * child processes) and prints where memory was allocated: the top functions by bytes allocated
 * in themselves, and by bytes allocated in them and their callees, and bytes per package or
 * folder. Divide by the burst's updates for bytes per update.
 *
 * @example
 * ```sh
 * deno run --allow-read bench/alloc_top.ts /tmp/alloc/alloc-runtime-123-456.heapprofile 25
 * ```
 * @module
 */
import { area, type CallFrame, key, place, top } from "./profile_top.ts";

/** One node of the sampled allocation tree. */
interface AllocationNode {
  callFrame: CallFrame;
  selfSize: number;
  children: AllocationNode[];
}

/**
 * Bytes allocated in each function itself, in it and its callees, and per area.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarizeAllocations } from "./alloc_top.ts";
 * const frame = (functionName: string) => ({ functionName, url: "", lineNumber: 0 });
 * const { totalBytes, self, total } = summarizeAllocations({
 *   head: {
 *     callFrame: frame("(root)"),
 *     selfSize: 0,
 *     children: [{ callFrame: frame("f"), selfSize: 10, children: [
 *       { callFrame: frame("g"), selfSize: 5, children: [] },
 *     ] }],
 *   },
 * });
 * assert.equal(totalBytes, 15);
 * assert.equal(self.get("f (native):1"), 10);
 * assert.equal(total.get("f (native):1"), 15);
 * ```
 */
export function summarizeAllocations(profile: { head: AllocationNode }): {
  totalBytes: number;
  self: Map<string, number>;
  total: Map<string, number>;
  areas: Map<string, number>;
} {
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  const add = (map: Map<string, number>, name: string, bytes: number) =>
    map.set(name, (map.get(name) ?? 0) + bytes);
  // Returns the bytes of the subtree; a function met again down its own subtree counts once.
  const walk = (node: AllocationNode, above: ReadonlySet<string>): number => {
    const name = key(node.callFrame);
    add(self, name, node.selfSize);
    add(areas, area(place(node.callFrame.url)), node.selfSize);
    const path = new Set(above).add(name);
    let bytes = node.selfSize;
    for (const child of node.children) bytes += walk(child, path);
    if (!above.has(name)) add(total, name, bytes);
    return bytes;
  };
  const totalBytes = walk(profile.head, new Set());
  return { totalBytes, self, total, areas };
}

if (import.meta.main) {
  const [path, countText] = Deno.args;
  if (path === undefined) throw new Error("usage: alloc_top.ts <file.heapprofile> [count]");
  const count = Number(countText ?? 20);
  const profile = JSON.parse(await Deno.readTextFile(path));
  const { totalBytes, self, total, areas } = summarizeAllocations(profile);
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1).padStart(7)} MiB`;
  const lines = (map: Map<string, number>) =>
    top(map, count, totalBytes, mib).forEach((line) => console.log(line));
  console.log(`${path}: ${mib(totalBytes)} allocated (sampled)`);
  console.log("\nbytes by area:");
  lines(areas);
  console.log("\ntop functions by bytes allocated in themselves:");
  lines(self);
  console.log("\ntop functions by bytes allocated in them and their callees:");
  lines(total);
}
