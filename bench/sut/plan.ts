/**
 * What the parent tells a system-under-test process to run: the bots (plain grammY, or the
 * Constellation runtime hosting them as tenants), where the sandbox is, and which database the
 * runtime keeps its state in (a SQLite file, or a PostgreSQL database). Written as JSON to a file whose path is the child's only argument.
 *
 * @example
 * ```ts
 * import type { SutPlan } from "./plan.ts";
 * const plan: SutPlan = {
 *   kind: "runtime",
 *   apiRoot: "http://127.0.0.1:8081",
 *   bots: [{ id: "t0001", token: "7000000001:abc" }],
 *   configDir: "bench/config",
 *   databaseUrl: "sqlite:/tmp/bench/runtime.db",
 * };
 * ```
 * @module
 */

/**
 * Which implementation hosts the bots.
 *
 * @example
 * ```ts
 * import type { SutKind } from "./plan.ts";
 * const kind: SutKind = "grammy";
 * ```
 */
export type SutKind = "runtime" | "grammy";

/**
 * Which storage engine the runtime runs on (plain grammY keeps nothing).
 *
 * @example
 * ```ts
 * import type { SutEngine } from "./plan.ts";
 * const engine: SutEngine = "postgres";
 * ```
 */
export type SutEngine = "sqlite" | "postgres";

/**
 * One bot: its tenant id (for the runtime) and its sandbox token.
 *
 * @example
 * ```ts
 * import type { SutBot } from "./plan.ts";
 * const bot: SutBot = { id: "t0001", token: "7000000001:abc" };
 * ```
 */
export interface SutBot {
  id: string;
  token: string;
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts ignore
 * const plan: SutPlan = { kind: "grammy", apiRoot, bots, configDir, databaseUrl };
 * ```
 */
export interface SutPlan {
  kind: SutKind;
  /** The sandbox's `http://127.0.0.1:<port>`. */
  apiRoot: string;
  bots: SutBot[];
  /** The runtime's config folder: the reply plugin is found there. */
  configDir: string;
  /**
   * The runtime's `DATABASE_URL`: `sqlite:<temp file>` or a fresh PostgreSQL database of the
   * bench's server (both durable: a commit costs what it costs on disk).
   */
  databaseUrl: string;
}

/**
 * The product every bench bot sells: 10 credits for 1 Star, so payers never run dry.
 *
 * @example
 * ```ts
 * import { BENCH_PRODUCT } from "./plan.ts";
 * console.log(`/start buy_${BENCH_PRODUCT.id}`);
 * ```
 */
export const BENCH_PRODUCT = {
  kind: "credits",
  id: "credits_10",
  title: "10 credits",
  description: "Ten credits, bought during the benchmark.",
  price: 1,
  credits: 10,
} as const;

/**
 * What a child writes on stdout, one JSON object per line: `starting` right before it starts
 * the bots (imports done, configs parsed), `started` when its start call returned, `memory`
 * and `cpu` (user plus system time of all its threads) when asked.
 *
 * @example
 * ```ts
 * import type { SutEvent } from "./plan.ts";
 * const event: SutEvent = { event: "memory", rss: 52_000_000, heapUsed: 20_000_000 };
 * ```
 */
export type SutEvent =
  | { event: "starting" }
  | { event: "started" }
  | { event: "memory"; rss: number; heapUsed: number }
  | { event: "cpu"; ms: number };

/**
 * What the parent writes on the child's stdin, one per line.
 *
 * @example
 * ```ts
 * import type { SutCommand } from "./plan.ts";
 * const command: SutCommand = "memory";
 * ```
 */
export type SutCommand = "memory" | "cpu" | "exit";
