/**
 * The last lines each tenant logged, kept in memory for the operator console's live tail: a
 * bounded ring per tenant (old lines fall off; a tenant that logs a lot cannot grow memory), and
 * listeners that see each new line as it is logged. Lines arrive already formatted and redacted
 * by the log sink (`logging.ts`), so a tail never shows a secret the log would not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LogTail } from "./log_tail.ts";
 *
 * const tail = new LogTail(2);
 * const seen: string[] = [];
 * const stop = tail.listen("shop", (line) => seen.push(line.text));
 * for (const text of ["one", "two", "three"]) tail.add("shop", { at: 0, level: "info", text });
 * assert.deepEqual(tail.lines("shop").map((line) => line.text), ["two", "three"]);
 * assert.deepEqual(seen, ["one", "two", "three"]);
 * stop();
 * assert.deepEqual(tail.lines("quiz"), []);
 * ```
 * @module
 */

/** One logged line of a tenant. */
export interface TailLine {
  /** When it was logged, in ms since the Unix epoch. */
  readonly at: number;
  readonly level: string;
  /** The formatted, redacted line. */
  readonly text: string;
}

/** Lines kept per tenant by default: a screenful or two of recent history. */
const defaultLinesPerTenant = 200;

/** Tenants whose lines are kept at once; the oldest-seen is dropped past it. */
const maxTenants = 10_000;

/** Per-tenant rings of recent lines, with live listeners; see the module doc. */
export class LogTail {
  readonly #limit: number;
  readonly #rings = new Map<string, TailLine[]>();
  readonly #listeners = new Map<string, Set<(line: TailLine) => void>>();

  constructor(linesPerTenant = defaultLinesPerTenant) {
    if (!Number.isSafeInteger(linesPerTenant) || linesPerTenant < 1) {
      throw new RangeError(`linesPerTenant must be a positive integer, got ${linesPerTenant}`);
    }
    this.#limit = linesPerTenant;
  }

  /** Keeps `line` as the tenant's newest and tells its listeners. */
  add(tenantId: string, line: TailLine): void {
    let ring = this.#rings.get(tenantId);
    if (!ring) {
      if (this.#rings.size >= maxTenants) this.#rings.delete(this.#rings.keys().next().value!);
      this.#rings.set(tenantId, ring = []);
    }
    ring.push(line);
    if (ring.length > this.#limit) ring.shift();
    for (const listener of this.#listeners.get(tenantId) ?? []) {
      try {
        listener(line);
      } catch {
        // A listener is a console connection; its failure must not fail the log call.
      }
    }
  }

  /** The tenant's kept lines, oldest first. */
  lines(tenantId: string): TailLine[] {
    return [...(this.#rings.get(tenantId) ?? [])];
  }

  /** Calls `listener` with each new line of the tenant; returns what stops it. */
  listen(tenantId: string, listener: (line: TailLine) => void): () => void {
    let listeners = this.#listeners.get(tenantId);
    if (!listeners) this.#listeners.set(tenantId, listeners = new Set());
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.#listeners.delete(tenantId);
    };
  }
}

/** The process's tail, filled by the log sink and read by the console. */
export const tenantLogTail: LogTail = new LogTail();
