/**
 * Memory and start-up. For each tenant count (0 gives the fixed cost of the process: Deno, the
 * modules, the database), a fresh child process starts that many idle polling bots — the
 * runtime's tenants, or plain grammY bots — and reports its resident memory after a settle time
 * and a garbage collection. Per tenant = (rss(N) − rss(0)) / N; target ≤ 1 MB per idle tenant.
 * Each run also gives the start-up time: from the child about to start its bots until the
 * sandbox has seen every bot's first `getUpdates`.
 *
 * @example
 * ```ts ignore
 * import { memoryAndStartup } from "./memory.ts";
 * await memoryAndStartup(ctx);
 * ```
 * @module
 */
import { type BenchContext, launch } from "./context.ts";
import { Fleet } from "./fleet.ts";
import { fmt, median, mib, ratio } from "./stats.ts";
import type { SutKind } from "./sut/plan.ts";
import type { SutMemory } from "./sut/process.ts";

/** What one child measured. */
interface IdleRun {
  memory: SutMemory;
  /** From "about to start" to every bot's first getUpdates, in ms. */
  startupMs: number;
}

async function idleRun(ctx: BenchContext, kind: SutKind, tenants: number): Promise<IdleRun> {
  await using fleet = await Fleet.start();
  const { sut, startingAt, pollingAt } = await launch(ctx, fleet, kind, fleet.createBots(tenants));
  try {
    // With no bots nothing polls: the process is ready once its start call has returned.
    const readyAt = tenants === 0 ? await sut.started() : pollingAt;
    await new Promise((resolve) => setTimeout(resolve, ctx.sizes.memory.settleMs));
    return { memory: await sut.memory(), startupMs: readyAt - startingAt };
  } finally {
    await sut.exit();
  }
}

/**
 * Measures idle memory per tenant and start-up time, runtime against plain grammY.
 *
 * @example
 * ```ts ignore
 * await memoryAndStartup({ sizes: benchSizes(false), report, workDir });
 * ```
 */
export async function memoryAndStartup(ctx: BenchContext): Promise<void> {
  const { report, sizes } = ctx;
  const { tenantCounts, repeats } = sizes.memory;
  report.section(
    `Memory of idle polling tenants (rss, fresh process each, median of ${repeats}) and start-up`,
  );
  const runs = new Map<string, IdleRun>();
  for (const tenants of tenantCounts) {
    const measured = { grammy: [] as IdleRun[], runtime: [] as IdleRun[] };
    for (let i = 0; i < repeats; i++) {
      for (const kind of ["grammy", "runtime"] as const) {
        measured[kind].push(await idleRun(ctx, kind, tenants));
      }
    }
    for (const kind of ["grammy", "runtime"] as const) {
      const all = measured[kind];
      // A process's rss varies by a few MiB from one start to the next; the median evens it.
      const result: IdleRun = {
        memory: {
          rss: median(all.map((r) => r.memory.rss)),
          heapUsed: median(all.map((r) => r.memory.heapUsed)),
        },
        startupMs: median(all.map((r) => r.startupMs)),
      };
      runs.set(`${kind}:${tenants}`, result);
      report.line(
        `${kind === "grammy" ? "plain grammY" : "runtime"}, ${tenants} tenants: rss ` +
          `${mib(result.memory.rss)} (${all.map((r) => mib(r.memory.rss)).join(", ")}), heap ` +
          `${mib(result.memory.heapUsed)}, all polling after ${fmt(result.startupMs)} ms`,
      );
    }
  }
  const perTenant = (kind: SutKind, tenants: number) =>
    (runs.get(`${kind}:${tenants}`)!.memory.rss - runs.get(`${kind}:0`)!.memory.rss) / tenants;
  for (const tenants of sizes.memory.tenantCounts.filter((n) => n > 0)) {
    const measured = perTenant("runtime", tenants);
    const baseline = perTenant("grammy", tenants);
    report.row({
      name: `memory per idle tenant, ${tenants} tenants`,
      target: "≤ 1 MiB",
      value: mib(measured),
      baseline: mib(baseline),
      ratio: ratio(measured, baseline),
    });
  }
  const most = Math.max(...sizes.memory.tenantCounts);
  const measured = runs.get(`runtime:${most}`)!.startupMs;
  const baseline = runs.get(`grammy:${most}`)!.startupMs;
  report.row({
    name: `start-up until ${most} tenants poll (ms)`,
    target: "—",
    value: fmt(measured),
    baseline: fmt(baseline),
    ratio: ratio(measured, baseline),
  });
}
