/**
 * Failover: several `main.ts` instances on one PostgreSQL database (issue 10), each running the
 * polling tenants whose lease it holds. A user keeps writing to one tenant (one message every
 * `sendEveryMs`, each answered by the reply plugin); its owner, found in `/status`, is killed
 * with SIGKILL at a random point of its renewal cycle, and the clock runs from the kill to the
 * first reply the sandbox accepts after the owner is gone — the first update the new owner
 * applied. That includes the lease running out (≤ TTL after its last renewal), another
 * instance noticing (≤ one renewal interval), and the tenant starting there (its Bot API
 * checks, the first `getUpdates`, the plugin's worker), so it is set next to the bound
 * TTL + renewal interval within which the cluster tests require the tenant to be owned again.
 *
 * After each kill the instance is started again under its id (a restarted pod), and the next
 * kill waits until every tenant is back where rendezvous hashing places it; the kills go round
 * the tenants, so different instances die. Each lease timing gets a deployment of its own.
 *
 * @example
 * ```ts ignore
 * import { failover } from "./failover.ts";
 * await failover(ctx);
 * ```
 * @module
 */
import type { SandboxBot } from "../sandbox/mod.ts";
import { desiredOwner } from "../actors/cluster/rendezvous.ts";
import { ClusterInstance } from "./cluster_instance.ts";
import type { BenchContext } from "./context.ts";
import { Fleet } from "./fleet.ts";
import type { BenchPostgres } from "./postgres.ts";
import type { BenchSizes } from "./sizes.ts";
import { fmt, median, ratio, withDeadline } from "./stats.ts";
import type { SutBot } from "./sut/plan.ts";

type Lease = BenchSizes["failover"]["leases"][number];

/** The reply plugin every section's tenants use, copied into each deployment's config folder. */
const replyPlugin = new URL("./config/plugins/reply.ts", import.meta.url);

/** Longest wait for the tenants to settle where placement puts them after a (re)start. */
const settleDeadlineMs = 60_000;

/**
 * Writes a config folder with one polling tenant per bot (token from `<ID>_TOKEN`, the reply
 * plugin) and returns it with the environment the instances share.
 */
async function deployment(
  ctx: BenchContext,
  fleet: Fleet,
  tenants: readonly SutBot[],
): Promise<{ dir: string; tokens: Record<string, string> }> {
  const dir = await Deno.makeTempDir({ dir: ctx.workDir, prefix: "failover-" });
  await Deno.mkdir(`${dir}/tenants`);
  await Deno.mkdir(`${dir}/plugins`);
  await Deno.copyFile(replyPlugin, `${dir}/plugins/reply.ts`);
  const tokens: Record<string, string> = {};
  for (const { id, token } of tenants) {
    const variable = `${id.toUpperCase()}_TOKEN`;
    tokens[variable] = token;
    const file = {
      token: `env:${variable}`,
      apiRoot: fleet.sandbox.apiRoot,
      plugin: "plugins/reply.ts",
    };
    await Deno.writeTextFile(`${dir}/tenants/${id}.json`, JSON.stringify(file));
  }
  return { dir, tokens };
}

/**
 * Waits until every tenant runs on exactly one instance, the one rendezvous hashing gives it
 * among `live`, by every instance's `/status`; returns each tenant's owner.
 */
async function settled(
  live: ReadonlyMap<string, ClusterInstance>,
  tenants: readonly string[],
): Promise<Map<string, ClusterInstance>> {
  let seen = "";
  const check = async () => {
    const running = new Map<string, string[]>();
    for (const instance of live.values()) {
      const { tenants: views } = await instance.status();
      for (const view of views.filter((v) => v.state === "running")) {
        running.set(view.id, [...running.get(view.id) ?? [], instance.id]);
      }
    }
    seen = JSON.stringify(Object.fromEntries(running));
    const ids = [...live.keys()];
    return tenants.every((t) => running.get(t)?.join() === desiredOwner(t, ids));
  };
  await withDeadline(
    (async () => {
      while (!await check().catch(() => false)) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })(),
    settleDeadlineMs,
    `tenants settling on their instances (last seen ${seen})`,
  );
  const ids = [...live.keys()];
  return new Map(tenants.map((t) => [t, live.get(desiredOwner(t, ids)!)!]));
}

/**
 * A user writes to `bot` every `sendEveryMs`; once a reply shows the tenant is served, `owner`
 * is killed. Resolves with the ms from the kill to the first reply after the owner was gone.
 */
async function killOwner(
  fleet: Fleet,
  bot: SandboxBot,
  owner: ClusterInstance,
  lease: Lease,
  sendEveryMs: number,
): Promise<number> {
  const [user] = fleet.createUsers(1, "failover sender");
  const replies = fleet.replyCounter([user.id]);
  let sending = true;
  const sender = (async () => {
    for (let n = 0; sending; n++) {
      await user.send(bot, `ping ${n}`);
      await new Promise((resolve) => setTimeout(resolve, sendEveryMs));
    }
  })();
  try {
    await withDeadline(replies.until(1), settleDeadlineMs, `a reply from ${owner.id}`);
    // Anywhere in the renewal cycle: right after a renewal the lease has its whole TTL to run.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * lease.renewMs));
    const killedAt = performance.now();
    await owner.kill();
    // Counted once the process is gone: any reply from here on comes from the new owner.
    const answeredAt = await withDeadline(
      replies.until(replies.count + 1),
      lease.ttlMs + lease.renewMs + settleDeadlineMs,
      `a reply from the new owner after killing ${owner.id}`,
    );
    return answeredAt - killedAt;
  } finally {
    sending = false;
    await sender;
  }
}

/** One deployment with `lease` timings; resolves with the failover time of each kill, in ms. */
async function measure(ctx: BenchContext, server: BenchPostgres, lease: Lease): Promise<number[]> {
  const { instances, tenants, sendEveryMs } = ctx.sizes.failover;
  await using fleet = await Fleet.start();
  const bots = fleet.createBots(tenants);
  const planned = Fleet.planBots(bots);
  const { dir, tokens } = await deployment(ctx, fleet, planned);
  const env = {
    CONFIG_DIR: dir,
    DATABASE_URL: await server.createDatabase("failover"),
    LEASE_TTL_MS: String(lease.ttlMs),
    LEASE_RENEW_MS: String(lease.renewMs),
    ...tokens,
  };
  const ids = Array.from({ length: instances }, (_, i) => `bench-${i + 1}`);
  const live = new Map(ids.map((id) => [id, ClusterInstance.start(id, env)]));
  const tenantIds = planned.map((t) => t.id);
  const times: number[] = [];
  try {
    await Promise.all([...live.values()].map((instance) => instance.answering()));
    for (let kill = 0; kill < lease.kills; kill++) {
      const owners = await settled(live, tenantIds);
      const target = kill % tenantIds.length;
      const owner = owners.get(tenantIds[target])!;
      times.push(await killOwner(fleet, bots[target], owner, lease, sendEveryMs));
      if (kill + 1 === lease.kills) break;
      const restarted = ClusterInstance.start(owner.id, env);
      live.set(owner.id, restarted);
      await restarted.answering();
    }
    return times;
  } catch (error) {
    const output = [...live.values()].map((i) => `--- ${i.id}\n${i.output}`).join("\n");
    throw new Error(`${(error as Error).message}\n${output}`, { cause: error });
  } finally {
    await Promise.all([...live.values()].map((instance) => instance.kill()));
  }
}

/**
 * Measures failover for every lease timing of the sizes and reports the median and maximum
 * next to TTL + renewal interval. Skipped (with a line saying so) where the run skips
 * PostgreSQL.
 *
 * @example
 * ```ts ignore
 * await failover({ sizes: benchSizes(false), report, workDir, postgres });
 * ```
 */
export async function failover(ctx: BenchContext): Promise<void> {
  const { report, sizes } = ctx;
  const { instances, tenants, sendEveryMs } = sizes.failover;
  report.section(
    `Failover (kill -9 of a tenant's owner → first reply from its new owner; ${instances} ` +
      `main.ts instances on PostgreSQL, ${tenants} polling tenants, a message every ${sendEveryMs} ms)`,
  );
  const server = await ctx.postgres();
  if (server === undefined) {
    report.line("skipped: PostgreSQL is not installed here");
    return;
  }
  for (const lease of sizes.failover.leases) {
    const times = await measure(ctx, server, lease);
    const bound = lease.ttlMs + lease.renewMs;
    const timings = `TTL ${fmt(lease.ttlMs / 1000, 1)} s, renewal ${
      fmt(lease.renewMs / 1000, 1)
    } s`;
    report.line(`${timings}: ${times.map((ms) => fmt(ms)).join(", ")} ms`);
    const stats: [string, number][] = times.length > 1
      ? [[`median of ${times.length}`, median(times)], [
        `max of ${times.length}`,
        Math.max(...times),
      ]]
      : [["one kill", times[0]]];
    for (const [what, ms] of stats) {
      report.row({
        name: `failover, ${timings}, ${what} (ms)`,
        target: "—",
        value: fmt(ms),
        baseline: `${fmt(bound)} (TTL + renewal)`,
        ratio: ratio(ms, bound),
      });
    }
  }
}
