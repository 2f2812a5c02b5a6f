/**
 * Reading one sample out of a `/metrics` body in the Prometheus text format, for assertions.
 *
 * @example
 * ```ts
 * import { sampleValue } from "./prometheus_text.ts";
 * const text = 'constellation_updates_handled_total{tenant="shop"} 3\n';
 * sampleValue(text, "constellation_updates_handled_total", { tenant: "shop" }); // 3
 * ```
 * @module
 */

/**
 * The value of the sample of `name` whose labels are exactly `labels` (in any order), or
 * `undefined` when the body has no such sample.
 *
 * @example
 * ```ts
 * import { sampleValue } from "./prometheus_text.ts";
 * const text = 'constellation_tenant_state{tenant="shop",state="running"} 1\n';
 * sampleValue(text, "constellation_tenant_state", { state: "running", tenant: "shop" }); // 1
 * ```
 */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .sort().join(",");
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    // Label values here never hold commas, so splitting on them is enough for a test.
    const found = (match[2] ?? "").split(",").filter((part) => part !== "").sort().join(",");
    if (found === wanted) return Number(match[3]);
  }
  return undefined;
}
