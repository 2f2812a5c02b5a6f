/**
 * Pre-checkout latency under load. While a steady stream of text updates flows to every
 * tenant, a few users keep buying: `/start buy_<product>`, pay the invoice, pause, again. The
 * sandbox times each pre-checkout query from the moment it is queued for the bot to the bot's
 * `answerPreCheckoutQuery` (so the time the query waits for the bot's next `getUpdates` counts,
 * as it does on Telegram's 10 s clock). Target: p99 ≤ 50 ms (issue 15; it was 100 ms). The
 * baseline is the same shop as plain grammY bots, which approve every query without looking at
 * anything; the runtime on PostgreSQL (when installed) is compared with the runtime on SQLite.
 *
 * @example
 * ```ts ignore
 * import { preCheckout } from "./pre_checkout.ts";
 * await preCheckout(ctx);
 * ```
 * @module
 */
import type { SandboxBot, SandboxUser } from "../sandbox/mod.ts";
import { type BenchContext, type Contender, contenders, launch } from "./context.ts";
import { Fleet } from "./fleet.ts";
import { fmt, type Percentiles, percentiles, ratio, withDeadline } from "./stats.ts";
import { BENCH_PRODUCT } from "./sut/plan.ts";
import { type Audience, audiences, chatsOf, inject } from "./throughput.ts";

/** How often the load stream injects the updates that fell due. */
const tickMs = 10;

/** A payer waits this long between purchases, as a person would; it also spreads the queries. */
const payerPauseMs = 100;

/** Longest wait for an invoice, and for the load's last replies after the stream stops. */
const replyDeadlineMs = 60_000;

/** What one run measured. */
interface PreCheckoutRun {
  /** Each answered query's wait, in ms. */
  waits: number[];
  /** Payments whose query went unanswered for the sandbox's 10 s. */
  timeouts: number;
  /** Text updates per second the bots actually answered while the stream ran. */
  answeredPerSecond: number;
}

/** One purchase: ask for the invoice, pay it; resolves with the outcome's status. */
async function buy(user: SandboxUser, bot: SandboxBot): Promise<string> {
  const invoice = user.waitForMessage(bot, (m) => m.invoice !== undefined, {
    timeoutMs: replyDeadlineMs,
  });
  await user.send(bot, `/start buy_${BENCH_PRODUCT.id}`);
  return (await user.pay(bot, await invoice)).status;
}

/** Buys until `stop()` says so; resolves with the number of timed-out payments. */
async function payLoop(user: SandboxUser, bot: SandboxBot, stop: () => boolean) {
  let timeouts = 0;
  while (!stop()) {
    const status = await buy(user, bot);
    if (status === "timeout") timeouts++;
    else if (status !== "paid") throw new Error(`bench: a payment ended ${status}`);
    await new Promise((resolve) => setTimeout(resolve, payerPauseMs));
  }
  return timeouts;
}

/** Injects text updates at `perSecond` for `durationMs`; resolves with how many. */
async function stream(crowd: readonly Audience[], perSecond: number, durationMs: number) {
  const senders = crowd.flatMap(({ bot, users }) => users.map((user) => ({ bot, user })));
  const started = performance.now();
  let sent = 0;
  for (let elapsed = 0; elapsed < durationMs; elapsed = performance.now() - started) {
    const due = Math.floor((elapsed / 1000) * perSecond);
    for (; sent < due; sent++) {
      const { bot, user } = senders[sent % senders.length];
      await user.send(bot, `message ${sent}`);
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  return sent;
}

async function run(ctx: BenchContext, who: Contender): Promise<PreCheckoutRun> {
  const { tenants, usersPerTenant, loadPerSecond, durationMs, payers } = ctx.sizes.preCheckout;
  await using fleet = await Fleet.start();
  const crowd = audiences(fleet, tenants, usersPerTenant);
  const buyers = fleet.createUsers(payers, "payer")
    .map((user, i) => ({ user, bot: crowd[i % crowd.length].bot }));
  const chats = chatsOf(crowd);
  const { sut } = await launch(ctx, fleet, who.kind, crowd.map((a) => a.bot), who.engine);
  try {
    // Warm-up: every load user once, every payer one purchase; then measure afresh.
    const replies = fleet.replyCounter(chats);
    await inject(crowd, 1);
    await Promise.all(buyers.map(({ user, bot }) => buy(user, bot)));
    await withDeadline(replies.until(chats.length), replyDeadlineMs, `${who.label} warm-up`);
    fleet.preCheckoutWaits.length = 0;

    let streaming = true;
    const paying = Promise.all(buyers.map(({ user, bot }) => payLoop(user, bot, () => !streaming)));
    const startedAt = performance.now();
    const sent = await stream(crowd, loadPerSecond, durationMs);
    const answeredInTime = replies.count - chats.length;
    const elapsedS = (performance.now() - startedAt) / 1000;
    streaming = false;
    const timeouts = (await paying).reduce((sum, n) => sum + n, 0);
    await withDeadline(
      replies.until(chats.length + sent),
      replyDeadlineMs,
      `${who.label}: replies to the last of ${sent} streamed updates`,
    );
    return {
      waits: [...fleet.preCheckoutWaits],
      timeouts,
      answeredPerSecond: answeredInTime / elapsedS,
    };
  } finally {
    await sut.exit();
  }
}

/**
 * Measures pre-checkout latency under load for every contender, `repeats` runs each
 * (alternating), and reports percentiles over every answered query of those runs.
 *
 * @example
 * ```ts ignore
 * await preCheckout({ sizes: benchSizes(false), report, workDir });
 * ```
 */
export async function preCheckout(ctx: BenchContext): Promise<void> {
  const { report, sizes } = ctx;
  const { tenants, loadPerSecond, payers, durationMs, repeats } = sizes.preCheckout;
  report.section(
    `Pre-checkout latency (${payers} payers, ${fmt(loadPerSecond)} text updates/s over ` +
      `${tenants} tenants, ${repeats} runs of ${fmt(durationMs / 1000, 1)} s)`,
  );
  const who = await contenders(ctx);
  const runs = new Map(who.map((contender) => [contender, [] as PreCheckoutRun[]]));
  for (let i = 0; i < repeats; i++) {
    for (const contender of who) runs.get(contender)!.push(await run(ctx, contender));
  }
  const pooled = (c: Contender): Percentiles => percentiles(runs.get(c)!.flatMap((r) => r.waits));
  for (const [contender, all] of runs) {
    const timeouts = all.reduce((sum, r) => sum + r.timeouts, 0);
    const rates = all.map((r) => fmt(r.answeredPerSecond)).join(", ");
    report.line(
      `${contender.label}: ${pooled(contender).count} answered, ` +
        `${timeouts} timed out; load answered at ${rates} updates/s`,
    );
  }
  // `of` names the baseline where the column's usual one (plain grammY) is not it.
  const compare = (on: string, measured: Percentiles, baseline: Percentiles, of = "") => {
    for (const key of ["p50", "p99", "max"] as const) {
      report.row({
        name: `pre-checkout ${key} under load${on} (ms)`,
        target: key === "p99" ? "≤ 50 ms" : "—",
        value: fmt(measured[key], 1),
        baseline: fmt(baseline[key], 1) + of,
        ratio: ratio(measured[key], baseline[key]),
      });
    }
  };
  const [grammy, sqlite, postgres] = who;
  compare("", pooled(sqlite), pooled(grammy));
  if (postgres) compare(" on PostgreSQL", pooled(postgres), pooled(sqlite), " (SQLite)");
}
