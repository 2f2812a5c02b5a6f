/**
 * Small numeric helpers for the benchmarks: percentiles, rates, ratios and how they are shown.
 *
 * @example
 * ```ts
 * import { percentiles, ratio } from "./stats.ts";
 * percentiles([3, 1, 2]); // { count: 3, p50: 2, p99: 3, max: 3 }
 * ratio(1500, 1000); // "1.50×"
 * ```
 * @module
 */

/** The percentiles the benchmarks report. */
export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentiles of `values` (not changed); all zero for an empty list.
 *
 * @example
 * ```ts
 * import { percentiles } from "./stats.ts";
 * percentiles([10, 20, 30, 40]).p50; // 20
 * ```
 */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
  return { count: sorted.length, p50: rank(0.5), p99: rank(0.99), max: sorted.at(-1)! };
}

/**
 * The median of `values` (not changed); the mean of the middle two for an even count.
 *
 * @example
 * ```ts
 * import { median } from "./stats.ts";
 * median([5, 1, 3]); // 3
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * `measured / baseline` as text, e.g. `0.85×`; `n/a` when the baseline is zero.
 *
 * @example
 * ```ts
 * import { ratio } from "./stats.ts";
 * ratio(50, 200); // "0.25×"
 * ```
 */
export function ratio(measured: number, baseline: number): string {
  return baseline === 0 ? "n/a" : `${(measured / baseline).toFixed(2)}×`;
}

/**
 * A number with at most `digits` decimals and thousands separators.
 *
 * @example
 * ```ts
 * import { fmt } from "./stats.ts";
 * fmt(12345.678, 1); // "12,345.7"
 * ```
 */
export function fmt(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: digits });
}

/**
 * Bytes as mebibytes, e.g. `1.25 MiB`.
 *
 * @example
 * ```ts
 * import { mib } from "./stats.ts";
 * mib(1_572_864); // "1.50 MiB"
 * ```
 */
export function mib(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(2)} MiB`;
}

/**
 * Resolves like `promise`, or rejects naming `what` after `ms`, so a benchmark whose bots went
 * silent fails instead of hanging.
 *
 * @example
 * ```ts
 * import { withDeadline } from "./stats.ts";
 * await withDeadline(Promise.resolve(1), 1_000, "nothing");
 * ```
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench: ${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
