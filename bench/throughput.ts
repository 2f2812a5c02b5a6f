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
 * Sends `rounds` text messages from every user, round-robin over bots and users (`text` and the
 * round's number, or a command such as `/start` as it is). The sandbox queues them at once, so
 * they reach the bots as one burst.
 *
 * @example
 * ```ts ignore
 * await inject(crowd, 6); // six messages from every user
 * ```
 */
export async function inject(
  audiences: readonly Audience[],
  rounds: number,
  text = "message",
): Promise<void> {
  const sends: Promise<unknown>[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const { bot, users } of audiences) {
      // A command stays as it is (`/start`); other texts are numbered by round.
      const message = text.startsWith("/") ? text : `${text} ${round}`;
      for (const user of users) sends.push(user.send(bot, message));
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

/**
 * What a burst is made of. `reply`: 10 users per tenant, each sending several text messages that
 * the tenant's reply plugin answers (in the runtime, through the plugin's worker). `start`
 * (issue 15): one `/start` from each of many users, answered by the built-in `/start` handler —
 * every update a new user, so a new lane, and no plugin crossing.
 */
type Workload = "reply" | "start";

/** Users per tenant who warm the `start` workload up, apart from the measured users. */
const startWarmUpUsers = 2;

/** What one burst measured. */
interface BurstRun {
  updatesPerSecond: number;
  /** The bots' process CPU time per update, in ms. */
  cpuMsPerUpdate: number;
  /** The bots' process peak resident memory (its whole life: start, warm-up, burst), in bytes. */
  peakRss: number | undefined;
}

/** The measured crowd and the warm-up crowd of one run of `workload`. */
function crowds(
  ctx: BenchContext,
  fleet: Fleet,
  workload: Workload,
  tenants: number,
): { warmUp: Audience[]; measured: Audience[]; rounds: number; text: string } {
  const { updates, usersPerTenant, startUpdates } = ctx.sizes.throughput;
  if (workload === "reply") {
    const crowd = audiences(fleet, tenants, usersPerTenant);
    const rounds = Math.max(1, Math.round(updates / (tenants * usersPerTenant)));
    return { warmUp: crowd, measured: crowd, rounds, text: "message" };
  }
  const bots = fleet.createBots(tenants);
  const perTenant = Math.max(1, Math.round(startUpdates / tenants));
  const crowd = (count: number, name: string) =>
    bots.map((bot, i) => ({ bot, users: fleet.createUsers(count, `${name} ${i}`) }));
  return {
    warmUp: crowd(startWarmUpUsers, "early"),
    measured: crowd(perTenant, "user"),
    rounds: 1,
    text: "/start",
  };
}

async function run(
  ctx: BenchContext,
  who: Contender,
  tenants: number,
  workload: Workload,
): Promise<BurstRun> {
  await using fleet = await Fleet.start();
  const { warmUp, measured, rounds, text } = crowds(ctx, fleet, workload, tenants);
  const warmChats = chatsOf(warmUp);
  const chats = chatsOf(measured);
  const bots = measured.map((a) => a.bot);
  const { sut } = await launch(ctx, fleet, who.kind, bots, who.engine);
  try {
    const replies = fleet.replyCounter(new Set([...warmChats, ...chats]));
    await inject(warmUp, 1, text);
    await withDeadline(replies.until(warmChats.length), burstDeadlineMs, `${who.label} warm-up`);

    const total = rounds * chats.length;
    const cpuBefore = await sut.cpuMs();
    const startedAt = performance.now();
    await inject(measured, rounds, text);
    const doneAt = await withDeadline(
      replies.until(warmChats.length + total),
      burstDeadlineMs,
      `${who.label} burst of ${total}`,
    );
    const cpuAfter = await sut.cpuMs();
    return {
      updatesPerSecond: total / ((doneAt - startedAt) / 1000),
      cpuMsPerUpdate: (cpuAfter - cpuBefore) / total,
      peakRss: await sut.peakRss(),
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

/** What each workload's lines and rows are called. */
const workloadNames: Record<Workload, string> = {
  start: "/start, one per user",
  reply: "reply plugin",
};

const mib = (bytes: number | undefined) =>
  bytes === undefined ? "n/a" : `${fmt(bytes / 2 ** 20)} MiB`;

/**
 * Runs every workload at every configured tenant count for every contender, `repeats` times each
 * (alternating, so all meet the same machine), and reports the medians in updates per second and
 * the peak resident memory under that load: the runtime on SQLite against plain grammY (and, for
 * the `/start` workload, against the bare fetch client's ceiling), and the runtime on PostgreSQL
 * against the runtime on SQLite.
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
    `Throughput (update → one sendMessage, end to end; median of ${repeats} runs)`,
  );
  const ceiling = await sandboxCeiling(2 * sizes.throughput.updates);
  report.line(
    `sandbox ceiling: ${fmt(ceiling)} sendMessage/s ` +
      `(a bare fetch client in another process, 100 calls in flight)`,
  );
  const everyone = await contenders(ctx);
  for (const workload of ["start", "reply"] as const) {
    for (const tenants of sizes.throughput.tenantCounts) {
      await measure(ctx, everyone, workload, tenants, ceiling);
    }
  }
}

/** One workload at one tenant count: every contender `repeats` times, then lines and rows. */
async function measure(
  ctx: BenchContext,
  everyone: Contender[],
  workload: Workload,
  tenants: number,
  ceiling: number,
): Promise<void> {
  const { report, sizes } = ctx;
  const who = everyone.filter((contender) =>
    contender.engine !== "postgres" || sizes.throughput.postgresTenantCounts.includes(tenants)
  );
  const runs = new Map(who.map((contender) => [contender, [] as BurstRun[]]));
  for (let i = 0; i < sizes.throughput.repeats; i++) {
    for (const contender of who) {
      runs.get(contender)!.push(await run(ctx, contender, tenants, workload));
    }
  }
  const what = `${workloadNames[workload]}, ${tenants} tenants`;
  for (const [contender, burst] of runs) {
    report.line(
      `${contender.label}, ${what}: ` +
        burst.map((r) => `${fmt(r.updatesPerSecond)} updates/s (peak rss ${mib(r.peakRss)})`)
          .join(", "),
    );
  }
  const rate = (c: Contender) => median(runs.get(c)!.map((r) => r.updatesPerSecond));
  const cpu = (c: Contender) => median(runs.get(c)!.map((r) => r.cpuMsPerUpdate));
  const rss = (c: Contender) => {
    const known = runs.get(c)!.flatMap((r) => r.peakRss === undefined ? [] : [r.peakRss]);
    return known.length === 0 ? undefined : median(known);
  };
  // `of` names the baseline where the column's usual one (plain grammY) is not it.
  const compare = (
    on: string,
    measured: Contender,
    baseline: Contender,
    targets: { rate: string; rss: string },
    of = "",
  ) => {
    report.row({
      name: `throughput${on}, ${what} (updates/s)`,
      target: targets.rate,
      value: fmt(rate(measured)),
      baseline: fmt(rate(baseline)) + of,
      ratio: ratio(rate(measured), rate(baseline)),
    });
    report.row({
      name: `CPU per update${on}, ${what} (ms, bots' process)`,
      target: "—",
      value: fmt(cpu(measured), 3),
      baseline: fmt(cpu(baseline), 3) + of,
      ratio: ratio(cpu(measured), cpu(baseline)),
    });
    const [mine, theirs] = [rss(measured), rss(baseline)];
    report.row({
      name: `peak rss under load${on}, ${what}`,
      target: targets.rss,
      value: mib(mine),
      baseline: mib(theirs) + of,
      ratio: mine === undefined || theirs === undefined ? "n/a" : ratio(mine, theirs),
    });
  };
  const [grammy, sqlite, postgres] = who;
  // Issue 15's targets are set on the `/start` workload (built-in handlers, many users).
  const issue15 = workload === "start";
  compare("", sqlite, grammy, {
    rate: issue15 ? "≥ 1.3× grammY" : "—",
    rss: issue15 ? "≤ 1.5× grammY" : "—",
  });
  if (issue15) {
    report.row({
      name: `throughput, ${what}, against a bare fetch client (updates/s)`,
      target: "≥ 0.6× bare client",
      value: fmt(rate(sqlite)),
      baseline: `${fmt(ceiling)} (sandbox ceiling)`,
      ratio: ratio(rate(sqlite), ceiling),
    });
  }
  // PostgreSQL against SQLite, the runtime's default; issue 15 aims at ≥ 0.8× of its rate.
  if (postgres) {
    compare(" on PostgreSQL", postgres, sqlite, { rate: "≥ 0.8× SQLite", rss: "—" }, " (SQLite)");
  }
}
