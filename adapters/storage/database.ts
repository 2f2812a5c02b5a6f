/**
 * The storage interface the actors use: parameterised SQL and transactions, nothing more. Each
 * domain module (ledger, orders, outbox …) owns its own SQL, written portably (`?` placeholders,
 * no engine-specific functions) so SQLite and PostgreSQL run the same statements.
 *
 * @example
 * ```ts ignore
 * import type { Database } from "./database.ts";
 * async function credit(db: Database, tenantId: string, userId: number) {
 *   await db.transaction(async (tx) => {
 *     const row = await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM orders WHERE tenant_id = ?", [tenantId]);
 *     await tx.run("UPDATE orders SET state = ? WHERE tenant_id = ? AND user_id = ?", ["paid", tenantId, userId]);
 *   });
 * }
 * ```
 * @module
 */

/** A value a statement can bind or return. Integers are JavaScript numbers (ids fit in 53 bits). */
export type SqlValue = string | number | null;

/** Runs statements; inside a transaction, against that transaction. */
export interface SqlRunner {
  /** Every row of a query. */
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row of a query, or `undefined`. */
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement without rows; says how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

/** A database connection (or pool) with transactions. */
export interface Database extends SqlRunner {
  /** Which engine runs the statements; for the rare place that must know. */
  readonly dialect: "sqlite" | "postgres";
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws (the
   * error is rethrown). Transactions never interleave their statements.
   */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /** Closes the connection; pending transactions finish first. */
  close(): Promise<void>;
}

/** Thrown for a storage problem the caller can name to a person (bad URL, unreadable file …). */
export class StorageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageError";
  }
}
