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
import type { SqlRunner } from "../adapters/storage/database.ts";
import type { Clock } from "./clock.ts";

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

/** One tenant's inbox. */
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

  /** Marks an update handled. */
  async markDone(q: SqlRunner, updateId: number): Promise<void> {
    await q.run(`UPDATE inbox SET done_at = ? WHERE tenant_id = ? AND update_id = ?`, [
      this.#clock.now(),
      this.#tenantId,
      updateId,
    ]);
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
