/**
 * A plugin's log lines, carried from its worker to the tenant's logger. In the worker each
 * tenant's plugin instance gets a real LogTape logger (`tenant.logger`) whose only sink posts
 * each record to the host, marked with the tenant; the host re-emits it under that tenant's
 * plugin category, so it carries the tenant id, passes the process's redaction and lands
 * wherever the process logs.
 *
 * Values that cannot travel in a message (a function, a class instance with private state)
 * travel as their text.
 * @module
 */
import { configure, type Logger, type LogLevel, type LogRecord } from "@logtape/logtape";
import type { ForwardedLogRecord } from "./protocol.ts";

/** LogTape's levels, least severe first. */
const LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];

/** The least severe level `logger` logs, so the worker does not send what would be dropped. */
export function lowestLevelOf(logger: Logger): LogLevel {
  return LEVELS.find((level) => logger.isEnabledFor(level)) ?? "fatal";
}

/** Where one tenant's plugin logger goes, in a worker: see {@linkcode forwardLogs}. */
export interface LogRoute {
  /** The tenant's plugin logger category (`constellation.tenant.<id>.plugin`). */
  category: readonly string[];
  lowestLevel: LogLevel;
  post(record: ForwardedLogRecord): void;
}

/**
 * In the worker: makes each route's category (from its lowest level up) go to its `post`,
 * replacing the routes set before. LogTape is configured once per isolate, and a shared worker
 * holds one logger per tenant, so the whole set is configured again when a tenant comes or goes.
 */
export async function forwardLogs(routes: Iterable<LogRoute>): Promise<void> {
  const list = [...routes];
  await configure({
    reset: true,
    sinks: Object.fromEntries(
      list.map((route, index) => [
        `host${index}`,
        (record: LogRecord) => route.post(forwardable(record, route.category.length)),
      ]),
    ),
    loggers: [
      ...list.map((route, index) => ({
        category: [...route.category],
        sinks: [`host${index}`],
        lowestLevel: route.lowestLevel,
      })),
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "fatal" as const },
    ],
  });
}

/** In the host: logs a record a worker forwarded under `pluginLogger`. */
export function emitForwarded(pluginLogger: Logger, record: ForwardedLogRecord): void {
  const [first, ...rest] = record.category;
  const logger = first === undefined ? pluginLogger : pluginLogger.getChild([first, ...rest]);
  logger.emit({
    level: record.level,
    message: record.message,
    rawMessage: record.rawMessage,
    timestamp: record.timestamp,
    properties: record.properties,
  });
}

function forwardable(record: LogRecord, prefixLength: number): ForwardedLogRecord {
  return {
    category: record.category.slice(prefixLength),
    level: record.level,
    message: record.message.map(cloneable),
    rawMessage: typeof record.rawMessage === "string"
      ? record.rawMessage
      : record.rawMessage.join("{}"),
    timestamp: record.timestamp,
    properties: Object.fromEntries(
      Object.entries(record.properties).map(([key, value]) => [key, cloneable(value)]),
    ),
  };
}

/** `value` if it survives `postMessage`, else its text. */
function cloneable(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}
