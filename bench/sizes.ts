/**
 * How big each benchmark is: the full size (`deno task bench`, a few minutes on two cores) and
 * the smoke size (`--quick` or `BENCH_QUICK=1`, a few seconds, to prove every section runs).
 *
 * @example
 * ```ts
 * import { benchSizes } from "./sizes.ts";
 * const sizes = benchSizes(true);
 * sizes.throughput.tenantCounts; // [2, 4]
 * ```
 * @module
 */

/**
 * Every knob of every section.
 *
 * @example
 * ```ts
 * import type { BenchSizes } from "./sizes.ts";
 * const ledger: BenchSizes["ledger"] = { operations: 10, writers: 2, operationsPerWriter: 5 };
 * ```
 */
export interface BenchSizes {
  throughput: {
    /** Tenant counts to run, each a separate run. */
    tenantCounts: number[];
    /** Those of them at which the runtime also runs on PostgreSQL. */
    postgresTenantCounts: number[];
    /** Updates per run, spread evenly over the tenants and their users. */
    updates: number;
    usersPerTenant: number;
    /**
     * Updates per run of the `/start` workload (issue 15): each from a user of its own, answered
     * by the runtime's built-in `/start`, so every update is a new user and a new lane.
     */
    startUpdates: number;
    /** Runs per kind and tenant count; the median is reported. */
    repeats: number;
  };
  preCheckout: {
    tenants: number;
    usersPerTenant: number;
    /** Text updates per second injected while the payers pay. */
    loadPerSecond: number;
    durationMs: number;
    /** Users paying invoices in a loop, each with a different tenant. */
    payers: number;
    /** Runs per kind; the percentiles are over the queries of all of them. */
    repeats: number;
  };
  memory: {
    /** Idle tenant counts, each measured in a fresh process (0 gives the fixed cost). */
    tenantCounts: number[];
    /** Idle time before measuring, so start-up garbage is gone and timers settled. */
    settleMs: number;
    /** Fresh processes per kind and count; the medians are reported. */
    repeats: number;
  };
  ledger: {
    /** Operations of the single writer (deposits and deducts alternating). */
    operations: number;
    /** Concurrent writers, each on its own user. */
    writers: number;
    operationsPerWriter: number;
  };
  balance: {
    tenants: number;
    /** Concurrent asks per round, spread over the tenants. */
    asks: number;
    /** Rounds, one cache TTL apart: each should cost one upstream call per tenant. */
    rounds: number;
    ttlMs: number;
  };
  failover: {
    /** `main.ts` processes on the one PostgreSQL database. */
    instances: number;
    /** Polling tenants spread over them. */
    tenants: number;
    /** Lease timings to measure, each in a deployment of its own, `kills` times. */
    leases: { ttlMs: number; renewMs: number; kills: number }[];
    /** The user's pace: one message to the tenant every this many ms, before and after the kill. */
    sendEveryMs: number;
  };
}

/**
 * Sizes for a full run, or for the quick smoke run.
 *
 * @example
 * ```ts
 * import { benchSizes } from "./sizes.ts";
 * benchSizes(false).memory.tenantCounts; // [0, 1, 100, 1000]
 * ```
 */
export function benchSizes(quick: boolean): BenchSizes {
  if (quick) {
    return {
      throughput: {
        tenantCounts: [2, 4],
        postgresTenantCounts: [2],
        updates: 80,
        usersPerTenant: 2,
        startUpdates: 8,
        repeats: 1,
      },
      preCheckout: {
        tenants: 2,
        usersPerTenant: 2,
        loadPerSecond: 100,
        durationMs: 500,
        payers: 2,
        repeats: 1,
      },
      memory: { tenantCounts: [0, 1, 4], settleMs: 100, repeats: 1 },
      ledger: { operations: 200, writers: 4, operationsPerWriter: 25 },
      balance: { tenants: 2, asks: 50, rounds: 2, ttlMs: 200 },
      // The cluster tests' short leases. (main.ts accepts LEASE_TTL_MS from 2 s, but below about
      // 2.6 s a tenant's poll window, 0.8 × TTL minus the lease's age, never reaches the 2 s a
      // getUpdates needs, and the tenant never polls: reported to the cluster's owner.)
      failover: {
        instances: 2,
        tenants: 2,
        leases: [{ ttlMs: 3_000, renewMs: 1_000, kills: 1 }],
        sendEveryMs: 50,
      },
    };
  }
  return {
    throughput: {
      tenantCounts: [10, 100],
      postgresTenantCounts: [10, 100],
      updates: 6_000,
      usersPerTenant: 10,
      // 10 bots × 1,000 users and 100 bots × 100 users: the workload.
      startUpdates: 10_000,
      repeats: 3,
    },
    preCheckout: {
      tenants: 100,
      usersPerTenant: 10,
      loadPerSecond: 1_000,
      durationMs: 10_000,
      payers: 20,
      repeats: 2,
    },
    memory: { tenantCounts: [0, 1, 100, 1_000], settleMs: 1_000, repeats: 3 },
    ledger: { operations: 5_000, writers: 50, operationsPerWriter: 100 },
    balance: { tenants: 10, asks: 1_000, rounds: 3, ttlMs: 1_000 },
    // Short leases as the cluster tests use them, then once with the defaults (15 s / 5 s).
    failover: {
      instances: 3,
      tenants: 6,
      leases: [{ ttlMs: 3_000, renewMs: 1_000, kills: 5 }, {
        ttlMs: 15_000,
        renewMs: 5_000,
        kills: 1,
      }],
      sendEveryMs: 50,
    },
  };
}
