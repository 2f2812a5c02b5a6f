/**
 * Capturing what code under test logs, to assert on it: LogTape is configured to send one
 * category (at every level) to memory and to drop LogTape's own meta messages. LogTape's
 * configuration is global, so a test that captures must `reset()` it at its end.
 *
 * @example
 * ```ts ignore
 * const records = await captureLogs(["test-outbox"]);
 * getLogger(["test-outbox"]).info("sent {id}", { id: "a" });
 * renderedLogs(records); // ["info: sent a"]
 * await reset();
 * ```
 * @module
 */
import { configure, type LogLevel, type LogRecord } from "@logtape/logtape";

/** How much {@linkcode captureLogs} keeps. */
export interface CaptureOptions {
  /**
   * The least severe level kept (default `"debug"`: everything). A test that counts records
   * raises it to see only the ones it is about.
   */
  lowestLevel?: LogLevel;
}

/**
 * Sends everything logged under `category` (from `lowestLevel` up) to the returned array,
 * replacing any earlier LogTape configuration.
 *
 * @example
 * ```ts ignore
 * const records = await captureLogs(["test-subscriptions"]);
 * const payments = createPaymentServices({ ...options, logger: getLogger(["test-subscriptions"]) });
 * const errors = await captureLogs(["test-config-watcher"], { lowestLevel: "error" });
 * ```
 */
export async function captureLogs(
  category: readonly string[],
  options: CaptureOptions = {},
): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record) => records.push(record) },
    loggers: [
      { category: [...category], sinks: ["memory"], lowestLevel: options.lowestLevel ?? "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "error" },
    ],
  });
  return records;
}

/**
 * The records as `level: message`, with the message's values filled in.
 *
 * @example
 * ```ts ignore
 * renderedLogs(records); // ["warning: Outbox item a failed: 400"]
 * ```
 */
export function renderedLogs(records: readonly LogRecord[]): string[] {
  return records.map((r) => `${r.level}: ${r.message.map(String).join("")}`);
}
