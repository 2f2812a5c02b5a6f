/**
 * The starting point of every cluster test: a sandbox whose calls a test can act on
 * ({@linkcode CallTap}), four shop tenants on PostgreSQL, instances `a`, `b` and `c` (those in
 * `running` started and serving their tenants where rendezvous placement puts them), and a stream
 * of purchases that has been paid at least once on every tenant. Disposing stops the stream,
 * kills the instances, drops the schema and closes the sandbox.
 *
 * @example
 * ```ts ignore
 * await using world = await clusterWorld();
 * world.cluster.pause("a");
 * ```
 * @module
 */
import { Sandbox } from "../../sandbox/mod.ts";
import { ClusterDeployment } from "./cluster_deployment.ts";
import { CallTap, PurchaseStream } from "./cluster_shoppers.ts";
import { assertReownedWithin } from "./cluster_invariants.ts";

/** Four tenants: with three instances, placement leaves no instance idle for long. */
export const TENANTS = ["alpha", "bravo", "charlie", "delta"] as const;
/** The instances a test may start. */
export const INSTANCES = ["a", "b", "c"] as const;

/** See the module documentation. */
export interface ClusterWorld extends AsyncDisposable {
  sandbox: Sandbox;
  tap: CallTap;
  cluster: ClusterDeployment;
  stream: PurchaseStream;
}

/**
 * Starts the instances of `running` and the stream; `placements` are the sets of instances the
 * test will run together, each giving every one of its instances a tenant.
 */
export async function clusterWorld(
  running: readonly string[] = INSTANCES,
  placements: readonly (readonly string[])[] = [running],
): Promise<ClusterWorld> {
  const tap = new CallTap();
  const sandbox = await Sandbox.start({ onCall: tap.onCall });
  let cluster: ClusterDeployment | undefined;
  let stream: PurchaseStream | undefined;
  const dispose = async () => {
    // The instances and the sandbox go first: a shopper waiting for one of them ends at once.
    const stopping = stream?.stop();
    await cluster?.[Symbol.asyncDispose]();
    await sandbox.close();
    await stopping;
  };
  try {
    const deployment = await ClusterDeployment.create(sandbox, TENANTS, INSTANCES, placements);
    cluster = deployment;
    await Promise.all(running.map((name) => deployment.start(name)));
    await deployment.waitPlaced(running);
    const purchases = PurchaseStream.start(sandbox, deployment.bots, () => deployment.logs(40));
    stream = purchases;
    await purchases.waitPaid(
      "a purchase paid on every tenant",
      (paid) => TENANTS.every((tenant) => paid.some((p) => p.tenant === tenant)),
    );
    return {
      sandbox,
      tap,
      cluster: deployment,
      stream: purchases,
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/**
 * After instance `victim` was killed or paused at `since` (`Date.now()`): the other instances
 * own its tenants within TTL + one renewal interval and sell on each of them again.
 */
export async function assertServedElsewhere(
  world: ClusterWorld,
  victim: string,
  since: number,
): Promise<void> {
  const { cluster, stream } = world;
  const survivors = INSTANCES.filter((name) => name !== victim);
  const moved = cluster.tenantsOf(victim, INSTANCES);
  await assertReownedWithin(cluster, survivors, moved, since, { kind: "failover" });
  for (const tenant of moved) await stream.waitPaidOn(tenant, since);
}

/**
 * Resumes the paused `victim` and waits until it has found each of its leases lost (it stops
 * those tenants) and rejoined: with its heartbeat back, placement hands its tenants back to it.
 */
export async function resumeAndRejoin(world: ClusterWorld, victim: string): Promise<void> {
  const { cluster } = world;
  const from = cluster.instance(victim).process.log.length;
  cluster.resume(victim);
  for (const tenant of cluster.tenantsOf(victim, INSTANCES)) {
    await cluster.waitForTenantLog(victim, tenant, "lease lost", from);
  }
  await cluster.waitPlaced(INSTANCES);
}
