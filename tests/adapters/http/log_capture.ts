/**
 * Captures what the runtime hands to its loggers while `fn` runs, as JSON lines (message and
 * properties), then resets LogTape so later tests log nowhere. The sink does no redaction of its
 * own, so a test that finds no secret here proves the code under test kept it out.
 *
 * @example
 * ```ts
 * import { captureLogs } from "./log_capture.ts";
 * import { runtimeLogger } from "../../../adapters/observability/logging.ts";
 * const lines = await captureLogs(() => runtimeLogger("http").warn("hello"));
 * lines.join("").includes("hello"); // true
 * ```
 * @module
 */
import { configure, getJsonLinesFormatter, reset } from "@logtape/logtape";

/** Runs `fn` with every `constellation` log record at `debug` and above written to an array. */
export async function captureLogs(fn: () => unknown): Promise<string[]> {
  const lines: string[] = [];
  const format = getJsonLinesFormatter();
  await configure({
    reset: true,
    sinks: { memory: (record) => lines.push(format(record)) },
    loggers: [
      { category: ["constellation"], sinks: ["memory"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "error" },
    ],
  });
  try {
    await fn();
  } finally {
    await reset();
  }
  return lines;
}
