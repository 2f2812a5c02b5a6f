/**
 * Throughput: tenants each receiving a burst of text updates, every one answered with one
 * `sendMessage` by the reply plugin. Updates per second from injecting the burst (`user.send`)
 * until the sandbox has accepted every reply, for the runtime and for the same bots as plain
 * grammY `Bot`s. Each run gets a fresh sandbox and child process, and a warm-up round first
 * (one message per user) so connections and JIT are warm when the clock starts.
 *
 * @example
 * ```ts ignore
 * import { throughput } from "./throughput.ts";
 * await throughput(ctx);
 * ```
 * @module
 */
import type { SandboxBot, SandboxUser } from "../sandbox/mod.ts";
import { type BenchContext, launch } from "./context.ts";
import { Fleet } from "./fleet.ts";
import { fmt, median, ratio, withDeadline } from "./stats.ts";
import type { SutKind } from "./sut/plan.ts";

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

async function run(ctx: BenchContext, kind: SutKind, tenants: number): Promise<BurstRun> {
  const { updates, usersPerTenant } = ctx.sizes.throughput;
  await using fleet = await Fleet.start();
  const crowd = audiences(fleet, tenants, usersPerTenant);
  const chats = chatsOf(crowd);
  const { sut } = await launch(ctx, fleet, kind, crowd.map((a) => a.bot));
  try {
    const replies = fleet.replyCounter(chats);
    await inject(crowd, 1);
    await withDeadline(replies.until(chats.length), burstDeadlineMs, `${kind} warm-up`);

    const rounds = Math.max(1, Math.round(updates / chats.length));
    const total = rounds * chats.length;
    const cpuBefore = await sut.cpuMs();
    const startedAt = performance.now();
    await inject(crowd, rounds);
    const doneAt = await withDeadline(
      replies.until(chats.length + total),
      burstDeadlineMs,
      `${kind} burst of ${total}`,
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
 * Runs every configured tenant count for both kinds, `repeats` times each (alternating, so
 * both meet the same machine), and reports the medians in updates per second.
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
  for (const tenants of sizes.throughput.tenantCounts) {
    const runs = { grammy: [] as BurstRun[], runtime: [] as BurstRun[] };
    for (let i = 0; i < repeats; i++) {
      for (const kind of ["grammy", "runtime"] as const) {
        runs[kind].push(await run(ctx, kind, tenants));
      }
    }
    for (const kind of ["grammy", "runtime"] as const) {
      report.line(
        `${kind === "grammy" ? "plain grammY" : "runtime"}, ${tenants} tenants: ` +
          runs[kind].map((r) => fmt(r.updatesPerSecond)).join(", ") + " updates/s",
      );
    }
    const rate = (kind: SutKind) => median(runs[kind].map((r) => r.updatesPerSecond));
    report.row({
      name: `throughput, ${tenants} tenants (updates/s)`,
      target: "—",
      value: fmt(rate("runtime")),
      baseline: fmt(rate("grammy")),
      ratio: ratio(rate("runtime"), rate("grammy")),
    });
    const cpu = (kind: SutKind) => median(runs[kind].map((r) => r.cpuMsPerUpdate));
    report.row({
      name: `CPU per update, ${tenants} tenants (ms, bots' process)`,
      target: "—",
      value: fmt(cpu("runtime"), 3),
      baseline: fmt(cpu("grammy"), 3),
      ratio: ratio(cpu("runtime"), cpu("grammy")),
    });
  }
}
