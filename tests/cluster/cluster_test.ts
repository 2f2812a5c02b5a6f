/**
 * Several instances on one PostgreSQL database with fenced tenant leases, each as its own
 * `main.ts` process, against the sandbox, under a stream of purchases (issue 10). Every test ends
 * with the same invariants (`tests/support/cluster_invariants.ts`): never two overlapping pollers
 * for a token, every charge credited exactly once, no update lost; and each checks that every
 * tenant it disturbed is owned again within TTL + one renewal interval.
 *
 * The scenarios live in `scenarios/`, one file each; they are registered here, in one test
 * module, so that they share one throwaway PostgreSQL server (`postgres_cluster.ts` starts one
 * per module), each with a schema of its own. Leases are short (3 s TTL, 1 s renewal), so the
 * whole file runs in about two minutes. Without PostgreSQL installed the tests are skipped,
 * except under `CI=true`, where they fail.
 */
import { postgresIgnored } from "../support/postgres_cluster.ts";
import { joinAndLeave } from "./scenarios/join_and_leave.ts";
import { killOwnerDuringPurchases } from "./scenarios/kill_owner.ts";
import { pauseInsideFencedTransaction } from "./scenarios/pause_in_transaction.ts";
import { pauseOwnerPastTtl } from "./scenarios/pause_owner.ts";
import { restartPostgresUnderLoad } from "./scenarios/postgres_restart.ts";

const scenarios: [string, () => Promise<void>][] = [
  ["kill -9 of an owner during a stream of purchases", killOwnerDuringPurchases],
  [
    "SIGSTOP of an owner past the TTL, then SIGCONT: it stops its tenants and rejoins",
    pauseOwnerPastTtl,
  ],
  [
    "SIGSTOP inside a fenced transaction: the server ends it and the others take over",
    pauseInsideFencedTransaction,
  ],
  ["an instance joining and one leaving hand tenants over", joinAndLeave],
  ["PostgreSQL restarted under load", restartPostgresUnderLoad],
];

for (const [name, fn] of scenarios) {
  Deno.test({ name: `cluster: ${name}`, ignore: postgresIgnored, fn });
}
