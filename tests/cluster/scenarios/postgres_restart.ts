/**
 * PostgreSQL restarted under load (`pg_ctl restart -m fast`: every connection cut, every open
 * transaction rolled back) while three instances serve the purchase stream. The instances must
 * reconnect on their own; every tenant must be running where placement puts it within TTL + one
 * renewal interval of the server being back (most keep their leases through a short restart),
 * and the stream must go on with every charge credited once.
 */
import { assertClusterInvariants, assertReownedWithin } from "../../support/cluster_invariants.ts";
import { clusterWorld, INSTANCES, TENANTS } from "../../support/cluster_world.ts";
import { restartPostgres } from "../../support/postgres_cluster.ts";

export async function restartPostgresUnderLoad(): Promise<void> {
  await using world = await clusterWorld();
  const { cluster, stream } = world;

  await restartPostgres();
  const backAt = Date.now();
  await assertReownedWithin(cluster, INSTANCES, TENANTS, backAt);
  for (const tenant of TENANTS) await stream.waitPaidOn(tenant, backAt);

  await stream.stop();
  await assertClusterInvariants(cluster, stream);
}
