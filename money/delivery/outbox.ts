/**
 * The delivery outbox: a durable queue of Bot API calls that must happen. A receipt, the content
 * of a bought item, a notice or a refund call is written as an outbox row in the same
 * transaction as the ledger or payment change that causes it, and sent only after that commits
 * (by the outbox sender, `outbox_sender.ts`), retried until Telegram accepts it. A crash between
 * the commit and the send therefore loses nothing: the row is still there at the next start.
 *
 * Each row's id is a dedupe key chosen by the caller (`receipt:<chargeId>`), so a handler that
 * runs twice enqueues the call once.
 *
 * A row is pending until it is sent (`sent_at`) or given up (`failed_at`, for errors that
 * retrying cannot fix); `attempts` counts the calls made for it.
 *
 * @example Queued once, retried on its time, sent
 * ```ts
 * import assert from "node:assert/strict";
 * import { Outbox } from "./outbox.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { redactTokens } from "../../adapters/observability/redact.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const clock = new ManualClock(0);
 * const outbox = new Outbox("shop", clock, redactTokens);
 * const receipt = { method: "sendMessage", params: { chat_id: 42, text: "Thank you!" } };
 * // In the transaction of the payment that causes it; a handler that runs again queues nothing.
 * assert.equal(await db.transaction((tx) => outbox.enqueue(tx, "receipt:ch_1", receipt)), true);
 * assert.equal(await db.transaction((tx) => outbox.enqueue(tx, "receipt:ch_1", receipt)), false);
 *
 * const [item] = await outbox.due(db, 10);
 * assert.equal(item.chatId, 42);
 * await outbox.markRetry(db, item.id, "502: Bad Gateway", clock.now() + 1_000);
 * assert.deepEqual(await outbox.due(db, 10), []); // not before its time
 * await clock.advance(1_000);
 * assert.equal((await outbox.due(db, 10)).length, 1);
 * await outbox.markSent(db, item.id);
 * assert.equal(await outbox.backlog(db), 0);
 * assert.equal((await outbox.get(db, "receipt:ch_1"))?.attempts, 2);
 * await db.close();
 * ```
 * @module
 */
import { requireTenantId, shown } from "../../actors/kernel/argument_checks.ts";
import type { Clock } from "../../actors/kernel/clock.ts";
import type { Redact, SqlRunner } from "../ports.ts";

/**
 * A Bot API call: the method name and its JSON parameters, as `bot.api.raw[method](params)`
 * takes them.
 */
export interface OutboxCall {
  method: string;
  params: Record<string, unknown>;
}

/** One outbox row. */
export interface OutboxItem {
  /** The dedupe key it was enqueued under. */
  id: string;
  method: string;
  params: Record<string, unknown>;
  /** The chat the call is about, when known; for inspection and per-chat queries. */
  chatId: number | null;
  createdAt: number;
  /** Calls made for this item so far. */
  attempts: number;
  /** When it may be tried (again). */
  nextAttemptAt: number;
  sentAt: number | null;
  /** Set when it was given up for an error retrying cannot fix. */
  failedAt: number | null;
  /** The latest error, with bot tokens redacted. */
  lastError: string | null;
}

/** Options for {@linkcode Outbox.enqueue}. */
export interface EnqueueOptions {
  /** Defaults to `params.chat_id` when that is an integer. */
  chatId?: number;
  /** Do not send before this time (ms since the epoch); default now. */
  notBefore?: number;
}

interface OutboxRow {
  id: string;
  method: string;
  params: string;
  chat_id: number | null;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  sent_at: number | null;
  failed_at: number | null;
  last_error: string | null;
}

const COLUMNS =
  "id, method, params, chat_id, created_at, attempts, next_attempt_at, sent_at, failed_at, last_error";

const PENDING = "sent_at IS NULL AND failed_at IS NULL";

// Number() because PostgreSQL drivers return BIGINT columns as strings.
function toItem(row: OutboxRow): OutboxItem {
  const optional = (value: number | null) => (value === null ? null : Number(value));
  return {
    id: row.id,
    method: row.method,
    params: JSON.parse(row.params),
    chatId: optional(row.chat_id),
    createdAt: Number(row.created_at),
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    sentAt: optional(row.sent_at),
    failedAt: optional(row.failed_at),
    lastError: row.last_error,
  };
}

function requireId(id: string): void {
  if (typeof id !== "string" || id.trim() === "") {
    throw new TypeError(`outbox: item id must be a non-empty string, got ${shown(id)}`);
  }
}

function requireTime(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `outbox: ${name} must be a time in whole milliseconds >= 0, got ${shown(value)}`,
    );
  }
}

function serialiseParams(id: string, params: Record<string, unknown>): string {
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new TypeError(`outbox: params of item ${shown(id)} must be an object`);
  }
  try {
    return JSON.stringify(params);
  } catch (error) {
    throw new TypeError(
      `outbox: params of item ${shown(id)} cannot be stored as JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function chatIdOf(call: OutboxCall, opts: EnqueueOptions): number | null {
  if (opts.chatId !== undefined) {
    if (!Number.isSafeInteger(opts.chatId)) {
      throw new RangeError(`outbox: chatId must be an integer, got ${shown(opts.chatId)}`);
    }
    return opts.chatId;
  }
  const fromParams = call.params.chat_id;
  return typeof fromParams === "number" && Number.isSafeInteger(fromParams) ? fromParams : null;
}

/**
 * The outbox of one tenant. Every method takes the {@linkcode SqlRunner} to run on:
 * {@linkcode Outbox.enqueue} must get the transaction of the change that causes the call; the
 * others may run on the database itself.
 */
export class Outbox {
  readonly #tenantId: string;
  readonly #clock: Clock;
  readonly #redact: Redact;

  /** @throws {TypeError} when `tenantId` is not a non-empty string. */
  constructor(tenantId: string, clock: Clock, redact: Redact) {
    requireTenantId("outbox", tenantId);
    this.#tenantId = tenantId;
    this.#clock = clock;
    this.#redact = redact;
  }

  /**
   * Queues `call` under the dedupe key `id`, inside the caller's transaction. Returns `false`
   * (and changes nothing) when an item with that id exists, whatever its state: a handler that
   * runs again must not send the receipt again.
   *
   * @throws {TypeError} when `id` or `call.method` is empty or `call.params` is not a JSON object.
   * @throws {RangeError} when `opts.chatId` is not an integer or `opts.notBefore` not a time.
   */
  async enqueue(
    tx: SqlRunner,
    id: string,
    call: OutboxCall,
    opts: EnqueueOptions = {},
  ): Promise<boolean> {
    requireId(id);
    if (typeof call?.method !== "string" || call.method.trim() === "") {
      throw new TypeError(
        `outbox: method of item ${shown(id)} must be a Bot API method name, got ${
          shown(call?.method)
        }`,
      );
    }
    const params = serialiseParams(id, call.params);
    const chatId = chatIdOf(call, opts);
    const now = this.#clock.now();
    const notBefore = opts.notBefore ?? now;
    requireTime("notBefore", notBefore);
    const { changes } = await tx.run(
      // seq keeps enqueue order, even for rows of one transaction that share created_at.
      `INSERT INTO outbox (tenant_id, seq, ${COLUMNS})
       VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox WHERE tenant_id = ?),
               ?, ?, ?, ?, ?, 0, ?, NULL, NULL, NULL)
       ON CONFLICT DO NOTHING`,
      [this.#tenantId, this.#tenantId, id, call.method, params, chatId, now, notBefore],
    );
    return changes === 1;
  }

  /**
   * Up to `limit` pending items whose time has come, in the order they were enqueued.
   *
   * @throws {RangeError} when `limit` is not an integer ≥ 1.
   */
  async due(q: SqlRunner, limit: number): Promise<OutboxItem[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`outbox: limit must be an integer >= 1, got ${shown(limit)}`);
    }
    const rows = await q.all<OutboxRow>(
      `SELECT ${COLUMNS} FROM outbox WHERE tenant_id = ? AND ${PENDING} AND next_attempt_at <= ?
       ORDER BY seq LIMIT ?`,
      [this.#tenantId, this.#clock.now(), limit],
    );
    return rows.map(toItem);
  }

  /**
   * Like {@linkcode Outbox.due}, but only the oldest due item of each chat (items to no chat
   * count as one chat): what a sender that keeps each chat's order may start next. A chat with
   * a long backlog takes one row, so it cannot hide the items of other chats behind it.
   *
   * @throws {RangeError} when `limit` is not an integer ≥ 1.
   */
  async dueFirstPerChat(q: SqlRunner, limit: number): Promise<OutboxItem[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`outbox: limit must be an integer >= 1, got ${shown(limit)}`);
    }
    const now = this.#clock.now();
    const rows = await q.all<OutboxRow>(
      `SELECT ${COLUMNS} FROM outbox WHERE tenant_id = ? AND seq IN (
         SELECT MIN(seq) FROM outbox WHERE tenant_id = ? AND ${PENDING} AND next_attempt_at <= ?
         GROUP BY chat_id)
       ORDER BY seq LIMIT ?`,
      [this.#tenantId, this.#tenantId, now, limit],
    );
    return rows.map(toItem);
  }

  /**
   * The earliest `nextAttemptAt` among pending items (possibly in the past), or `undefined`
   * when nothing is pending: when the sender should look again.
   */
  async nextDueAt(q: SqlRunner): Promise<number | undefined> {
    const row = await q.get<{ at: number | null }>(
      `SELECT MIN(next_attempt_at) AS at FROM outbox WHERE tenant_id = ? AND ${PENDING}`,
      [this.#tenantId],
    );
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  }

  /**
   * Records that Telegram accepted the call.
   *
   * @throws {Error} when no pending item has that id (unknown, or already sent or failed).
   */
  async markSent(q: SqlRunner, id: string): Promise<void> {
    await this.#settle(q, id, "sent_at = ?", [this.#clock.now()]);
  }

  /**
   * Records a failed call that is worth retrying at `nextAttemptAt`. The error text is stored
   * with bot tokens redacted.
   *
   * @throws {Error} when no pending item has that id.
   */
  async markRetry(q: SqlRunner, id: string, error: string, nextAttemptAt: number): Promise<void> {
    requireTime("nextAttemptAt", nextAttemptAt);
    await this.#settle(q, id, "next_attempt_at = ?, last_error = ?", [
      nextAttemptAt,
      this.#redact(String(error)),
    ]);
  }

  /**
   * Gives the item up: the error cannot be fixed by retrying (the user blocked the bot, the
   * chat does not exist). The error text is stored with bot tokens redacted.
   *
   * @throws {Error} when no pending item has that id.
   */
  async markFailed(q: SqlRunner, id: string, error: string): Promise<void> {
    await this.#settle(q, id, "failed_at = ?, last_error = ?", [
      this.#clock.now(),
      this.#redact(String(error)),
    ]);
  }

  /** How many items are pending, due or not; a metric of delivery health. */
  async backlog(q: SqlRunner): Promise<number> {
    const row = await q.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM outbox WHERE tenant_id = ? AND ${PENDING}`,
      [this.#tenantId],
    );
    return Number(row?.n ?? 0);
  }

  /** The item with that id in any state, or `undefined`. */
  async get(q: SqlRunner, id: string): Promise<OutboxItem | undefined> {
    requireId(id);
    const row = await q.get<OutboxRow>(
      `SELECT ${COLUMNS} FROM outbox WHERE tenant_id = ? AND id = ?`,
      [this.#tenantId, id],
    );
    return row === undefined ? undefined : toItem(row);
  }

  /**
   * Applies `assignments` to a pending item and counts the call that led to them. Only pending
   * items change: sent and failed are final, so a second sender (a bug) cannot undo them.
   */
  async #settle(
    q: SqlRunner,
    id: string,
    assignments: string,
    values: readonly (string | number)[],
  ): Promise<void> {
    requireId(id);
    const { changes } = await q.run(
      `UPDATE outbox SET ${assignments}, attempts = attempts + 1
       WHERE tenant_id = ? AND id = ? AND ${PENDING}`,
      [...values, this.#tenantId, id],
    );
    if (changes === 1) return;
    const item = await this.get(q, id);
    throw new Error(
      item === undefined
        ? `outbox: there is no item ${shown(id)}`
        : `outbox: item ${shown(id)} is already ${item.sentAt !== null ? "sent" : "failed"}`,
    );
  }
}
