/**
 * The per-user facts payments need that are not money, in the `user_state` table: whether the
 * user has been told their balance is low (so the notice goes once per dip, not at every
 * spend), and the language they last wrote in (so a notice sent without a message to answer,
 * such as a refund made by an admin, still speaks their language).
 *
 * Each write touches only its own column, so other writers of `user_state` keep theirs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { UserState } from "./user_state.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const users = new UserState("shop");
 * assert.equal(await users.claimLowBalanceNotice(db, 7), true); // send the notice
 * assert.equal(await users.claimLowBalanceNotice(db, 7), false); // already told
 * await users.clearLowBalanceNotice(db, 7); // topped up: the next dip is told
 * assert.equal(await users.lowBalanceNotified(db, 7), false);
 *
 * await users.rememberLanguage(db, 7, "ru");
 * await users.rememberLanguage(db, 7, undefined); // Telegram did not say: keep what we know
 * assert.equal(await users.language(db, 7), "ru");
 * await db.close();
 * ```
 * @module
 */
import type { SqlRunner } from "../ports.ts";

/** The `user_state` rows of one tenant, as far as payments use them. */
export class UserState {
  readonly #tenantId: string;

  constructor(tenantId: string) {
    this.#tenantId = tenantId;
  }

  /**
   * Sets the low-balance flag unless it is set; true when this call set it, meaning the caller
   * should send the notice. Check and set are one statement, so two spends that race cannot
   * both send it.
   */
  async claimLowBalanceNotice(q: SqlRunner, userId: number): Promise<boolean> {
    const { changes } = await q.run(
      `INSERT INTO user_state (tenant_id, user_id, low_balance_notified, language_code)
       VALUES (?, ?, 1, NULL)
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET low_balance_notified = 1
       WHERE user_state.low_balance_notified = 0`,
      [this.#tenantId, userId],
    );
    return changes === 1;
  }

  /** Clears the low-balance flag (the balance is healthy again), so the next dip is told. */
  async clearLowBalanceNotice(q: SqlRunner, userId: number): Promise<void> {
    await q.run(
      `UPDATE user_state SET low_balance_notified = 0
       WHERE tenant_id = ? AND user_id = ? AND low_balance_notified <> 0`,
      [this.#tenantId, userId],
    );
  }

  /** Whether the user was told about a low balance and has not topped up since. */
  async lowBalanceNotified(q: SqlRunner, userId: number): Promise<boolean> {
    const row = await q.get<{ low_balance_notified: number }>(
      "SELECT low_balance_notified FROM user_state WHERE tenant_id = ? AND user_id = ?",
      [this.#tenantId, userId],
    );
    return row !== undefined && Number(row.low_balance_notified) !== 0;
  }

  /**
   * Remembers the user's Telegram `language_code`; `undefined` (Telegram did not say) keeps
   * what was known.
   */
  async rememberLanguage(
    q: SqlRunner,
    userId: number,
    languageCode: string | undefined,
  ): Promise<void> {
    if (languageCode === undefined || languageCode === "") return;
    await q.run(
      `INSERT INTO user_state (tenant_id, user_id, low_balance_notified, language_code)
       VALUES (?, ?, 0, ?)
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET language_code = excluded.language_code`,
      [this.#tenantId, userId, languageCode],
    );
  }

  /**
   * Remembers the user's Telegram `@username` (without `@`), so an admin can name them by it
   * (`/user @ann`); `undefined` keeps what was known.
   */
  async rememberUsername(
    q: SqlRunner,
    userId: number,
    username: string | undefined,
  ): Promise<void> {
    if (username === undefined || username === "") return;
    await q.run(
      `INSERT INTO user_state (tenant_id, user_id, low_balance_notified, username)
       VALUES (?, ?, 0, ?)
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET username = excluded.username`,
      [this.#tenantId, userId, username],
    );
  }

  /** The user last known by `username` (without `@`, any case), or `undefined`. */
  async byUsername(q: SqlRunner, username: string): Promise<number | undefined> {
    const row = await q.get<{ user_id: number }>(
      `SELECT user_id FROM user_state WHERE tenant_id = ? AND LOWER(username) = ?`,
      [this.#tenantId, username.toLowerCase()],
    );
    return row === undefined ? undefined : Number(row.user_id);
  }

  /** The user's last known `language_code`, or `undefined`. */
  async language(q: SqlRunner, userId: number): Promise<string | undefined> {
    const row = await q.get<{ language_code: string | null }>(
      "SELECT language_code FROM user_state WHERE tenant_id = ? AND user_id = ?",
      [this.#tenantId, userId],
    );
    return row?.language_code ?? undefined;
  }
}
