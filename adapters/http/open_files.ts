/**
 * The process's open-files limit, and the cap on HTTP connections it allows. Every connection
 * holds a file descriptor; when the limit is reached, accepting fails ("Too many open files").
 * About 1,000 idle connections used to end the whole process that way, every bot with it. The
 * cap keeps the HTTP server to half the limit, so the bots' own connections to Telegram, the
 * database and the config watcher always have the other half.
 *
 * Deno raises its soft limit to the hard one as it starts, so the hard limit is what counts;
 * raising that needs the operator (`ulimit -Hn` before starting, `LimitNOFILE=` in a systemd
 * unit, `--ulimit nofile=` for Docker). With the runtime's permissions Deno cannot read the limit
 * either (`/proc/self/limits` needs `--allow-all`), so it is read when it may be, and otherwise
 * assumed to be the smallest in common use: 1024 on Linux, 256 on macOS. `HTTP_MAX_CONNECTIONS`
 * sets the cap for a process known to have more.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectionCapFor, parseOpenFilesLimit } from "./open_files.ts";
 *
 * const limits = parseOpenFilesLimit(
 *   "Limit                     Soft Limit           Hard Limit           Units\n" +
 *     "Max open files            1024                 524288               files\n",
 * );
 * assert.deepEqual(limits, { soft: 1024, hard: 524288 });
 * assert.equal(connectionCapFor(limits, "linux"), 512);
 * assert.equal(connectionCapFor(undefined, "darwin"), 128); // unknown: macOS's default, 256
 * ```
 * @module
 */

/** The open-files limit: what the process may use now, and what it could be raised to. */
export interface OpenFilesLimit {
  /** The limit in force; `Infinity` when unlimited. */
  readonly soft: number;
  /** The ceiling the soft limit can be raised to without privileges; `Infinity` when unlimited. */
  readonly hard: number;
}

/** The most connections the cap ever allows, whatever the limit: beyond it, raise nothing. */
const MOST_CONNECTIONS = 10_000;

/** The default soft limit of each system, assumed when the process cannot read its own. */
function usualLimit(os: typeof Deno.build.os): number {
  return os === "darwin" ? 256 : 1024;
}

/** Reads the "Max open files" line of a `/proc/<pid>/limits` text; `undefined` when absent. */
export function parseOpenFilesLimit(text: string): OpenFilesLimit | undefined {
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (!match) return undefined;
  const value = (field: string) => (field === "unlimited" ? Infinity : Number(field));
  return { soft: value(match[1]), hard: value(match[2]) };
}

/**
 * This process's limit, or `undefined` where `/proc` is not there (macOS, Windows) or may not
 * be read (Deno asks for `--allow-all` to read it).
 */
export function readOpenFilesLimit(): OpenFilesLimit | undefined {
  try {
    return parseOpenFilesLimit(Deno.readTextFileSync("/proc/self/limits"));
  } catch {
    return undefined;
  }
}

/** How many connections the HTTP server may hold under `limit`: see the module doc. */
export function connectionCapFor(
  limit: OpenFilesLimit | undefined,
  os: typeof Deno.build.os = Deno.build.os,
): number {
  const soft = limit?.soft ?? usualLimit(os);
  return Math.max(1, Math.min(MOST_CONNECTIONS, Math.floor(soft / 2)));
}
