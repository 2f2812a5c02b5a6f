/**
 * A tenant's view of the database while it runs on a lease: every write transaction first checks,
 * inside the transaction and under a row lock, that this instance still holds the tenant's lease
 * at the epoch it acquired ({@linkcode Fence.check}); if not, the transaction is rolled back and
 * fails with {@linkcode FencedOffError}, and the fence is told ({@linkcode Fence.fencedOff}) so
 * the tenant stops. A paused or partitioned former owner can therefore never write after a new
 * owner took over: the new owner cannot acquire the lease while a transaction holding the
 * check's lock is open, and every later one fails the check.
 *
 * Before sending anything, a write also checks the local deadline ({@linkcode Fence.heldLocally}):
 * once the lease may have expired by this instance's own monotonic clock, nothing is written,
 * even when the database cannot be reached to ask.
 *
 * Through {@linkcode FencedDatabase.shared}, a batch of several tenants' writes can share one
 * transaction of the database: each tenant's check is made in it (all of them in one statement,
 * `Fence.check` with `together`) before the batch writes for those that passed. The inbox's done
 * marks use it, so that 100 tenants' marks take one commit instead of 100.
 *
 * Lone statements (`run`) are wrapped in a fenced transaction of their own; reads (`get`, `all`)
 * pass through unfenced — a stale read cannot harm anyone, and what is done with it is written in
 * a fenced transaction. The unique keys on charge ids and update ids stay as the second line of
 * defence.
 *
 * @example A write after the lease was lost is refused, and the fence hears of it
 * ```ts
 * import assert from "node:assert/strict";
 * import { FencedDatabase, FencedOffError } from "./fenced_database.ts";
 * import { openDatabase } from "./open_database.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * let held = true;
 * const refusals: string[] = [];
 * const fenced = new FencedDatabase(db, {
 *   tenantId: "shop",
 *   heldLocally: () => true,
 *   check: async () => held,
 *   fencedOff: (reason) => refusals.push(reason),
 * });
 * await fenced.run("INSERT INTO kv (tenant_id, key, value) VALUES ('shop', 'a', '1')");
 * held = false;
 * await assert.rejects(
 *   fenced.run("INSERT INTO kv (tenant_id, key, value) VALUES ('shop', 'b', '2')"),
 *   FencedOffError,
 * );
 * assert.deepEqual((await db.all<{ key: string }>("SELECT key FROM kv")).map((r) => r.key), ["a"]);
 * assert.equal(refusals.length, 1);
 * await db.close();
 * ```
 * @module
 */
import {
  type Database,
  type SharedDatabase,
  type SqlRunner,
  type SqlValue,
  StorageError,
} from "../../money/ports.ts";

/** What a {@linkcode FencedDatabase} checks each write against. */
export interface Fence {
  /** The tenant whose writes are fenced, for messages. */
  readonly tenantId: string;
  /** False once the lease may have expired by the local monotonic clock: write nothing. */
  heldLocally(): boolean;
  /**
   * Whether the lease is still held, checked inside `tx` under a row lock that lasts until it
   * ends. With `together`, the check may wait for the end of the turn and go in one statement
   * with other fences' checks on `tx` (a batch of many tenants' writes, which waits for the
   * answers before it writes); without, it is sent at once.
   */
  check(tx: SqlRunner, together?: boolean): Promise<boolean>;
  /** A write was refused: the tenant must stop. Called for every refusal. */
  fencedOff(reason: string): void;
}

/** Why a write is refused when the database says the lease is no longer this instance's. */
const TAKEN = "another instance holds its lease now";

/** A write refused because this instance no longer holds the tenant's lease. */
export class FencedOffError extends StorageError {
  constructor(tenantId: string, reason: string) {
    super(`tenant ${tenantId}: write fenced off, ${reason}`);
    this.name = "FencedOffError";
  }
}

/** The database as one leased tenant sees it; see the module documentation. */
export class FencedDatabase implements Database {
  readonly #inner: Database;
  readonly #fence: Fence;

  readonly shared: SharedDatabase;

  constructor(inner: Database, fence: Fence) {
    this.#inner = inner;
    this.#fence = fence;
    this.shared = { database: inner, check: (tx) => this.#checkTogether(tx) };
  }

  get dialect(): Database["dialect"] {
    return this.#inner.dialect;
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#inner.all<T>(sql, params);
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.#inner.get<T>(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.transaction((tx) => tx.run(sql, params));
  }

  async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    this.#requireHeldLocally();
    return await this.#inner.transaction(async (tx) => {
      // The check is sent at once and the transaction's statements right behind it, without
      // waiting for its answer: on one connection the server runs them in that order, so the
      // fence's lock is taken before any of them runs, and the answer is awaited before the
      // transaction may commit — a refused check rolls everything back. That saves a round trip
      // per write transaction on PostgreSQL (issue 15).
      const held = this.#fence.check(tx);
      let result: T;
      try {
        result = await fn(tx);
      } catch (error) {
        // Fenced off explains the failure better than whatever the statements ran into.
        if (!await held.catch(() => true)) this.#refuse(TAKEN);
        throw error;
      }
      if (!await held) this.#refuse(TAKEN);
      return result;
    });
  }

  /** The check alone, sent with other tenants' on `tx` (see {@linkcode Fence.check}). */
  async #checkTogether(tx: SqlRunner): Promise<void> {
    this.#requireHeldLocally();
    if (!await this.#fence.check(tx, true)) this.#refuse(TAKEN);
  }

  /** Refuses before anything is sent once the lease may have expired by the local clock. */
  #requireHeldLocally(): void {
    if (!this.#fence.heldLocally()) this.#refuse("its lease may have expired by the local clock");
  }

  /** The tenant does not own the connection: closing its view leaves the database open. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  #refuse(reason: string): never {
    this.#fence.fencedOff(reason);
    throw new FencedOffError(this.#fence.tenantId, reason);
  }
}
