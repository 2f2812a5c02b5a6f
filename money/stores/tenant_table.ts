/**
 * The statements every store repeats, written once: insert a row, read the row a key names,
 * change the rows a key names — each scoped to one tenant, whose id leads every table's
 * primary key. The column list and its `?` placeholders are built from one list of names, so
 * they cannot drift apart. A statement with more than equality in it (ranges, `IN`, ordering)
 * stays in the store that needs it, using {@linkcode TenantTable.columns} for its column list.
 *
 * Table and column names come from the stores' code, never from input; values are always bound.
 *
 * @module
 */
import type { SqlRunner, SqlValue } from "../ports.ts";

/** Where a row's columns equal these values; `null` matches `IS NULL`. */
export type Match<Row> = Partial<Row>;

/** One tenant's rows of one table. */
export class TenantTable<Row extends { [column: string]: SqlValue }> {
  /** The tenant whose rows these are. */
  readonly tenantId: string;
  /** The table's name. */
  readonly name: string;
  /** The row's columns, comma-separated, without `tenant_id`: for a store's own SELECT. */
  readonly columns: string;
  readonly #names: readonly (keyof Row & string)[];

  constructor(name: string, tenantId: string, columns: readonly (keyof Row & string)[]) {
    this.name = name;
    this.tenantId = tenantId;
    this.#names = columns;
    this.columns = columns.join(", ");
  }

  /**
   * Inserts `row` for the tenant; `onConflict` (e.g. `ON CONFLICT DO NOTHING`) is appended to
   * the statement. Returns how many rows changed.
   */
  async insert(q: SqlRunner, row: Row, onConflict = ""): Promise<number> {
    const placeholders = this.#names.map(() => "?").join(", ");
    const { changes } = await q.run(
      `INSERT INTO ${this.name} (tenant_id, ${this.columns}) VALUES (?, ${placeholders})` +
        (onConflict === "" ? "" : ` ${onConflict}`),
      [this.tenantId, ...this.#names.map((name) => row[name])],
    );
    return changes;
  }

  /** The tenant's row whose columns match `key`, or `undefined`. */
  async find(q: SqlRunner, key: Match<Row>): Promise<Row | undefined> {
    const where = this.#where(key);
    return await q.get<Row>(
      `SELECT ${this.columns} FROM ${this.name} WHERE ${where.sql}`,
      where.params,
    );
  }

  /**
   * Sets the columns of `set` on the tenant's rows that match `key`; returns how many rows
   * changed. Matching on a value read before makes the write conditional on it.
   */
  async update(q: SqlRunner, set: Partial<Row>, key: Match<Row>): Promise<number> {
    const columns = Object.keys(set);
    const where = this.#where(key);
    const { changes } = await q.run(
      `UPDATE ${this.name} SET ${columns.map((column) => `${column} = ?`).join(", ")}
       WHERE ${where.sql}`,
      [...columns.map((column) => set[column] as SqlValue), ...where.params],
    );
    return changes;
  }

  /** `tenant_id = ? AND …` for `key`, with its parameters. */
  #where(key: Match<Row>): { sql: string; params: SqlValue[] } {
    const conditions = ["tenant_id = ?"];
    const params: SqlValue[] = [this.tenantId];
    for (const [column, value] of Object.entries(key)) {
      if (value === null) {
        conditions.push(`${column} IS NULL`);
      } else {
        conditions.push(`${column} = ?`);
        params.push(value as SqlValue);
      }
    }
    return { sql: conditions.join(" AND "), params };
  }
}

/**
 * `value` as one of `allowed`; a stored value the code does not know throws `${what} "value"`,
 * since reading it as something else could move money the wrong way.
 */
export function knownValue<T extends string>(
  allowed: readonly T[],
  value: string,
  what: string,
): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${what} ${JSON.stringify(value)}`);
  }
  return value as T;
}
