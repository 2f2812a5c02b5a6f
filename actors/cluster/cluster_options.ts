/**
 * What a runtime needs to run as one of several instances on one PostgreSQL database, and how
 * `main.ts` (and the benchmark, which runs the same configuration) builds it.
 *
 * @module
 */
import type { ClusterSignal, LeaseTable, LeaseTimings } from "./lease_keeper.ts";
import { instanceConnectionName, PostgresLeases } from "../../adapters/storage/postgres/leases.ts";
import { clusterChannels } from "../../adapters/storage/postgres/cluster_channels.ts";

/**
 * Several instances on one PostgreSQL database: each tenant runs on the one instance that holds
 * its lease, and webhooks may arrive at any of them.
 */
export interface ClusterOptions {
  /** The lease and instance tables, as this instance (`adapters/storage/postgres/leases.ts`). */
  leases: LeaseTable;
  timings: LeaseTimings;
  /** Join, leave and release notices between instances (`LISTEN/NOTIFY`). */
  changes?: ClusterSignal;
  /** Tells a tenant's owner that another instance recorded updates in its inbox, and hears it. */
  inbox?: {
    notify(tenantId: string): Promise<void>;
    listen(onTenant: (tenantId: string) => void): Promise<() => Promise<void>>;
  };
}

/** {@linkcode ClusterOptions} over a connection pool of their own, and how to close it. */
export interface OpenCluster {
  options: ClusterOptions;
  /** Closes the leases' connections; after the runtime has stopped (it releases its leases). */
  close(): Promise<void>;
}

/**
 * Joins the cluster on the PostgreSQL database at `url` as `instanceId`. The leases get two
 * connections of their own: queued behind a burst of the tenants' writes on the shared pool, a
 * renewal could come too late, and every lease lapse under load. Throws a `StorageError`
 * naming the server when it cannot connect.
 */
export async function openCluster(
  url: string,
  instanceId: string,
  timings: LeaseTimings,
): Promise<OpenCluster> {
  // Loaded here, not at start: a process on SQLite never needs PostgreSQL's driver.
  const { PostgresDatabase } = await import("../../adapters/storage/postgres/postgres.ts");
  const db = await PostgresDatabase.open(url, {
    maxConnections: 2,
    applicationName: `${instanceConnectionName(instanceId)}:leases`,
  });
  return {
    options: {
      leases: new PostgresLeases(db, instanceId, timings.ttlMs),
      timings,
      ...clusterChannels(db, instanceId),
    },
    close: () => db.close(),
  };
}
