/**
 * Throughput: tenants each receiving a burst of text updates, every one answered with one
 * `sendMessage` by the reply plugin. Updates per second from injecting the burst (`user.send`)
 * until the sandbox has accepted every reply, for the runtime (on SQLite, and on PostgreSQL when
 * it is installed) and for the same bots as plain grammY `Bot`s. Each run gets a fresh sandbox,
 * child process and database, and a warm-up round first (one message per user) so connections
 * and JIT are warm when the clock starts.
 *
 * @example
 * ```ts ignore
 * import { throughput } from "./throughput.ts";
 * await throughput(ctx);
 * ```
 * @module
 */
import type { SandboxBot, SandboxUser } from "../sandbox/mod.ts";
import { type BenchContext, type Contender, contenders, launch } from "./context.ts";
import { Fleet } from "./fleet.ts";
import { fmt, median, ratio, withDeadline } from "./stats.ts";

const rawClientUrl = new URL("./sut/raw_client.ts", import.meta.url);

/** Longest wait for a burst's replies. */
const burstDeadlineMs = 120_000;

/**
 * A bot with its users.
 *
 * @example
 * ```ts ignore
 * const [{ bot, users }] = audiences(fleet, 1, 10);
 * ```
 */
export interface Audience {
  bot: SandboxBot;
  users: SandboxUser[];
}

/**
 * Creates `tenants` bots with `usersPerTenant` users each.
 *
 * @example
 * ```ts ignore
 * const crowd = audiences(fleet, 100, 10); // 100 bots, 1000 users
 * ```
 */
export function audiences(fleet: Fleet, tenants: number, usersPerTenant: number): Audience[] {
  return fleet.createBots(tenants).map((bot, i) => ({
    bot,
    users: fleet.createUsers(usersPerTenant, `user ${i}`),
  }));
}

/**
 * Sends `rounds` text messages from every user, round-robin over bots and users. The sandbox
 * queues them at once, so they reach the bots as one burst.
 *
 * @example
 * ```ts ignore
 * await inject(crowd, 6); // six messages from every user
 * ```
 */
export async function inject(audiences: readonly Audience[], rounds: number): Promise<void> {
  const sends: Promise<unknown>[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const { bot, users } of audiences) {
      for (const user of users) sends.push(user.send(bot, `message ${round}`));
    }
  }
  await Promise.all(sends);
}

/**
 * The chat ids of every user of `audiences` (a private chat's id is the user's).
 *
 * @example
 * ```ts ignore
 * const replies = fleet.replyCounter(chatsOf(crowd));
 * ```
 */
export function chatsOf(audiences: readonly Audience[]): number[] {
  return audiences.flatMap(({ users }) => users.map((user) => user.id));
}

/** What one burst measured. */
interface BurstRun {
  updatesPerSecond: number;
  /** The bots' process CPU time per update, in ms. */
  cpuMsPerUpdate: number;
}

async function run(ctx: BenchContext, who: Contender, tenants: number): Promise<BurstRun> {
  const { updates, usersPerTenant } = ctx.sizes.throughput;
  await using fleet = await Fleet.start();
  const crowd = audiences(fleet, tenants, usersPerTenant);
  const chats = chatsOf(crowd);
  const bots = crowd.map((a) => a.bot);
  const { sut } = await launch(ctx, fleet, who.kind, bots, who.engine);
  try {
    const replies = fleet.replyCounter(chats);
    await inject(crowd, 1);
    await withDeadline(replies.until(chats.length), burstDeadlineMs, `${who.label} warm-up`);

    const rounds = Math.max(1, Math.round(updates / chats.length));
    const total = rounds * chats.length;
    const cpuBefore = await sut.cpuMs();
    const startedAt = performance.now();
    await inject(crowd, rounds);
    const doneAt = await withDeadline(
      replies.until(chats.length + total),
      burstDeadlineMs,
      `${who.label} burst of ${total}`,
    );
    const cpuAfter = await sut.cpuMs();
    return {
      updatesPerSecond: total / ((doneAt - startedAt) / 1000),
      cpuMsPerUpdate: (cpuAfter - cpuBefore) / total,
    };
  } finally {
    await sut.exit();
  }
}

/** sendMessage calls per second the sandbox answers a bare client in another process. */
async function sandboxCeiling(calls: number): Promise<number> {
  await using fleet = await Fleet.start();
  const [bot] = fleet.createBots(1);
  const users = fleet.createUsers(100, "reader");
  // A bot may only write to users who wrote first.
  await Promise.all(users.map((user) => user.send(bot, "hi")));
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      rawClientUrl.pathname,
      fleet.sandbox.apiRoot,
      bot.token,
      JSON.stringify(users.map((user) => user.id)),
      String(calls),
      "100",
    ],
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error("bench: the raw sandbox client failed");
  return (JSON.parse(new TextDecoder().decode(output.stdout)) as { perSecond: number }).perSecond;
}

/**
 * Runs every configured tenant count for every contender, `repeats` times each (alternating, so
 * all meet the same machine), and reports the medians in updates per second: the runtime on
 * SQLite against plain grammY, and the runtime on PostgreSQL against the runtime on SQLite.
 *
 * @example
 * ```ts ignore
 * await throughput({ sizes: benchSizes(false), report, workDir });
 * ```
 */
export async function throughput(ctx: BenchContext): Promise<void> {
  const { report, sizes } = ctx;
  const { repeats } = sizes.throughput;
  report.section(
    `Throughput (text update → one sendMessage, end to end; median of ${repeats} runs)`,
  );
  report.line(
    `sandbox ceiling: ${fmt(await sandboxCeiling(2 * sizes.throughput.updates))} sendMessage/s ` +
      `(a bare fetch client in another process, 100 calls in flight)`,
  );
  const everyone = await contenders(ctx);
  for (const tenants of sizes.throughput.tenantCounts) {
    const who = everyone.filter((contender) =>
      contender.engine !== "postgres" || sizes.throughput.postgresTenantCounts.includes(tenants)
    );
    const runs = new Map(who.map((contender) => [contender, [] as BurstRun[]]));
    for (let i = 0; i < repeats; i++) {
      for (const contender of who) runs.get(contender)!.push(await run(ctx, contender, tenants));
    }
    for (const [contender, burst] of runs) {
      report.line(
        `${contender.label}, ${tenants} tenants: ` +
          burst.map((r) => fmt(r.updatesPerSecond)).join(", ") + " updates/s",
      );
    }
    const rate = (c: Contender) => median(runs.get(c)!.map((r) => r.updatesPerSecond));
    const cpu = (c: Contender) => median(runs.get(c)!.map((r) => r.cpuMsPerUpdate));
    // `of` names the baseline where the column's usual one (plain grammY) is not it.
    const compare = (
      on: string,
      measured: Contender,
      baseline: Contender,
      target: string,
      of = "",
    ) => {
      report.row({
        name: `throughput${on}, ${tenants} tenants (updates/s)`,
        target,
        value: fmt(rate(measured)),
        baseline: fmt(rate(baseline)) + of,
        ratio: ratio(rate(measured), rate(baseline)),
      });
      report.row({
        name: `CPU per update${on}, ${tenants} tenants (ms, bots' process)`,
        target: "—",
        value: fmt(cpu(measured), 3),
        baseline: fmt(cpu(baseline), 3) + of,
        ratio: ratio(cpu(measured), cpu(baseline)),
      });
    };
    const [grammy, sqlite, postgres] = who;
    compare("", sqlite, grammy, "—");
    // PostgreSQL against SQLite, the runtime's default; issue 15 aims at ≥ 0.8× of its rate.
    if (postgres) compare(" on PostgreSQL", postgres, sqlite, "≥ 0.8× SQLite", " (SQLite)");
  }
}
