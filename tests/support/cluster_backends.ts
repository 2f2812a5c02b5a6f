/**
 * A look at the PostgreSQL backends of a cluster test's instances through `pg_stat_activity`,
 * on one connection kept open (the fenced-transaction test polls it in a tight loop). An
 * instance's connections are named `constellation:<INSTANCE_ID>` (`application_name`).
 *
 * A backend is **inside a fenced transaction** when it is `idle in transaction` (the server waits
 * for the instance's next statement) while holding the fence's row lock on `tenant_leases`:
 * `FOR KEY SHARE` takes `RowShareLock` on the table, which no other statement of the runtime
 * takes.
 *
 * @example
 * ```ts ignore
 * await using backends = Backends.open(cluster.database.url);
 * const [pid] = await backends.fencedIdle(cluster.idOf("a"));
 * ```
 * @module
 */
import postgres from "postgres";
import { instanceConnectionName } from "../../adapters/storage/postgres/leases.ts";

/** See the module documentation. */
export class Backends implements AsyncDisposable {
  readonly #sql: postgres.Sql;
  readonly #leaseTable: string;

  private constructor(sql: postgres.Sql, leaseTable: string) {
    this.#sql = sql;
    this.#leaseTable = leaseTable;
  }

  /** Connects to the database of `databaseUrl`, whose `search_path` names the test's schema. */
  static open(databaseUrl: string): Backends {
    const url = new URL(databaseUrl);
    const schema = url.searchParams.get("search_path");
    url.search = "";
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    return new Backends(sql, schema ? `"${schema}".tenant_leases` : "tenant_leases");
  }

  /**
   * The pids of the backends of instance `instanceId` inside a fenced transaction; with `since`
   * (epoch ms), only those that have waited since then.
   */
  async fencedIdle(instanceId: string, since = Date.now() + 60_000): Promise<number[]> {
    const rows = await this.#sql<{ pid: number }[]>`
      SELECT a.pid FROM pg_stat_activity a
      WHERE a.application_name = ${instanceConnectionName(instanceId)}
        AND a.state = 'idle in transaction'
        AND a.state_change < to_timestamp(${since / 1000})
        AND EXISTS (SELECT 1 FROM pg_locks l
                    WHERE l.pid = a.pid AND l.mode = 'RowShareLock'
                      AND l.relation = ${this.#leaseTable}::regclass)`;
    return rows.map((row) => row.pid);
  }

  /** Whether backend `pid` exists at all. */
  async alive(pid: number): Promise<boolean> {
    const [row] = await this.#sql`SELECT 1 FROM pg_stat_activity WHERE pid = ${pid}`;
    return row !== undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}
