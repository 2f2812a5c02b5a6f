/**
 * Reads a V8 `.cpuprofile` (from `deno run --cpu-prof`, or `BENCH_PROFILE_DIR` for the bench's
 * child processes) and prints where the time went: the top functions by self time, by total
 * time (self plus callees), and self time per package or folder.
 *
 * @example
 * ```sh
 * deno run --allow-read bench/profile_top.ts /tmp/prof/CPU.123.cpuprofile 25
 * ```
 * @module
 */

/** Where a sampled function is. */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function is, short enough to read: the npm package or the project path. */
export function place(url: string): string {
  const npm = url.match(/registry\.npmjs\.org\/([^/]+(?:\/[^/]+)?)\/[^/]+\/(.*)$/);
  if (npm) return `npm:${npm[1].startsWith("@") ? npm[1] : npm[1].split("/")[0]}/${npm[2]}`;
  const project = url.match(/\/work\/main\/(.*)$/);
  if (project) return project[1];
  return url === "" ? "(native)" : url.replace(/^.*\/ext\//, "ext:");
}

/** The package or top-level folder a place belongs to. */
export function area(where: string): string {
  if (where.startsWith("npm:")) return where.split("/")[0];
  if (where.startsWith("ext:")) return "deno runtime (ext:)";
  return where.split("/").slice(0, 2).join("/");
}

/** A function's name and place, as the lists print it. */
export function key(frame: CallFrame): string {
  const name = frame.functionName || "(anonymous)";
  return `${name} ${place(frame.url)}:${frame.lineNumber + 1}`;
}

/**
 * Self time, total time and self time per area, in ms.
 *
 * @example
 * ```ts ignore
 * const { totalMs, self } = summarize(JSON.parse(await Deno.readTextFile(path)));
 * ```
 */
export function summarize(profile: CpuProfile): {
  totalMs: number;
  self: Map<string, number>;
  total: Map<string, number>;
  areas: Map<string, number>;
} {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const node = byId.get(id)!;
    const own = key(node.callFrame);
    self.set(own, (self.get(own) ?? 0) + ms);
    const where = area(place(node.callFrame.url));
    areas.set(where, (areas.get(where) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = key(byId.get(at)!.callFrame);
      if (seen.has(frame)) continue;
      seen.add(frame);
      total.set(frame, (total.get(frame) ?? 0) + ms);
    }
  });
  return { totalMs, self, total, areas };
}

/** The `count` largest entries of `map`, each with its share of `sum`, largest first. */
export function top(
  map: Map<string, number>,
  count: number,
  sum: number,
  unit = (ms: number) => `${ms.toFixed(0).padStart(7)} ms`,
): string[] {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, amount]) =>
    `${unit(amount)} ${(100 * amount / sum).toFixed(1).padStart(5)} %  ${name}`
  );
}

if (import.meta.main) {
  const [path, countText] = Deno.args;
  if (path === undefined) throw new Error("usage: profile_top.ts <file.cpuprofile> [count]");
  const count = Number(countText ?? 20);
  const { totalMs, self, total, areas } = summarize(JSON.parse(await Deno.readTextFile(path)));
  console.log(`${path}: ${totalMs.toFixed(0)} ms sampled`);
  console.log("\nself time by area:");
  for (const line of top(areas, count, totalMs)) console.log(line);
  console.log("\ntop functions by self time:");
  for (const line of top(self, count, totalMs)) console.log(line);
  console.log("\ntop functions by total time:");
  for (const line of top(total, count, totalMs)) console.log(line);
}
