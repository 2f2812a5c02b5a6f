/**
 * `kill -9` of an owner in the middle of a purchase: the instance dies the moment its bot
 * approves a pre-checkout query, so Telegram charges the buyer and the `successful_payment`
 * update reaches nobody, or an instance about to die. Its tenants must run elsewhere within
 * TTL + one renewal interval, that payment must be credited once by the new owner, and the stream
 * must go on.
 */
import { assertClusterInvariants } from "../../support/cluster_invariants.ts";
import { assertServedElsewhere, clusterWorld, INSTANCES } from "../../support/cluster_world.ts";

export async function killOwnerDuringPurchases(): Promise<void> {
  await using world = await clusterWorld();
  const { cluster, stream, tap } = world;
  const victim = INSTANCES[0];
  const victimBots = new Set(cluster.tenantsOf(victim, INSTANCES).map((t) => cluster.bots.get(t)));

  let killedAt = 0;
  await tap.next(
    (bot, call) => victimBots.has(bot) && call.method === "answerPreCheckoutQuery" && call.ok,
    () => {
      cluster.instance(victim).process.signal("SIGKILL");
      killedAt = Date.now();
    },
  );
  await cluster.instance(victim).process.exited();
  await assertServedElsewhere(world, victim, killedAt);

  await stream.stop();
  await assertClusterInvariants(cluster, stream);
}
