/**
 * Logging through LogTape. Every component logs under the `constellation` category; tenant code
 * logs under `["constellation", "tenant", <id>]` (see {@linkcode tenantLogger}) so the tenant id
 * is on every line it writes. Logs go to stderr, leaving stdout to the demo's conversation.
 *
 * JSON lines (`LOG_FORMAT=json`) carry a tenant's id in a `tenant` field of their own (besides
 * the category in `logger`), and their `message` shows string values bare, as the text lines
 * do: `Webhook set for shop.`, not `Webhook set for "shop".`; the values stay typed in
 * `properties`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configureLogging, flushLogs, tenantLogger } from "./logging.ts";
 * import { secrets } from "./redact.ts";
 *
 * const lines: string[] = [];
 * await configureLogging({ level: "info", format: "json", write: (line) => lines.push(line) });
 * secrets.add("hunter2-webhook-secret");
 * const log = tenantLogger("shop");
 * log.info("Webhook set with secret {secret}.", { secret: "hunter2-webhook-secret" });
 * log.debug("Below the level: dropped.");
 * await flushLogs();
 *
 * assert.equal(lines.length, 1);
 * const record = JSON.parse(lines[0]);
 * assert.equal(record.logger, "constellation.tenant.shop");
 * assert.equal(record.tenant, "shop");
 * assert.equal(record.message, "Webhook set with secret <redacted>.");
 * assert.deepEqual(record.properties, { secret: "<redacted>" });
 * ```
 * @module
 */
import {
  configure,
  dispose,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogLevel,
  type LogRecord,
} from "@logtape/logtape";
import { secrets } from "./redact.ts";
import { tenantLogTail } from "./log_tail.ts";

/** How logs are written: readable lines for people, JSON lines for collectors. */
export interface LoggingOptions {
  level: LogLevel;
  format: "text" | "json";
  /** Where lines go; stderr by default. Tests pass their own function to read what was logged. */
  write?: (line: string) => void;
}

const encoder = new TextEncoder();

/**
 * Lines are written synchronously: a log line about to be followed by `Deno.exit` or a crash is
 * still written, and stderr itself is never closed (a stream sink would close it on dispose).
 */
function writeStderr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line));
}

/** Installs the process-wide log configuration, replacing any earlier one. */
export async function configureLogging(options: LoggingOptions): Promise<void> {
  const formatter = options.format === "json"
    ? jsonLinesWithTenant(getJsonLinesFormatter())
    // Strings appear bare: a file path or an error message reads better without quotes.
    : getTextFormatter({ timestamp: "date-time", level: "ABBR", value: "bare" });
  const write = options.write ?? writeStderr;
  // The console's live tail of a tenant: its lines as text, redacted like every other line.
  const tailFormat = getTextFormatter({ timestamp: "none", level: "ABBR", value: "bare" });
  const tail = (record: LogRecord) => {
    const [, kind, tenant] = record.category;
    if (kind !== "tenant" || tenant === undefined) return;
    const text = secrets.redact(tailFormat(record)).trimEnd();
    tenantLogTail.add(tenant, { at: record.timestamp, level: record.level, text });
  };
  await configure({
    reset: true,
    // Every line passes the redactor: whatever a message or an error quotes, no secret leaves.
    sinks: { main: (record: LogRecord) => write(secrets.redact(formatter(record))), tail },
    loggers: [
      { category: ["constellation"], lowestLevel: options.level, sinks: ["main", "tail"] },
      // LogTape reports its own problems (a sink that throws) here; they must not vanish.
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
}

/**
 * `format` with string values moved into the message text (so they are not quoted) and, for a
 * tenant's record, `"tenant":"<id>"` first in the object.
 */
function jsonLinesWithTenant(format: (record: LogRecord) => string) {
  return (record: LogRecord): string => {
    const message: unknown[] = [];
    let text = "";
    record.message.forEach((part, index) => {
      if (index % 2 === 0 || typeof part === "string") text += part;
      else {
        message.push(text, part);
        text = "";
      }
    });
    message.push(text);
    const line = format({ ...record, message });
    const [root, kind, tenant] = record.category;
    if (root !== "constellation" || kind !== "tenant" || tenant === undefined) return line;
    return `{"tenant":${JSON.stringify(tenant)},${line.slice(1)}`;
  };
}

/** Flushes buffered lines; call before the process exits. */
export function flushLogs(): Promise<void> {
  return dispose();
}

/** The logger of one runtime component, e.g. `runtimeLogger("supervisor")`. */
export function runtimeLogger(component: string): Logger {
  return getLogger(["constellation", component]);
}

/** The logger of one tenant: its id is part of every line's category. */
export function tenantLogger(tenantId: string): Logger {
  return getLogger(["constellation", "tenant", tenantId]);
}
