/**
 * BalanceActor: rounds of concurrent balance asks spread over a few tenants, one cache TTL
 * apart, against the sandbox's `getMyStarBalance` on loopback. It counts the upstream calls the
 * sandbox saw (target: one per tenant per TTL) and times each ask. The baseline is every asker
 * calling the Bot API itself: one upstream call per ask.
 *
 * @example
 * ```ts ignore
 * import { balanceBench } from "./balance.ts";
 * await balanceBench(ctx);
 * ```
 * @module
 */
import { Api } from "grammy";
import { startBalanceActor } from "../actors/balance/balance_actor.ts";
import { BalanceClient } from "../actors/balance/balance_client.ts";
import { systemClock } from "../actors/kernel/clock.ts";
import { openDatabase } from "../adapters/storage/open_database.ts";
import { botApiBalanceUpstream } from "../adapters/telegram/bot_api_balance.ts";
import { botClientOptions } from "../adapters/telegram/tenant_bot.ts";
import type { BenchContext } from "./context.ts";
import { Fleet } from "./fleet.ts";
import { fmt, percentiles, ratio } from "./stats.ts";

/** Starts `asks` calls of `ask` at once; resolves with each one's latency in ms. */
async function timed(asks: number, ask: (i: number) => Promise<unknown>): Promise<number[]> {
  return await Promise.all(Array.from({ length: asks }, async (_, i) => {
    const started = performance.now();
    await ask(i);
    return performance.now() - started;
  }));
}

/** Upstream calls, and ask latencies, of running `round` once. */
async function counted(fleet: Fleet, round: () => Promise<number[]>) {
  const before = fleet.callCounts.get("getMyStarBalance") ?? 0;
  const latencies = await round();
  return { calls: (fleet.callCounts.get("getMyStarBalance") ?? 0) - before, latencies };
}

/**
 * Measures the BalanceActor's upstream calls and latency against direct calls.
 *
 * @example
 * ```ts ignore
 * await balanceBench({ sizes: benchSizes(false), report, workDir });
 * ```
 */
export async function balanceBench(ctx: BenchContext): Promise<void> {
  const { report, workDir } = ctx;
  const { tenants, asks, rounds, ttlMs } = ctx.sizes.balance;
  report.section(
    `BalanceActor (${
      fmt(asks)
    } concurrent asks over ${tenants} tenants, ${rounds} rounds one TTL apart)`,
  );
  await using fleet = await Fleet.start();
  const upstreams = fleet.createBots(tenants).map((bot) =>
    botApiBalanceUpstream(
      new Api(
        bot.token,
        botClientOptions({ apiRoot: fleet.sandbox.apiRoot, testEnvironment: false }),
      ),
    )
  );
  const db = await openDatabase(`sqlite:${workDir}/balance.db`);
  const actor = startBalanceActor({ db, clock: systemClock });
  try {
    const balances = new BalanceClient(actor.ref);
    for (const [i, botApi] of upstreams.entries()) {
      await balances.register({ id: `t${i}`, cacheTtlMs: ttlMs, botApi });
    }
    const direct = await counted(
      fleet,
      () =>
        timed(asks, (i) => upstreams[i % tenants].getMyStarBalance(AbortSignal.timeout(30_000))),
    );
    const latencies: number[] = [];
    let calls = 0;
    for (let round = 0; round < rounds; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, ttlMs));
      const result = await counted(
        fleet,
        () => timed(asks, (i) => balances.balance(`t${i % tenants}`)),
      );
      calls += result.calls;
      latencies.push(...result.latencies);
    }
    report.row({
      name: `balance: upstream calls per round (${tenants} tenants)`,
      target: `${tenants} (one per tenant per TTL)`,
      value: fmt(calls / rounds, 1),
      baseline: `${fmt(direct.calls)} (direct calls)`,
      ratio: ratio(calls / rounds, direct.calls),
    });
    const actorTimes = percentiles(latencies);
    const directTimes = percentiles(direct.latencies);
    for (const key of ["p50", "p99"] as const) {
      report.row({
        name: `balance: ask latency ${key} (ms)`,
        target: "—",
        value: fmt(actorTimes[key], 1),
        baseline: fmt(directTimes[key], 1),
        ratio: ratio(actorTimes[key], directTimes[key]),
      });
    }
  } finally {
    await actor.stop();
    await db.close();
  }
}
