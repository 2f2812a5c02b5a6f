/**
 * SIGSTOP of an owner for longer than the lease TTL, then SIGCONT. Paused the moment its bot
 * approves a pre-checkout query, it holds that payment's update unconfirmed (or unread in its
 * socket) and still believes it owns its tenants. The others must take them over within
 * TTL + one renewal interval and credit that payment; once resumed, the paused instance must find
 * its leases lost and stop those tenants without touching their bots (a late write of its own is
 * refused by the fence), and then rejoin: placement gives it its tenants back, each time at a new
 * epoch.
 */
import { assertEquals, assertTrue } from "../../support/assert.ts";
import { assertClusterInvariants } from "../../support/cluster_invariants.ts";
import {
  assertServedElsewhere,
  clusterWorld,
  INSTANCES,
  resumeAndRejoin,
} from "../../support/cluster_world.ts";

export async function pauseOwnerPastTtl(): Promise<void> {
  await using world = await clusterWorld();
  const { cluster, stream, tap } = world;
  const victim = INSTANCES[0];
  const moved = cluster.tenantsOf(victim, INSTANCES);
  const victimBots = new Set(moved.map((tenant) => cluster.bots.get(tenant)));
  const before = await cluster.leases();

  let pausedAt = 0;
  await tap.next(
    (bot, call) => victimBots.has(bot) && call.method === "answerPreCheckoutQuery" && call.ok,
    () => {
      cluster.pause(victim);
      pausedAt = Date.now();
    },
  );
  await assertServedElsewhere(world, victim, pausedAt);
  await resumeAndRejoin(world, victim);
  const after = await cluster.leases();
  for (const tenant of moved) {
    assertTrue(
      after.get(tenant)!.epoch >= before.get(tenant)!.epoch + 2,
      `${tenant}: taken over, then handed back, each at a new epoch`,
    );
    assertEquals(cluster.nameOf(after.get(tenant)!.owner), victim);
  }

  await stream.stop();
  await assertClusterInvariants(cluster, stream);
}
