/**
 * The durable state of payment support, per tenant: a buyer's open ticket (`support_tickets`),
 * each message they wrote to it (`support_messages`, once per Telegram message id, so a
 * redelivered update adds nothing), and the copies of that message in the admins' chats
 * (`support_copies`), by which an admin's reply finds the buyer again. A restart loses none of
 * it. Each method is one statement, for the caller's transaction or alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { SupportRecords } from "./support_records.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const support = new SupportRecords("shop");
 * await support.open(db, { userId: 7, chatId: 7, at: 1_000 });
 * assert.equal((await support.ticket(db, 7))?.activeAt, 1_000);
 * assert.deepEqual(await support.activeSince(db, 0), new Map([[7, 1_000]]));
 * const message = { userId: 7, messageId: 3, text: "Where is my item?", at: 2_000 };
 * assert.equal(await support.addMessage(db, message), true);
 * assert.equal(await support.addMessage(db, message), false); // the same message again
 * await support.addCopy(db, { adminChatId: 42, adminMessageId: 90, userId: 7, messageId: 3 });
 * assert.deepEqual(await support.copy(db, 42, 90), { userId: 7, messageId: 3 });
 * assert.equal(await support.messagesSince(db, 7, 0), 1);
 * await db.close();
 * ```
 * @module
 */
import type { SqlRunner } from "../ports.ts";

/** A buyer's support ticket. */
export interface SupportTicket {
  userId: number;
  /** Where answers go. */
  chatId: number;
  openedAt: number;
  /** The last time the buyer or an admin wrote in it. */
  activeAt: number;
}

/** A message a buyer wrote to support. */
export interface SupportMessage {
  userId: number;
  messageId: number;
  text: string;
  at: number;
}

/** A buyer's message as copied into one admin's chat. */
export interface SupportCopy {
  adminChatId: number;
  adminMessageId: number;
  userId: number;
  messageId: number;
}

/** The support tables of one tenant. */
export class SupportRecords {
  readonly #tenantId: string;

  constructor(tenantId: string) {
    this.#tenantId = tenantId;
  }

  /** Opens the buyer's ticket, or makes their open one active now. */
  async open(q: SqlRunner, ticket: { userId: number; chatId: number; at: number }): Promise<void> {
    await q.run(
      `INSERT INTO support_tickets (tenant_id, user_id, chat_id, opened_at, active_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET
         chat_id = excluded.chat_id, opened_at = excluded.opened_at, active_at = excluded.active_at`,
      [this.#tenantId, ticket.userId, ticket.chatId, ticket.at, ticket.at],
    );
  }

  /** The buyer's ticket, open or not (the caller decides whether it is still open). */
  async ticket(q: SqlRunner, userId: number): Promise<SupportTicket | undefined> {
    const row = await q.get<{ chat_id: number; opened_at: number; active_at: number }>(
      `SELECT chat_id, opened_at, active_at FROM support_tickets
       WHERE tenant_id = ? AND user_id = ?`,
      [this.#tenantId, userId],
    );
    return row === undefined ? undefined : {
      userId,
      chatId: Number(row.chat_id),
      openedAt: Number(row.opened_at),
      activeAt: Number(row.active_at),
    };
  }

  /** When each ticket active after `since` (ms) was last active, by user. */
  async activeSince(q: SqlRunner, since: number): Promise<Map<number, number>> {
    const rows = await q.all<{ user_id: number; active_at: number }>(
      `SELECT user_id, active_at FROM support_tickets WHERE tenant_id = ? AND active_at > ?`,
      [this.#tenantId, since],
    );
    return new Map(rows.map((row) => [Number(row.user_id), Number(row.active_at)]));
  }

  /** Marks the buyer's ticket active at `at` (a message in it, either way). */
  async touch(q: SqlRunner, userId: number, at: number): Promise<void> {
    await q.run(
      `UPDATE support_tickets SET active_at = ? WHERE tenant_id = ? AND user_id = ?`,
      [at, this.#tenantId, userId],
    );
  }

  /** Records a buyer's message; false, changing nothing, when it was recorded before. */
  async addMessage(q: SqlRunner, message: SupportMessage): Promise<boolean> {
    const { changes } = await q.run(
      `INSERT INTO support_messages (tenant_id, user_id, message_id, text, received_at)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [this.#tenantId, message.userId, message.messageId, message.text, message.at],
    );
    return changes === 1;
  }

  /** Whether the buyer's message went to the admins already. */
  async isForwarded(q: SqlRunner, userId: number, messageId: number): Promise<boolean> {
    const row = await q.get<{ forwarded_at: number | null }>(
      `SELECT forwarded_at FROM support_messages
       WHERE tenant_id = ? AND user_id = ? AND message_id = ?`,
      [this.#tenantId, userId, messageId],
    );
    return row !== undefined && row.forwarded_at !== null;
  }

  /** Notes that the buyer's message went to the admins. */
  async markForwarded(q: SqlRunner, userId: number, messageId: number, at: number): Promise<void> {
    await q.run(
      `UPDATE support_messages SET forwarded_at = ?
       WHERE tenant_id = ? AND user_id = ? AND message_id = ?`,
      [at, this.#tenantId, userId, messageId],
    );
  }

  /** How many messages the buyer wrote to support after `since` (ms). */
  async messagesSince(q: SqlRunner, userId: number, since: number): Promise<number> {
    const row = await q.get<{ count: number }>(
      `SELECT COUNT(*) AS count FROM support_messages
       WHERE tenant_id = ? AND user_id = ? AND received_at > ?`,
      [this.#tenantId, userId, since],
    );
    return Number(row?.count ?? 0);
  }

  /** Records where one admin got a copy of a buyer's message. */
  async addCopy(q: SqlRunner, copy: SupportCopy): Promise<void> {
    await q.run(
      `INSERT INTO support_copies (tenant_id, admin_chat_id, admin_message_id, user_id, message_id)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [this.#tenantId, copy.adminChatId, copy.adminMessageId, copy.userId, copy.messageId],
    );
  }

  /** The admins' chats that already have a copy of the buyer's message. */
  async copiedTo(q: SqlRunner, userId: number, messageId: number): Promise<Set<number>> {
    const rows = await q.all<{ admin_chat_id: number }>(
      `SELECT admin_chat_id FROM support_copies
       WHERE tenant_id = ? AND user_id = ? AND message_id = ?`,
      [this.#tenantId, userId, messageId],
    );
    return new Set(rows.map((row) => Number(row.admin_chat_id)));
  }

  /** Whose message the admin's message `adminMessageId` is a copy of, if it is one. */
  async copy(
    q: SqlRunner,
    adminChatId: number,
    adminMessageId: number,
  ): Promise<{ userId: number; messageId: number } | undefined> {
    const row = await q.get<{ user_id: number; message_id: number }>(
      `SELECT user_id, message_id FROM support_copies
       WHERE tenant_id = ? AND admin_chat_id = ? AND admin_message_id = ?`,
      [this.#tenantId, adminChatId, adminMessageId],
    );
    return row === undefined
      ? undefined
      : { userId: Number(row.user_id), messageId: Number(row.message_id) };
  }
}
