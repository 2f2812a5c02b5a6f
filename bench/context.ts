/**
 * What every benchmark section gets (sizes, the report, a scratch folder, the PostgreSQL server)
 * and the one step most of them share: starting the bots under test in a fresh child process and
 * waiting until every one of them is polling the sandbox.
 *
 * @example
 * ```ts ignore
 * import { launch } from "./context.ts";
 * const { sut, startingAt, pollingAt } = await launch(ctx, fleet, "runtime", bots);
 * console.log(`all polling after ${pollingAt - startingAt} ms`);
 * await sut.exit();
 * ```
 * @module
 */
import type { SandboxBot } from "../sandbox/mod.ts";
import { Fleet } from "./fleet.ts";
import type { BenchPostgres } from "./postgres.ts";
import type { Report } from "./report.ts";
import type { BenchSizes } from "./sizes.ts";
import { withDeadline } from "./stats.ts";
import type { SutEngine, SutKind } from "./sut/plan.ts";
import { SutProcess } from "./sut/process.ts";

/**
 * What a section runs with.
 *
 * @example
 * ```ts ignore
 * const ctx: BenchContext = {
 *   sizes: benchSizes(true),
 *   report,
 *   workDir: await Deno.makeTempDir(),
 *   postgres: () => Promise.resolve(undefined),
 * };
 * ```
 */
export interface BenchContext {
  sizes: BenchSizes;
  report: Report;
  /** Scratch folder for plans and databases, removed at the end. */
  workDir: string;
  /**
   * The run's PostgreSQL server, started on first use; `undefined` where a quick run skips
   * PostgreSQL (not installed, outside CI).
   */
  postgres(): Promise<BenchPostgres | undefined>;
}

/**
 * One system a comparison section measures: plain grammY, or the runtime on an engine.
 *
 * @example
 * ```ts ignore
 * const sqlite: Contender = { label: "runtime", kind: "runtime", engine: "sqlite" };
 * ```
 */
export interface Contender {
  /** How the section's lines name it. */
  label: string;
  kind: SutKind;
  engine: SutEngine;
}

/**
 * The contenders of the throughput and pre-checkout sections: plain grammY (the baseline), the
 * runtime on SQLite, and the runtime on PostgreSQL unless this run skips PostgreSQL.
 *
 * @example
 * ```ts ignore
 * for (const contender of await contenders(ctx)) console.log(contender.label);
 * ```
 */
export async function contenders(ctx: BenchContext): Promise<Contender[]> {
  const all: Contender[] = [
    { label: "plain grammY", kind: "grammy", engine: "sqlite" },
    { label: "runtime", kind: "runtime", engine: "sqlite" },
  ];
  if (await ctx.postgres()) {
    all.push({ label: "runtime on PostgreSQL", kind: "runtime", engine: "postgres" });
  }
  return all;
}

/** The runtime's config folder: the reply plugin lives in `plugins/`. */
const configDir = new URL("./config/", import.meta.url).pathname;

/** Longest wait for every bot to poll: a thousand tenants start in well under this. */
const pollingDeadlineMs = 180_000;

/**
 * A started child and when it started (performance.now() in this process).
 *
 * @example
 * ```ts ignore
 * const { sut, startingAt, pollingAt }: Launched = await launch(ctx, fleet, "grammy", bots);
 * ```
 */
export interface Launched {
  sut: SutProcess;
  /** When the child was about to start its bots. */
  startingAt: number;
  /** When the sandbox saw the last bot's first getUpdates. */
  pollingAt: number;
}

/**
 * Starts `bots` as `kind` in a child process and waits until each has started polling; the
 * runtime keeps its state in a new SQLite file or a new database of the PostgreSQL server.
 *
 * @example
 * ```ts ignore
 * const { sut } = await launch(ctx, fleet, "runtime", fleet.createBots(10));
 * await sut.exit();
 * ```
 */
export async function launch(
  ctx: BenchContext,
  fleet: Fleet,
  kind: SutKind,
  bots: readonly SandboxBot[],
  engine: SutEngine = "sqlite",
): Promise<Launched> {
  const sut = await SutProcess.spawn({
    kind,
    apiRoot: fleet.sandbox.apiRoot,
    bots: Fleet.planBots(bots),
    configDir,
    databaseUrl: await databaseUrl(ctx, kind, engine),
  }, ctx.workDir);
  try {
    const startingAt = await sut.starting();
    const pollingAt = await withDeadline(
      fleet.polling(bots),
      pollingDeadlineMs,
      `starting ${bots.length} ${kind} bots`,
    );
    return { sut, startingAt, pollingAt };
  } catch (error) {
    await sut.exit();
    throw error;
  }
}

/** A new, empty database for one run. */
async function databaseUrl(ctx: BenchContext, kind: SutKind, engine: SutEngine): Promise<string> {
  if (engine === "sqlite") return `sqlite:${ctx.workDir}/${kind}-${crypto.randomUUID()}.db`;
  const server = await ctx.postgres();
  if (server === undefined) throw new Error("bench: PostgreSQL is skipped in this run");
  return await server.createDatabase(kind);
}
