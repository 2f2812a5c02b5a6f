/**
 * Durations as people read them in logs: `"850 ms"`, `"4.8 s"`, `"42 s"`, `"4 min 20 s"`,
 * `"2 h 5 min"`, `"3 d 4 h"`, rather than raw floats (`260507.72168797665 ms`). Log lines keep
 * the exact number of milliseconds in a property of their own for machines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./durations.ts";
 *
 * assert.equal(formatDuration(4_812.3), "4.8 s");
 * assert.equal(formatDuration(260_507.72168797665), "4 min 21 s");
 * assert.equal(formatDuration(60_000), "1 min");
 * ```
 * @module
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** `ms` in the largest fitting units, at most two of them (see the module documentation). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < SECOND) return `${Math.round(ms)} ms`;
  if (ms < 10 * SECOND) {
    const tenths = Math.round(ms / 100) / 10;
    return tenths < 10 ? `${tenths} s` : "10 s";
  }
  const seconds = Math.round(ms / SECOND);
  if (seconds < 60) return `${seconds} s`;
  const pair = (big: number, bigUnit: string, small: number, smallUnit: string) =>
    small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
  if (seconds < 3_600) return pair(Math.floor(seconds / 60), "min", seconds % 60, "s");
  const minutes = Math.round(ms / MINUTE);
  if (minutes < 24 * 60) return pair(Math.floor(minutes / 60), "h", minutes % 60, "min");
  const hours = Math.round(ms / HOUR);
  return pair(Math.floor(hours / 24), "d", hours % 24, "h");
}
