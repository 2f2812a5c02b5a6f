/**
 * What every benchmark section gets (sizes, the report, a scratch folder) and the one step most
 * of them share: starting the bots under test in a fresh child process and waiting until every
 * one of them is polling the sandbox.
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
import type { Report } from "./report.ts";
import type { BenchSizes } from "./sizes.ts";
import { withDeadline } from "./stats.ts";
import type { SutKind } from "./sut/plan.ts";
import { SutProcess } from "./sut/process.ts";

/**
 * What a section runs with.
 *
 * @example
 * ```ts ignore
 * const ctx: BenchContext = { sizes: benchSizes(true), report, workDir: await Deno.makeTempDir() };
 * ```
 */
export interface BenchContext {
  sizes: BenchSizes;
  report: Report;
  /** Scratch folder for plans and databases, removed at the end. */
  workDir: string;
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
 * Starts `bots` as `kind` in a child process and waits until each has started polling.
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
): Promise<Launched> {
  const sut = await SutProcess.spawn({
    kind,
    apiRoot: fleet.sandbox.apiRoot,
    bots: Fleet.planBots(bots),
    configDir,
    databasePath: `${ctx.workDir}/${kind}-${crypto.randomUUID()}.db`,
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
