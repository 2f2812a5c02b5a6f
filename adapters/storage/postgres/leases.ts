/**
 * Tenant leases and instance heartbeats in PostgreSQL: who may poll and write for a tenant when
 * several instances share one database (the model is Temporal's shard RangeID). Every time is the
 * database's clock (`now()`), never an instance's, so instances whose clocks disagree still agree
 * on who holds what.
 *
 * - **Acquire**: one conditional `UPDATE … WHERE owner IS NULL OR expires_at < now()` that adds
 *   one to `epoch` and returns it. `(tenant_id, epoch)` has a unique index, which makes `epoch` a
 *   key column: the `UPDATE` takes a `FOR UPDATE` row lock, and so waits for every transaction
 *   still fenced on the previous epoch (they hold `FOR KEY SHARE`, see {@linkcode PostgresLeases.holds}).
 *   Once it commits, no write of the old epoch can commit.
 * - **Renew** (every held lease in one statement): `expires_at` only, a non-key column, so its
 *   `FOR NO KEY UPDATE` lock does not wait for the owner's own fenced transactions.
 * - **Release**: `owner = NULL` and expired now, so the next owner takes it without waiting out
 *   the TTL.
 * - **Instances** heartbeat into `cluster_instances`; one whose heartbeat is older than the TTL
 *   is not live, and placement (`actors/cluster/rendezvous.ts`) leaves it out.
 *
 * An instance id must be unique among running instances: acquiring also succeeds over a lease
 * that names this very instance, so that an instance restarted under a fixed id (a Kubernetes
 * pod name) takes its tenants back at once instead of waiting out its earlier life's TTL.
 *
 * @module
 */
import type { Database, SqlRunner } from "../../../money/ports.ts";

/**
 * The check at the start of every fenced transaction (`../fenced_database.ts`): a row only while
 * this instance holds this epoch. `FOR KEY SHARE` keeps a new owner's acquisition waiting until
 * the transaction ends, without blocking the renewals of the lease.
 */
const FENCE_SQL =
  "SELECT epoch FROM tenant_leases WHERE tenant_id = ? AND owner = ? AND epoch = ? FOR KEY SHARE";

/** `now() + ? ms`, in the database's clock. */
const NOW_PLUS_MS = "now() + (?::double precision * interval '1 millisecond')";

/** A lease as this instance acquired it. */
export interface AcquiredLease {
  readonly tenantId: string;
  readonly epoch: number;
  /** Who held it before: `null` when nobody did or it was released, else the owner it expired on. */
  readonly previousOwner: string | null;
}

/** A lease as the table shows it, for `/status`. */
export interface LeaseRow {
  readonly tenantId: string;
  readonly owner: string | null;
  readonly epoch: number;
  /** Whether it is unexpired by the database's clock. */
  readonly live: boolean;
}

/** A held lease to renew. */
export interface HeldLease {
  readonly tenantId: string;
  readonly epoch: number;
}

/** The lease and instance tables of one instance; see the module documentation. */
export class PostgresLeases {
  readonly #db: Database;
  readonly #instanceId: string;
  readonly #ttlMs: number;

  constructor(db: Database, instanceId: string, ttlMs: number) {
    if (db.dialect !== "postgres") {
      throw new Error("tenant leases need PostgreSQL; SQLite runs one instance per file");
    }
    this.#db = db;
    this.#instanceId = instanceId;
    this.#ttlMs = ttlMs;
  }

  /** This instance's id, as written in `owner` and `cluster_instances`. */
  get instanceId(): string {
    return this.#instanceId;
  }

  /** Says this instance is alive (and joins it on the first call). */
  async heartbeat(): Promise<void> {
    await this.#db.run(
      `INSERT INTO cluster_instances (instance_id, started_at, heartbeat_at)
       VALUES (?, now(), now())
       ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = now()`,
      [this.#instanceId],
    );
  }

  /** The instances whose heartbeat is fresher than the TTL, by id. */
  async liveInstances(): Promise<string[]> {
    const rows = await this.#db.all<{ instance_id: string }>(
      `SELECT instance_id FROM cluster_instances
       WHERE heartbeat_at > now() - (?::double precision * interval '1 millisecond')
       ORDER BY instance_id`,
      [this.#ttlMs],
    );
    return rows.map((row) => row.instance_id);
  }

  /**
   * Leaves the cluster: the instance's row goes, so placement moves its tenants at once. Rows
   * of instances gone for a day (crashed, never left) are swept with it.
   */
  async leave(): Promise<void> {
    await this.#db.run(
      `DELETE FROM cluster_instances
       WHERE instance_id = ? OR heartbeat_at < now() - interval '1 day'`,
      [this.#instanceId],
    );
  }

  /** Takes the tenant's lease if nobody holds it (or it expired); `undefined` when held. */
  async acquire(tenantId: string): Promise<AcquiredLease | undefined> {
    await this.#db.run(
      "INSERT INTO tenant_leases (tenant_id) VALUES (?) ON CONFLICT DO NOTHING",
      [tenantId],
    );
    const row = await this.#db.get<{ epoch: number; previous_owner: string | null }>(
      `WITH previous AS (SELECT owner FROM tenant_leases WHERE tenant_id = ?)
       UPDATE tenant_leases
       SET owner = ?, epoch = epoch + 1, expires_at = ${NOW_PLUS_MS}, acquired_at = now()
       WHERE tenant_id = ? AND (owner IS NULL OR owner = ? OR expires_at < now())
       RETURNING epoch, (SELECT owner FROM previous) AS previous_owner`,
      [tenantId, this.#instanceId, this.#ttlMs, tenantId, this.#instanceId],
    );
    if (row === undefined) return undefined;
    return { tenantId, epoch: row.epoch, previousOwner: row.previous_owner };
  }

  /** Renews every lease in `held` in one statement; returns the tenant ids still held. */
  async renew(held: readonly HeldLease[]): Promise<Set<string>> {
    if (held.length === 0) return new Set();
    const rows = await this.#db.all<{ tenant_id: string }>(
      `UPDATE tenant_leases AS l SET expires_at = ${NOW_PLUS_MS}
       FROM json_to_recordset((?::text)::json) AS h(tenant_id text, epoch bigint)
       WHERE l.tenant_id = h.tenant_id AND l.epoch = h.epoch AND l.owner = ?
       RETURNING l.tenant_id`,
      [
        this.#ttlMs,
        JSON.stringify(held.map((h) => ({ tenant_id: h.tenantId, epoch: h.epoch }))),
        this.#instanceId,
      ],
    );
    return new Set(rows.map((row) => row.tenant_id));
  }

  /** Gives a held lease up at once; false when it was not held (any more). */
  async release(lease: HeldLease): Promise<boolean> {
    const { changes } = await this.#db.run(
      `UPDATE tenant_leases SET owner = NULL, expires_at = now()
       WHERE tenant_id = ? AND owner = ? AND epoch = ?`,
      [lease.tenantId, this.#instanceId, lease.epoch],
    );
    return changes === 1;
  }

  /** Every lease, by tenant id. */
  async all(): Promise<LeaseRow[]> {
    const rows = await this.#db.all<
      { tenant_id: string; owner: string | null; epoch: number; live: boolean }
    >(
      `SELECT tenant_id, owner, epoch, (owner IS NOT NULL AND expires_at > now()) AS live
       FROM tenant_leases ORDER BY tenant_id`,
    );
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      owner: row.owner,
      epoch: row.epoch,
      live: row.live,
    }));
  }

  /** Whether this instance holds `lease`, checked inside `tx` with the fence's row lock. */
  async holds(tx: SqlRunner, lease: HeldLease): Promise<boolean> {
    const row = await tx.get(FENCE_SQL, [lease.tenantId, this.#instanceId, lease.epoch]);
    return row !== undefined;
  }
}
