/**
 * The durable inbox of a tenant's updates. An update is written here before it is confirmed to
 * Telegram, and marked done once handled; after a crash or `kill -9` the updates still pending
 * are handled again. Update ids are the key, so an update Telegram delivers twice (because we
 * died before confirming it) is recorded once and handled by whoever recorded it.
 *
 * An update that is not of the Update shape (`update_shape.ts`) is recorded apart, as rejected
 * with its reason, and never becomes pending. The failures of a pending update are counted here
 * across restarts, so that one that keeps failing can be set aside (`update_dead_letters.ts`).
 *
 * @example A redelivered update is recorded once; an unfinished one is found again
 * ```ts
 * import assert from "node:assert/strict";
 * import { Inbox } from "./inbox.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const inbox = new Inbox("shop", new ManualClock(0));
 * const ids = (updates: { update_id: number }[]) => updates.map((update) => update.update_id);
 *
 * const record = (...updateIds: number[]) =>
 *   db.transaction((tx) => inbox.record(tx, updateIds.map((id) => ({ update_id: id }))));
 *
 * assert.deepEqual(ids(await record(1, 2)), [1, 2]);
 * // Telegram sends 2 again (it was not confirmed) with 3: only 3 is new.
 * assert.deepEqual(ids(await record(2, 3)), [3]);
 *
 * await inbox.markDone(db, 1);
 * // After a crash here, a restart handles 2 and 3 again.
 * assert.deepEqual(ids(await inbox.pending(db)), [2, 3]);
 * await db.close();
 * ```
 * @module
 */
import type { Update } from "grammy/types";
import type { Database, SqlRunner } from "../ports.ts";
import type { Clock } from "../../actors/kernel/clock.ts";
import { checkUpdate } from "./update_shape.ts";

/** The user an update belongs to, for ordering: the sender, else the chat. */
export function updateUserId(update: Update): number | undefined {
  const from = update.message?.from ?? update.callback_query?.from ??
    update.pre_checkout_query?.from ?? update.edited_message?.from ??
    update.my_chat_member?.from ?? update.inline_query?.from ?? update.subscription?.user;
  return from?.id ?? update.message?.chat.id;
}

/**
 * How long a handled update is remembered: Telegram redelivers only unconfirmed updates, and we
 * confirm within one poll, so a day is far more than needed while keeping the table small.
 */
const keepDoneMs = 24 * 60 * 60 * 1000;

/**
 * How long a rejected update is kept: long enough for an operator to look into a week's
 * rejections, short enough that a flood of them cannot grow the table without bound.
 */
const keepRejectedMs = 7 * keepDoneMs;

/** An update refused by `checkUpdate`, as {@linkcode Inbox.reject} records it. */
export interface RejectedUpdate {
  /** Its update id when it has a usable one. */
  updateId: number | undefined;
  /** What is wrong with it. */
  reason: string;
  /** The update as received, kept for whoever looks into it. */
  payload: unknown;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Marks a batch done in one statement of one fixed text, whatever its size: the time, then the
 * tenants' and updates' ids as a JSON array of `{ t, u }`. A list of `?` per id made a statement
 * per tenant, and a statement text per list length for each engine's statement cache. (The JSON
 * goes to PostgreSQL as text: a parameter typed `jsonb` would be encoded as a JSON string.)
 */
const MARK_DONE_SQL: Record<Database["dialect"], string> = {
  sqlite: `UPDATE inbox SET done_at = ? WHERE (tenant_id, update_id) IN
    (SELECT json_extract(value, '$.t'), json_extract(value, '$.u') FROM json_each(?))`,
  postgres:
    `UPDATE inbox SET done_at = ? FROM jsonb_to_recordset(CAST(? AS TEXT)::jsonb) AS marked(t TEXT, u BIGINT)
    WHERE inbox.tenant_id = marked.t AND inbox.update_id = marked.u`,
};

/** Updates recorded by one statement: a whole `getUpdates` batch (five parameters each). */
const maxRowsPerInsert = 100;

/** One inbox's marks in a batch: the database (view) it marks through, and who waits. */
interface InboxMarks {
  db: Database;
  ids: number[];
  settled: PromiseWithResolvers<void>;
}

/** Marks waiting to be written together, by inbox. */
type DoneBatch = Map<Inbox, InboxMarks>;

/**
 * The batch of each database still taking marks (its transaction has not started yet). Shared
 * by every tenant's inbox on that database — or on the database their views share
 * (`Database.shared`: tenants on leases) — so one commit serves all tenants.
 */
const openBatches = new WeakMap<Database, DoneBatch>();

/**
 * The batch of each database being written, settled when it is. The next batch's transaction
 * starts only after it: marks made meanwhile wait and share the next commit. Without that wait,
 * on PostgreSQL (a pool: a transaction starts at once) batches closed as soon as they opened,
 * and 100 tenants' marks took a transaction each (BENCHMARKS.md, issue 15).
 */
const writingBatches = new WeakMap<Database, Promise<void>>();

/** One tenant's inbox, on one database. */
export class Inbox {
  readonly #tenantId: string;
  readonly #clock: Clock;

  constructor(tenantId: string, clock: Clock) {
    this.#tenantId = tenantId;
    this.#clock = clock;
  }

  /**
   * Records `updates` and returns those not seen before, in order. Run it in a transaction so a
   * batch is recorded whole or not at all.
   */
  async record(tx: SqlRunner, updates: readonly Update[]): Promise<Update[]> {
    const now = this.#clock.now();
    const inserted = new Set<number>();
    // One statement per batch, not per update: on PostgreSQL each statement is a round trip and
    // a query to build and parse, which made recording most of an update's cost (issue 15).
    for (let i = 0; i < updates.length; i += maxRowsPerInsert) {
      const chunk = updates.slice(i, i + maxRowsPerInsert);
      const rows = await tx.all<{ update_id: number }>(
        `INSERT INTO inbox (tenant_id, update_id, user_id, payload, received_at)
         VALUES ${chunk.map(() => "(?, ?, ?, ?, ?)").join(", ")}
         ON CONFLICT DO NOTHING RETURNING update_id`,
        chunk.flatMap((update) => [
          this.#tenantId,
          update.update_id,
          updateUserId(update) ?? null,
          JSON.stringify(update),
          now,
        ]),
      );
      for (const row of rows) inserted.add(Number(row.update_id));
    }
    // In the batch's order; an update the batch holds twice is fresh once.
    return updates.filter((update) => inserted.delete(update.update_id));
  }

  /**
   * Records updates that failed {@linkcode checkUpdate} (see `update_shape.ts`) with why, so that
   * they can be confirmed to Telegram and never run: each once, by its update id or, when it has
   * no usable one, by its content.
   */
  async reject(tx: SqlRunner, rejections: readonly RejectedUpdate[]): Promise<void> {
    const now = this.#clock.now();
    for (const { updateId, reason, payload } of rejections) {
      const text = JSON.stringify(payload) ?? String(payload);
      const key = updateId === undefined
        ? `content:${await sha256Hex(text)}`
        : `update:${updateId}`;
      await tx.run(
        `INSERT INTO rejected_updates
           (tenant_id, rejection_id, update_id, reason, payload, received_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [this.#tenantId, key, updateId ?? null, reason, text, now],
      );
    }
  }

  /** The rejected updates kept, newest first: for operators and tests. */
  async rejected(q: SqlRunner): Promise<{ updateId: number | null; reason: string }[]> {
    const rows = await q.all<{ update_id: number | null; reason: string }>(
      `SELECT update_id, reason FROM rejected_updates WHERE tenant_id = ?
       ORDER BY received_at DESC, rejection_id`,
      [this.#tenantId],
    );
    return rows.map((row) => ({
      updateId: row.update_id === null ? null : Number(row.update_id),
      reason: row.reason,
    }));
  }

  /**
   * Counts a failed handling of a pending update and keeps its error; returns how many times
   * it has failed so far, across restarts. The count is what moves an update that keeps
   * failing out of the way (`update_dead_letters.ts`).
   */
  async recordFailure(q: SqlRunner, updateId: number, error: string): Promise<number> {
    await q.run(
      `UPDATE inbox SET attempts = attempts + 1, last_error = ?
       WHERE tenant_id = ? AND update_id = ?`,
      [error, this.#tenantId, updateId],
    );
    const row = await q.get<{ attempts: number }>(
      `SELECT attempts FROM inbox WHERE tenant_id = ? AND update_id = ?`,
      [this.#tenantId, updateId],
    );
    if (row === undefined) {
      throw new Error(`inbox of ${this.#tenantId}: there is no update ${updateId}`);
    }
    return Number(row.attempts);
  }

  /**
   * Puts an update back as pending with its failures forgotten, whether or not its row is still
   * here (done rows are pruned after a day): an operator's retry of a dead letter.
   */
  async requeue(tx: SqlRunner, update: { update_id: number }): Promise<void> {
    // A malformed payment can be retried too (it is checked again before it runs), so the
    // user is looked up only on a well-formed update.
    const checked = checkUpdate(update);
    await tx.run(
      `INSERT INTO inbox (tenant_id, update_id, user_id, payload, received_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, update_id)
       DO UPDATE SET done_at = NULL, attempts = 0, last_error = NULL`,
      [
        this.#tenantId,
        update.update_id,
        checked.ok ? updateUserId(checked.update) ?? null : null,
        JSON.stringify(update),
        this.#clock.now(),
      ],
    );
  }

  /**
   * Marks an update handled inside the caller's transaction, for a change that must commit
   * with it (an update set aside as a dead letter); everything else uses
   * {@linkcode Inbox.markDone}.
   */
  async markDoneIn(tx: SqlRunner, updateId: number): Promise<void> {
    await tx.run(`UPDATE inbox SET done_at = ? WHERE tenant_id = ? AND update_id = ?`, [
      this.#clock.now(),
      this.#tenantId,
      updateId,
    ]);
  }

  /** Updates recorded but not yet handled, oldest first: what a restart must handle again. */
  async pending(q: SqlRunner): Promise<Update[]> {
    const rows = await q.all<{ payload: string }>(
      `SELECT payload FROM inbox WHERE tenant_id = ? AND done_at IS NULL ORDER BY update_id`,
      [this.#tenantId],
    );
    return rows.map((row) => JSON.parse(row.payload) as Update);
  }

  /**
   * Marks an update handled; resolves once that is durable. Marks made, by any tenant, while
   * an earlier one waits for the database join it: one commit for the lot (group commit). Each
   * commit is an fsync under `synchronous=FULL`, and one per update took a third of the
   * runtime's CPU time under load (see BENCHMARKS.md); durability per mark is unchanged. A
   * failed commit fails every mark in it, as storage failing fails every tenant anyway; a
   * tenant whose part is refused (its lease is lost) fails alone, and the others commit without
   * it.
   */
  markDone(db: Database, updateId: number): Promise<void> {
    const shared = db.shared?.database ?? db;
    let batch = openBatches.get(shared);
    if (!batch) {
      const opened: DoneBatch = new Map();
      openBatches.set(shared, opened);
      const close = () => {
        if (openBatches.get(shared) === opened) openBatches.delete(shared);
      };
      const previous = writingBatches.get(shared) ?? Promise.resolve();
      // #writeBatch closes the batch as its transaction starts, and never rejects.
      const writing = previous.then(() => Inbox.#writeBatch(shared, opened, close)).finally(() => {
        if (writingBatches.get(shared) === writing) writingBatches.delete(shared);
      });
      writingBatches.set(shared, writing);
      batch = opened;
    }
    let mine = batch.get(this);
    if (!mine) {
      mine = { db, ids: [], settled: Promise.withResolvers() };
      batch.set(this, mine);
    }
    mine.ids.push(updateId);
    return mine.settled.promise;
  }

  /**
   * Commits `batch` in one transaction of `db` and settles every inbox's marks. `close` ends the
   * batch's intake as its transaction starts. Every tenant's check first (`Database.shared`),
   * all sent at once; then one statement marks what the tenants that passed asked for. A tenant
   * refused fails alone; a failed transaction fails everyone.
   */
  static async #writeBatch(db: Database, batch: DoneBatch, close: () => void): Promise<void> {
    let members: [Inbox, InboxMarks][] = [];
    let passed: [Inbox, InboxMarks][] = [];
    try {
      await db.transaction(async (tx) => {
        close(); // from here on, marks start the next batch
        members = [...batch];
        const checks = await Promise.allSettled(
          members.map(([, marks]) => marks.db.shared?.check(tx)),
        );
        passed = members.filter(([, marks], i) => {
          const check = checks[i];
          if (check.status === "rejected") marks.settled.reject(check.reason);
          return check.status === "fulfilled";
        });
        if (passed.length === 0) return;
        const marked = passed.flatMap(([inbox, marks]) =>
          marks.ids.map((id) => ({ t: inbox.#tenantId, u: id }))
        );
        await tx.run(MARK_DONE_SQL[db.dialect], [
          passed[0][0].#clock.now(),
          JSON.stringify(marked),
        ]);
      });
    } catch (error) {
      // Failed before it started: nothing was taken from the batch yet.
      if (members.length === 0) {
        close();
        members = [...batch];
      }
      for (const [, marks] of members) marks.settled.reject(error);
      return;
    }
    for (const [, marks] of passed) marks.settled.resolve();
  }

  /** Forgets handled updates older than a day and rejected ones older than a week; how many. */
  async prune(q: SqlRunner): Promise<number> {
    const now = this.#clock.now();
    const done = await q.run(
      `DELETE FROM inbox WHERE tenant_id = ? AND done_at IS NOT NULL AND done_at < ?`,
      [this.#tenantId, now - keepDoneMs],
    );
    const rejected = await q.run(
      `DELETE FROM rejected_updates WHERE tenant_id = ? AND received_at < ?`,
      [this.#tenantId, now - keepRejectedMs],
    );
    return done.changes + rejected.changes;
  }
}
