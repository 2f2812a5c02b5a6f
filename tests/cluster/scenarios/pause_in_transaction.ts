/**
 * SIGSTOP of an instance inside a fenced transaction: under the purchase stream, the test watches
 * `pg_stat_activity` until one of the instance's backends waits idle in a transaction that holds
 * the fence's lock on `tenant_leases`, and stops the instance right then (retrying when the
 * transaction had moved on before the signal landed). The transaction's lock would hold any new
 * owner's acquisition back, so the server must end it (`idle_in_transaction_session_timeout`),
 * the others must take the tenants over within TTL + one renewal interval, and after SIGCONT the
 * instance must find its transaction gone and its leases lost — nothing it had in hand is
 * applied twice. (A backend the instance left in the middle of a statement's messages is
 * `active`, not idle, and no server timeout ends it; the new owner terminates it, see
 * `adapters/storage/postgres/leases.ts`. That case came up here about one run in five.)
 */
import { postgresCluster } from "../../support/postgres_cluster.ts";
import { assertStringIncludes } from "../../support/assert.ts";
import { Backends } from "../../support/cluster_backends.ts";
import type { ClusterDeployment } from "../../support/cluster_deployment.ts";
import { assertClusterInvariants } from "../../support/cluster_invariants.ts";
import {
  assertServedElsewhere,
  clusterWorld,
  INSTANCES,
  resumeAndRejoin,
} from "../../support/cluster_world.ts";
import { PROCESS_WAIT_MS } from "../../support/deployment.ts";
import { waitUntil } from "../../support/wait.ts";

/** How long the test may look for the moment before giving up. */
const CATCH_WITHIN_MS = 30_000;

export async function pauseInsideFencedTransaction(): Promise<void> {
  await using world = await clusterWorld();
  const { cluster, stream } = world;
  const victim = INSTANCES[0];
  await using backends = Backends.open(cluster.databaseUrl);

  const { pid, pausedAt } = await pauseInFence(cluster, backends, victim);
  await waitUntil(
    "the server ending the paused transaction",
    async () => !await backends.alive(pid),
    PROCESS_WAIT_MS,
  );
  const serverLog = (await postgresCluster()).log();
  const ended = serverLog.split("\n").find((line) =>
    line.includes(`[${pid}]`) && line.includes("idle-in-transaction timeout")
  );
  assertStringIncludes(ended ?? serverLog, "terminating connection due to idle-in-transaction");
  await assertServedElsewhere(world, victim, pausedAt);
  await resumeAndRejoin(world, victim);

  await stream.stop();
  await assertClusterInvariants(cluster, stream);
}

/**
 * Stops `name` while one of its backends is inside a fenced transaction, and checks that it
 * still is once stopped (so the instance is frozen inside it); resumes and tries again otherwise.
 */
async function pauseInFence(
  cluster: ClusterDeployment,
  backends: Backends,
  name: string,
): Promise<{ pid: number; pausedAt: number }> {
  const id = cluster.idOf(name);
  const deadline = Date.now() + CATCH_WITHIN_MS;
  while (Date.now() < deadline) {
    const [pid] = await backends.fencedIdle(id);
    if (pid === undefined) continue;
    cluster.pause(name);
    const pausedAt = Date.now();
    // A statement sent just before the signal still runs: let it, then the backend counts only
    // if it has been waiting since before the signal (the server's log confirms it later).
    await new Promise((resolve) => setTimeout(resolve, 50));
    if ((await backends.fencedIdle(id, pausedAt)).includes(pid)) return { pid, pausedAt };
    cluster.resume(name);
  }
  throw new Error(`instance ${name} was never caught inside a fenced transaction`);
}
