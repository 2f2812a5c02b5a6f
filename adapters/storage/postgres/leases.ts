/**
 * Tenant leases and instance heartbeats in PostgreSQL: who may poll and write for a tenant when
 * several instances share one database (the model is Temporal's shard RangeID). Every time is the
 * database's clock (`now()`), never an instance's, so instances whose clocks disagree still agree
 * on who holds what.
 *
 * - **Acquire**: one conditional `UPDATE … WHERE owner IS NULL OR expires_at < now()` that adds
 *   one to `epoch` and returns it. `(tenant_id, epoch)` has a unique index, which makes `epoch` a
 *   key column: the `UPDATE` needs a `FOR UPDATE` row lock, which conflicts with every
 *   transaction still fenced on the previous epoch (they hold `FOR KEY SHARE`, see
 *   {@linkcode PostgresLeases.holds}). It takes that lock with `SKIP LOCKED`: while such a
 *   transaction is open the lease counts as held, and the lease keeper tries again on its next
 *   pass. Waiting for the lock instead would hold up the keeper's pass — and with it the renewals
 *   of every lease the instance holds — for as long as a paused former owner's transaction lives
 *   (up to `statement_timeout`, longer than a short TTL). Once an acquisition commits, no write
 *   of the old epoch can commit.
 * - **Renew** (every held lease in one statement): `expires_at` only, a non-key column, so its
 *   `FOR NO KEY UPDATE` lock does not wait for the owner's own fenced transactions.
 * - **Release**: `owner = NULL` and expired now, so the next owner takes it without waiting out
 *   the TTL.
 * - **Former owners' stragglers**: `idle_in_transaction_session_timeout` ends a transaction that
 *   a paused instance left waiting between statements, but not one it left in the middle of a
 *   statement's messages (sent, say, `Execute` but not yet `Sync`): the server shows that
 *   backend `active`, waiting for the client, and no timeout ever ends it. Its fence lock would
 *   keep the lease from every new owner until the instance woke up. So when an acquisition finds
 *   the lease expired, held by an instance that is no longer live, and locked,
 *   {@linkcode PostgresLeases.endStragglers} terminates that instance's backends still inside a
 *   transaction (`pg_terminate_backend`: allowed on backends of the same database role). They
 *   are recognised by their `application_name`, {@linkcode instanceConnectionName}.
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

/**
 * {@linkcode FENCE_SQL} for many leases at once, one fixed statement text whatever their number:
 * the leases as a JSON array of `{ t: tenant id, e: epoch }` (sent as text; see the inbox's
 * `MARK_DONE_SQL`). It returns the rows of those still held, each under the same lock.
 */
const FENCES_SQL = `SELECT lease.tenant_id, lease.epoch
  FROM tenant_leases AS lease
  JOIN jsonb_to_recordset(CAST(? AS TEXT)::jsonb) AS asked(t TEXT, e BIGINT)
    ON lease.tenant_id = asked.t AND lease.epoch = asked.e
  WHERE lease.owner = ?
  FOR KEY SHARE OF lease`;

/** The start of an instance's connection names: see {@linkcode instanceConnectionName}. */
const CONNECTION_NAME_PREFIX = "constellation:";

/**
 * The `application_name` of the connections an instance does its tenants' work on (`main.ts`),
 * by which {@linkcode PostgresLeases.endStragglers} finds a former owner's backends.
 */
export function instanceConnectionName(instanceId: string): string {
  return `${CONNECTION_NAME_PREFIX}${instanceId}`;
}

/**
 * How long {@linkcode PostgresLeases.endStragglers} waits for each terminated backend to be gone
 * (and its locks with it), so that the acquisition right after it can succeed. A backend exits
 * within milliseconds of the signal; a second covers a busy server.
 */
const STRAGGLER_EXIT_WAIT_MS = 1_000;

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

/** A lease as one string, to look it up among those held. */
function leaseKey(tenantId: string, epoch: number): string {
  return `${epoch}:${tenantId}`;
}

/** The lease and instance tables of one instance; see the module documentation. */
export class PostgresLeases {
  readonly #db: Database;
  readonly #instanceId: string;
  /** The leases asked together on each transaction this turn, and their one answer. */
  readonly #asked = new WeakMap<SqlRunner, { leases: HeldLease[]; held: Promise<Set<string>> }>();
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

  /**
   * Takes the tenant's lease if nobody holds it (or it expired) and no transaction of an earlier
   * epoch is still open; `undefined` otherwise. Never waits for a lock.
   */
  async acquire(tenantId: string): Promise<AcquiredLease | undefined> {
    await this.#db.run(
      "INSERT INTO tenant_leases (tenant_id) VALUES (?) ON CONFLICT DO NOTHING",
      [tenantId],
    );
    const row = await this.#db.get<{ epoch: number; previous_owner: string | null }>(
      `WITH free AS (
         SELECT tenant_id, owner FROM tenant_leases
         WHERE tenant_id = ? AND (owner IS NULL OR owner = ? OR expires_at < now())
         FOR UPDATE SKIP LOCKED)
       UPDATE tenant_leases AS l
       SET owner = ?, epoch = l.epoch + 1, expires_at = ${NOW_PLUS_MS}, acquired_at = now()
       FROM free WHERE l.tenant_id = free.tenant_id
       RETURNING l.epoch, free.owner AS previous_owner`,
      [tenantId, this.#instanceId, this.#instanceId, this.#ttlMs],
    );
    if (row === undefined) return undefined;
    return { tenantId, epoch: row.epoch, previousOwner: row.previous_owner };
  }

  /**
   * After an acquisition of `tenantId` came back empty: when its lease is expired and its owner
   * is no longer live (no heartbeat within the TTL), terminates that owner's backends still
   * inside a transaction, whose fence locks keep the lease from being taken (see the module
   * documentation), and waits for them to be gone. Returns the owner and how many backends were
   * ended, or `undefined` when there was nothing to end.
   */
  async endStragglers(tenantId: string): Promise<{ owner: string; ended: number } | undefined> {
    const rows = await this.#db.all<{ owner: string; ended: boolean }>(
      `SELECT l.owner, pg_terminate_backend(a.pid, ${STRAGGLER_EXIT_WAIT_MS}) AS ended
       FROM tenant_leases AS l
       JOIN pg_stat_activity AS a
         ON a.application_name = ?::text || l.owner
        AND a.datname = current_database()
        AND a.xact_start IS NOT NULL
       WHERE l.tenant_id = ? AND l.owner IS NOT NULL AND l.owner <> ? AND l.expires_at < now()
         AND NOT EXISTS (
           SELECT 1 FROM cluster_instances AS i
           WHERE i.instance_id = l.owner
             AND i.heartbeat_at > now() - (?::double precision * interval '1 millisecond'))`,
      [CONNECTION_NAME_PREFIX, tenantId, this.#instanceId, this.#ttlMs],
    );
    if (rows.length === 0) return undefined;
    return { owner: rows[0].owner, ended: rows.filter((row) => row.ended).length };
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

  /**
   * {@linkcode holds}, asked together with the other leases asked on `tx` in the same turn: one
   * statement for them all, sent at the end of the turn (so the caller writes only after the
   * answer). The inbox's done marks of 100 tenants took 100 checks; now they take one.
   */
  holdsTogether(tx: SqlRunner, lease: HeldLease): Promise<boolean> {
    let asked = this.#asked.get(tx);
    if (!asked) {
      const leases: HeldLease[] = [];
      const held = Promise.resolve().then(async () => {
        this.#asked.delete(tx);
        const rows = await tx.all<{ tenant_id: string; epoch: number }>(FENCES_SQL, [
          JSON.stringify(leases.map(({ tenantId, epoch }) => ({ t: tenantId, e: epoch }))),
          this.#instanceId,
        ]);
        return new Set(rows.map((row) => leaseKey(row.tenant_id, row.epoch)));
      });
      asked = { leases, held };
      this.#asked.set(tx, asked);
    }
    asked.leases.push(lease);
    return asked.held.then((held) => held.has(leaseKey(lease.tenantId, lease.epoch)));
  }
}
