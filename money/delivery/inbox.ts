/**
 * The durable inbox of a tenant's updates. An update is written here before it is confirmed to
 * Telegram, and marked done once handled; after a crash or `kill -9` the updates still pending
 * are handled again. Update ids are the key, so an update Telegram delivers twice (because we
 * died before confirming it) is recorded once and handled by whoever recorded it.
 *
 * @example
 * ```ts ignore
 * const inbox = new Inbox("shop", systemClock);
 * const fresh = await db.transaction((tx) => inbox.record(tx, updates)); // only the new ones
 * for (const update of fresh) { await handle(update); await inbox.markDone(db, update.update_id); }
 * ```
 * @module
 */
import type { Update } from "grammy/types";
import type { Database, SqlRunner } from "../ports.ts";
import type { Clock } from "../../actors/kernel/clock.ts";

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

/** Bound parameters per statement stay far below every engine's limit (SQLite: 32766). */
const maxIdsPerStatement = 500;

/** Marks waiting to be written together, by inbox, and the commit that writes them. */
interface DoneBatch {
  marks: Map<Inbox, number[]>;
  done: Promise<void>;
}

/**
 * The batch of each database still taking marks (its transaction has not started yet). Shared
 * by every tenant's inbox on that database, so one commit serves all tenants.
 */
const openBatches = new WeakMap<Database, DoneBatch>();

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
    const fresh: Update[] = [];
    const now = this.#clock.now();
    for (const update of updates) {
      const { changes } = await tx.run(
        `INSERT INTO inbox (tenant_id, update_id, user_id, payload, received_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [
          this.#tenantId,
          update.update_id,
          updateUserId(update) ?? null,
          JSON.stringify(update),
          now,
        ],
      );
      if (changes === 1) fresh.push(update);
    }
    return fresh;
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
   * failed commit fails every mark in it, as storage failing fails every tenant anyway.
   */
  markDone(db: Database, updateId: number): Promise<void> {
    const open = openBatches.get(db);
    if (open) {
      const ids = open.marks.get(this);
      if (ids) ids.push(updateId);
      else open.marks.set(this, [updateId]);
      return open.done;
    }
    const batch: DoneBatch = { marks: new Map([[this, [updateId]]]), done: Promise.resolve() };
    openBatches.set(db, batch);
    const close = () => {
      if (openBatches.get(db) === batch) openBatches.delete(db);
    };
    batch.done = db.transaction(async (tx) => {
      close(); // from here on, marks start the next batch
      for (const [inbox, ids] of batch.marks) await inbox.#writeDone(tx, ids);
    }).finally(close);
    return batch.done;
  }

  async #writeDone(tx: SqlRunner, ids: readonly number[]): Promise<void> {
    const now = this.#clock.now();
    for (let i = 0; i < ids.length; i += maxIdsPerStatement) {
      const chunk = ids.slice(i, i + maxIdsPerStatement);
      await tx.run(
        `UPDATE inbox SET done_at = ? WHERE tenant_id = ? AND update_id IN (${
          chunk.map(() => "?").join(", ")
        })`,
        [now, this.#tenantId, ...chunk],
      );
    }
  }

  /** Forgets handled updates older than a day; returns how many. */
  async prune(q: SqlRunner): Promise<number> {
    const { changes } = await q.run(
      `DELETE FROM inbox WHERE tenant_id = ? AND done_at IS NOT NULL AND done_at < ?`,
      [this.#tenantId, this.#clock.now() - keepDoneMs],
    );
    return changes;
  }
}
