/**
 * An instance joining and one leaving, under the purchase stream. `a` and `b` run; `c` joins and
 * takes the tenants placement now gives it, handed over by their owners (drained and released,
 * not waited out); then `a` leaves with SIGTERM, exits 0, and its tenants move at once, without
 * waiting for its leases to expire.
 */
import { assertEquals } from "../../support/assert.ts";
import { LEASE_TTL_MS } from "../../support/cluster_deployment.ts";
import { assertClusterInvariants, assertReownedWithin } from "../../support/cluster_invariants.ts";
import { clusterWorld, INSTANCES } from "../../support/cluster_world.ts";

export async function joinAndLeave(): Promise<void> {
  const [leaver, stayer, joiner] = INSTANCES;
  const before = [leaver, stayer];
  const after = [stayer, joiner];
  await using world = await clusterWorld(before, [before, INSTANCES, after]);
  const { cluster, stream } = world;

  await cluster.start(joiner);
  const joinedAt = Date.now();
  const won = cluster.tenantsOf(joiner, INSTANCES);
  await assertReownedWithin(cluster, INSTANCES, won, joinedAt, { kind: "handover" });
  for (const tenant of won) await stream.waitPaidOn(tenant, joinedAt);

  const left = cluster.tenantsOf(leaver, INSTANCES);
  const leftAt = Date.now();
  const exit = await cluster.instance(leaver).process.stop("SIGTERM");
  assertEquals(exit.code, 0, cluster.instance(leaver).process.log);
  // A graceful stop hands over: well before a crashed owner's leases would lapse.
  await assertReownedWithin(cluster, after, left, leftAt, {
    kind: "handover",
    boundMs: LEASE_TTL_MS,
  });
  for (const tenant of left) {
    await cluster.waitForTenantLog(leaver, tenant, "lease released");
    await stream.waitPaidOn(tenant, leftAt);
  }

  await stream.stop();
  await assertClusterInvariants(cluster, stream);
}
