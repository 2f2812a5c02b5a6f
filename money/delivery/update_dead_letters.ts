/**
 * Dead letters: updates a tenant has set aside so that it can go on with the next ones. An
 * update lands here when its handling failed too often across restarts (`Inbox.recordFailure`
 * counts), or when it carries a payment but is not of the Update shape (`update_shape.ts`): a
 * payment is never dropped quietly. Setting one aside marks it done in the inbox, keeps it here
 * with its error, and queues a notice to the tenant's admins through the outbox — all in one
 * transaction, and the notice once per update however often it dies.
 *
 * A dead letter stays until an operator retries it (it goes back to the inbox as pending, its
 * failures forgotten) or discards it. A payment set aside is still credited by reconciliation,
 * which applies Telegram's transactions that no update brought.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UpdateDeadLetters } from "./update_dead_letters.ts";
 * import { Inbox } from "./inbox.ts";
 * import { Outbox } from "./outbox.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { Texts } from "../../adapters/telegram/texts.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const clock = new ManualClock(0);
 * const inbox = new Inbox("shop", clock);
 * const outbox = new Outbox("shop", clock, (text) => text);
 * const deadLetters = new UpdateDeadLetters({
 *   tenantId: "shop",
 *   clock,
 *   inbox,
 *   outbox,
 *   texts: new Texts({}, "en"),
 *   locale: "en",
 *   admins: [1],
 *   redact: (text) => text,
 * });
 * const update = { update_id: 5, callback_query: { id: "q", from: { id: 7 } } };
 * const bury = () =>
 *   db.transaction((tx) => deadLetters.bury(tx, update, { attempts: 3, error: "boom" }));
 * assert.equal(await bury(), true);
 * assert.equal(await bury(), false); // already set aside: the admins are not told twice
 * assert.deepEqual((await deadLetters.list(db)).map((letter) => letter.updateId), [5]);
 * assert.equal(await outbox.backlog(db), 1);
 * assert.deepEqual(await db.transaction((tx) => deadLetters.take(tx, 5)), update);
 * assert.deepEqual(await deadLetters.list(db), []);
 * await db.close();
 * ```
 * @module
 */
import type { Clock } from "../../actors/kernel/clock.ts";
import type { Locale, Redact, SqlRunner, Texts } from "../ports.ts";
import type { Inbox } from "./inbox.ts";
import type { Outbox } from "./outbox.ts";
import { movesMoney, updateKind } from "./update_shape.ts";

/** One update set aside. */
export interface UpdateDeadLetter {
  tenantId: string;
  updateId: number;
  /** What it is: `message`, `successful_payment`, `callback_query`… (`updateKind`). */
  kind: string;
  /** True for a payment, a refund or a subscription change. */
  movesMoney: boolean;
  /** How many times its handling failed before it was set aside (0 for a malformed one). */
  attempts: number;
  /** Why it was set aside, bot tokens redacted. */
  error: string;
  /** When it was set aside (ms since the epoch). */
  deadAt: number;
}

/** What {@linkcode UpdateDeadLetters} needs. */
export interface UpdateDeadLettersOptions {
  tenantId: string;
  clock: Clock;
  /** The tenant's inbox, where a dead letter is marked done and a retried one put back. */
  inbox: Pick<Inbox, "markDoneIn" | "requeue">;
  /** Where the admins' notice is queued. */
  outbox: Pick<Outbox, "enqueue">;
  texts: Texts;
  /** The admins read the tenant's own language. */
  locale: Locale;
  admins: readonly number[];
  redact: Redact;
}

/** Longest error text kept: enough for a stack's first lines, small in a chat message. */
const maxErrorChars = 500;

interface DeadLetterRow {
  tenant_id: string;
  update_id: number;
  kind: string;
  moves_money: number;
  attempts: number;
  error: string;
  dead_at: number;
}

const COLUMNS = "tenant_id, update_id, kind, moves_money, attempts, error, dead_at";

// Number() because PostgreSQL drivers return BIGINT columns as strings.
function toDeadLetter(row: DeadLetterRow): UpdateDeadLetter {
  return {
    tenantId: row.tenant_id,
    updateId: Number(row.update_id),
    kind: row.kind,
    movesMoney: Number(row.moves_money) === 1,
    attempts: Number(row.attempts),
    error: row.error,
    deadAt: Number(row.dead_at),
  };
}

/**
 * Every tenant's dead letters, by tenant then update: what `/status` shows, including those of
 * tenants that are not running.
 */
export async function listDeadLetters(q: SqlRunner): Promise<UpdateDeadLetter[]> {
  const rows = await q.all<DeadLetterRow>(
    `SELECT ${COLUMNS} FROM update_dead_letters ORDER BY tenant_id, update_id`,
  );
  return rows.map(toDeadLetter);
}

/**
 * Forgets one dead letter for good, at an operator's request; false when there is none. Its
 * tenant need not be running.
 */
export async function discardDeadLetter(
  q: SqlRunner,
  tenantId: string,
  updateId: number,
): Promise<boolean> {
  const { changes } = await q.run(
    `DELETE FROM update_dead_letters WHERE tenant_id = ? AND update_id = ?`,
    [tenantId, updateId],
  );
  return changes === 1;
}

/** One tenant's dead letters; see the module doc. */
export class UpdateDeadLetters {
  readonly #options: UpdateDeadLettersOptions;

  constructor(options: UpdateDeadLettersOptions) {
    this.#options = options;
  }

  /**
   * Sets `update` aside inside the caller's transaction: recorded with `error`, marked done in
   * the inbox, and the admins' notice queued. Returns false when it was set aside already (and
   * changes nothing then).
   */
  async bury(
    tx: SqlRunner,
    update: { update_id: number },
    outcome: { attempts: number; error: string },
  ): Promise<boolean> {
    const { tenantId, clock, inbox, redact } = this.#options;
    const updateId = update.update_id;
    const error = redact(outcome.error).slice(0, maxErrorChars);
    const kind = updateKind(update);
    const money = movesMoney(update);
    const { changes } = await tx.run(
      `INSERT INTO update_dead_letters (${COLUMNS}, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
      [
        tenantId,
        updateId,
        kind,
        money ? 1 : 0,
        outcome.attempts,
        error,
        clock.now(),
        JSON.stringify(update),
      ],
    );
    if (changes === 0) return false;
    await inbox.markDoneIn(tx, updateId);
    await this.#tellAdmins(tx, { updateId, kind, error, money });
    return true;
  }

  /** This tenant's dead letters, oldest update first. */
  async list(q: SqlRunner): Promise<UpdateDeadLetter[]> {
    const rows = await q.all<DeadLetterRow>(
      `SELECT ${COLUMNS} FROM update_dead_letters WHERE tenant_id = ? ORDER BY update_id`,
      [this.#options.tenantId],
    );
    return rows.map(toDeadLetter);
  }

  /**
   * Takes a dead letter back for a retry, inside the caller's transaction: it leaves this table
   * and returns to the inbox as pending with its failures forgotten. Returns the update as it
   * was received, or undefined when there is no such dead letter.
   */
  async take(tx: SqlRunner, updateId: number): Promise<{ update_id: number } | undefined> {
    const { tenantId, inbox } = this.#options;
    const row = await tx.get<{ payload: string }>(
      `SELECT payload FROM update_dead_letters WHERE tenant_id = ? AND update_id = ?`,
      [tenantId, updateId],
    );
    if (row === undefined) return undefined;
    await tx.run(`DELETE FROM update_dead_letters WHERE tenant_id = ? AND update_id = ?`, [
      tenantId,
      updateId,
    ]);
    const update = JSON.parse(row.payload);
    await inbox.requeue(tx, update);
    return update;
  }

  /** Queues the notice to each admin, once per update (the outbox id says which). */
  async #tellAdmins(
    tx: SqlRunner,
    letter: { updateId: number; kind: string; error: string; money: boolean },
  ): Promise<void> {
    const { texts, locale, admins, outbox } = this.#options;
    const { updateId, kind, error, money } = letter;
    let text = texts.t(locale, "admin.dead_update", { updateId, kind, error });
    if (money) text += `\n${texts.t(locale, "admin.dead_update.payment")}`;
    for (const adminId of admins) {
      await outbox.enqueue(tx, `dead_update:${updateId}:${adminId}`, {
        method: "sendMessage",
        params: { chat_id: adminId, text },
      });
    }
  }
}
