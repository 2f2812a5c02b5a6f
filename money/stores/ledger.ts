/**
 * The user's in-bot credit balance. A bot cannot read or debit a user's Telegram Stars wallet:
 * it can only send an invoice the user pays. So users buy credits with Stars and the bot spends
 * those credits; this ledger is where they live.
 *
 * The ledger is append-only (`ledger_entries`): every change is a new row that records its signed
 * amount and the balance after it, so the balance is the newest row's `balance_after` and the
 * rows are the full audit trail. Rows are numbered per user (`seq`); the primary key
 * `(tenant_id, user_id, seq)` means two writers that read the same balance cannot both append
 * on top of it, so a race fails (and is retried) instead of forking the balance.
 *
 * Every write carries an idempotency key, unique per tenant: update handlers can run twice (the
 * inbox re-runs unfinished updates after a restart), and a repeated key returns the first
 * result instead of applying the change again.
 *
 * Writes must run inside the caller's transaction (`db.transaction`), so a ledger change commits
 * or rolls back together with the order, payment and outbox rows that belong to it.
 *
 * @example
 * ```ts
 * import { Ledger } from "./ledger.ts";
 * import { systemClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const ledger = new Ledger("shop", systemClock);
 * await db.transaction((tx) =>
 *   ledger.deposit(tx, 42, 100, { idempotencyKey: "payment:ch_1", reason: "bought 100 credits" })
 * );
 * const spent = await db.transaction((tx) =>
 *   ledger.deduct(tx, 42, 30, { idempotencyKey: "use:1", reason: "generated an image" })
 * );
 * console.log(spent.ok && spent.balance); // 70
 * await db.close();
 * ```
 * @module
 */
import { requireTenantId, shown } from "../../actors/kernel/argument_checks.ts";
import type { Clock } from "../../actors/kernel/clock.ts";
import type { SqlRunner } from "../ports.ts";

/**
 * What a ledger entry records: `deposit` (+, credits bought), `charge` (−, credits spent),
 * `refund` (−, credits taken back because their Stars were refunded) and `adjustment`
 * (±, a correction by an admin).
 *
 * @example
 * ```ts
 * import type { LedgerEntryKind } from "./ledger.ts";
 * const kind: LedgerEntryKind = "deposit";
 * ```
 */
export type LedgerEntryKind = "deposit" | "charge" | "refund" | "adjustment";

/**
 * One row of the ledger.
 *
 * @example
 * ```ts
 * import type { LedgerEntry } from "./ledger.ts";
 * const entry: LedgerEntry = {
 *   userId: 42, seq: 1, kind: "deposit", amount: 100, balanceAfter: 100,
 *   idempotencyKey: "payment:ch_1", reason: "bought 100 credits", createdAt: 0,
 * };
 * ```
 */
export interface LedgerEntry {
  userId: number;
  /** Position in this user's ledger, from 1. */
  seq: number;
  kind: LedgerEntryKind;
  /** Signed: positive adds credits, negative takes them. */
  amount: number;
  /** The user's balance once this entry applied. */
  balanceAfter: number;
  idempotencyKey: string;
  reason: string;
  /** Milliseconds since the epoch, from the ledger's clock. */
  createdAt: number;
}

/**
 * The result of a write that cannot be refused. `repeated` is true when the idempotency key was
 * used before; `entry` is then the entry the first call wrote, and nothing new was written.
 *
 * @example
 * ```ts
 * import type { Posted } from "./ledger.ts";
 * function describe(posted: Posted): string {
 *   return posted.repeated ? "already applied" : `balance now ${posted.entry.balanceAfter}`;
 * }
 * ```
 */
export interface Posted {
  entry: LedgerEntry;
  repeated: boolean;
}

/**
 * The result of {@linkcode Ledger.deduct}: the charge, or a refusal saying how many credits are
 * missing.
 *
 * @example
 * ```ts
 * import type { DeductResult } from "./ledger.ts";
 * function describe(result: DeductResult): string {
 *   return result.ok ? `left: ${result.balance}` : `need ${result.shortfall} more credits`;
 * }
 * ```
 */
export type DeductResult =
  | { ok: true; entry: LedgerEntry; balance: number; repeated: boolean }
  | { ok: false; balance: number; shortfall: number };

/** What every write needs besides the amount. */
export interface LedgerWriteOptions {
  /** Unique per tenant; a repeated key returns the first result. E.g. `payment:<chargeId>`. */
  idempotencyKey: string;
  /** Why the balance changed, for the audit trail; must not be empty. */
  reason: string;
}

/**
 * How often an append is retried after losing a race for the next `seq` to another writer.
 * Each loss means that writer appended an entry, so a few losses in a row within one
 * transaction can only come from a storm of writers on one user; failing loudly then is better
 * than spinning.
 */
const MAX_APPEND_TRIES = 5;

interface LedgerRow {
  user_id: number;
  seq: number;
  kind: string;
  amount: number;
  balance_after: number;
  idempotency_key: string;
  reason: string;
  created_at: number;
}

const COLUMNS = "user_id, seq, kind, amount, balance_after, idempotency_key, reason, created_at";

// Number() because PostgreSQL drivers return BIGINT columns as strings.
function toEntry(row: LedgerRow): LedgerEntry {
  return {
    userId: Number(row.user_id),
    seq: Number(row.seq),
    kind: row.kind as LedgerEntryKind,
    amount: Number(row.amount),
    balanceAfter: Number(row.balance_after),
    idempotencyKey: row.idempotency_key,
    reason: row.reason,
    createdAt: Number(row.created_at),
  };
}

function requireUserId(userId: number): void {
  if (!Number.isSafeInteger(userId) || userId <= 0) {
    throw new RangeError(`ledger: userId must be a positive integer, got ${shown(userId)}`);
  }
}

function requirePositiveAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new RangeError(
      `ledger: amount must be a positive whole number of credits, got ${shown(amount)}`,
    );
  }
}

function requireOptions(opts: LedgerWriteOptions): void {
  if (typeof opts?.idempotencyKey !== "string" || opts.idempotencyKey.trim() === "") {
    throw new TypeError(
      `ledger: idempotencyKey must be a non-empty string, got ${shown(opts?.idempotencyKey)}`,
    );
  }
  if (typeof opts.reason !== "string" || opts.reason.trim() === "") {
    throw new TypeError(`ledger: reason must be a non-empty string, got ${shown(opts.reason)}`);
  }
}

/**
 * Whether an entry may take the balance below zero: spending may not, taking back refunded
 * credits and admin corrections may (see {@linkcode Ledger.reverse}).
 */
type Rule = "never-below-zero" | "may-go-negative";

interface Append {
  userId: number;
  kind: LedgerEntryKind;
  /** Signed, as stored. */
  amount: number;
  opts: LedgerWriteOptions;
}

/** A spend refused for lack of credits; `balance` is the balance it found. */
interface Refusal {
  refused: true;
  balance: number;
}

/**
 * The credit ledger of one tenant. Reads take any {@linkcode SqlRunner}; writes must be given a
 * transaction.
 *
 * @example
 * ```ts
 * import { Ledger } from "./ledger.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const ledger = new Ledger("shop", new ManualClock(0));
 * await db.transaction((tx) => ledger.deposit(tx, 7, 5, { idempotencyKey: "k1", reason: "gift" }));
 * console.log(await ledger.balance(db, 7)); // 5
 * await db.close();
 * ```
 */
export class Ledger {
  readonly #tenantId: string;
  readonly #clock: Clock;

  /** @throws {TypeError} when `tenantId` is not a non-empty string. */
  constructor(tenantId: string, clock: Clock) {
    requireTenantId("ledger", tenantId);
    this.#tenantId = tenantId;
    this.#clock = clock;
  }

  /**
   * The user's balance: the newest entry's `balance_after`, 0 for a user without entries. May
   * be negative after a {@linkcode Ledger.reverse}.
   *
   * @example
   * ```ts ignore
   * const credits = await ledger.balance(db, userId);
   * ```
   */
  async balance(q: SqlRunner, userId: number): Promise<number> {
    requireUserId(userId);
    return (await this.#head(q, userId)).balance;
  }

  /**
   * Adds `amount` credits (kind `deposit`), e.g. after a Stars payment. Run inside a transaction.
   *
   * @throws {RangeError} when `amount` is not a positive integer.
   * @throws {Error} when the key was used before for a different user, kind or amount.
   * @example
   * ```ts ignore
   * await db.transaction((tx) =>
   *   ledger.deposit(tx, userId, 100, { idempotencyKey: `payment:${chargeId}`, reason: "100 credits" })
   * );
   * ```
   */
  async deposit(
    tx: SqlRunner,
    userId: number,
    amount: number,
    opts: LedgerWriteOptions,
  ): Promise<Posted> {
    requirePositiveAmount(amount);
    return await this.#append(tx, { userId, kind: "deposit", amount, opts }, "may-go-negative");
  }

  /**
   * Spends `amount` credits (kind `charge`) unless the balance is short; then nothing is written
   * and the result says how many credits are missing. Run inside a transaction.
   *
   * A repeated key returns the first successful result unchanged (`balance` is the balance
   * right after that charge, not today's). A refused attempt writes nothing, so its key stays
   * unused: repeating it evaluates the balance again and may then succeed, which is what a user
   * retrying after a top-up expects.
   *
   * @throws {RangeError} when `amount` is not a positive integer.
   * @throws {Error} when the key was used before for a different user, kind or amount.
   * @example
   * ```ts ignore
   * const result = await db.transaction((tx) =>
   *   ledger.deduct(tx, userId, 3, { idempotencyKey: `use:${updateId}`, reason: "image" })
   * );
   * if (!result.ok) console.log(`top up ${result.shortfall} credits`);
   * ```
   */
  async deduct(
    tx: SqlRunner,
    userId: number,
    amount: number,
    opts: LedgerWriteOptions,
  ): Promise<DeductResult> {
    requirePositiveAmount(amount);
    const outcome = await this.#append(
      tx,
      { userId, kind: "charge", amount: -amount, opts },
      "never-below-zero",
    );
    if ("refused" in outcome) {
      return { ok: false, balance: outcome.balance, shortfall: amount - outcome.balance };
    }
    const { entry, repeated } = outcome;
    return { ok: true, entry, balance: entry.balanceAfter, repeated };
  }

  /**
   * Takes back `amount` credits whose Stars were refunded (kind `refund`). Run inside a
   * transaction.
   *
   * Unlike {@linkcode Ledger.deduct} this may take the balance below zero, and must: Telegram
   * has already returned the Stars, so the credits they bought no longer exist whether or not
   * the user has spent them. A negative balance records that debt honestly; refusing would
   * leave the user with credits paid for by nobody. Deductions are refused until a top-up
   * brings the balance back above the price.
   *
   * @throws {RangeError} when `amount` is not a positive integer.
   * @throws {Error} when the key was used before for a different user, kind or amount.
   * @example
   * ```ts ignore
   * await db.transaction((tx) =>
   *   ledger.reverse(tx, userId, 100, { idempotencyKey: `refund:${chargeId}`, reason: "refunded" })
   * );
   * ```
   */
  async reverse(
    tx: SqlRunner,
    userId: number,
    amount: number,
    opts: LedgerWriteOptions,
  ): Promise<Posted> {
    requirePositiveAmount(amount);
    return await this.#append(
      tx,
      { userId, kind: "refund", amount: -amount, opts },
      "may-go-negative",
    );
  }

  /**
   * An admin's correction (kind `adjustment`): a signed, non-zero amount. Run inside a
   * transaction.
   *
   * A negative adjustment is not refused for crossing zero: the admin has decided it (e.g.
   * taking back credits granted by mistake after some were spent), and like a refund it leaves
   * the user unable to spend until topped up.
   *
   * @throws {RangeError} when `amount` is zero or not an integer.
   * @throws {Error} when the key was used before for a different user, kind or amount.
   * @example
   * ```ts ignore
   * await db.transaction((tx) =>
   *   ledger.adjust(tx, userId, -20, { idempotencyKey: "admin:fix-17", reason: "duplicate gift" })
   * );
   * ```
   */
  async adjust(
    tx: SqlRunner,
    userId: number,
    amount: number,
    opts: LedgerWriteOptions,
  ): Promise<Posted> {
    if (!Number.isSafeInteger(amount) || amount === 0) {
      throw new RangeError(
        `ledger: an adjustment must be a non-zero whole number of credits, got ${shown(amount)}`,
      );
    }
    return await this.#append(tx, { userId, kind: "adjustment", amount, opts }, "may-go-negative");
  }

  /**
   * One page of the user's entries, newest first, and how many entries there are in all.
   *
   * @throws {RangeError} when `limit` is not an integer ≥ 1 or `offset` not an integer ≥ 0.
   * @example
   * ```ts ignore
   * const { entries, total } = await ledger.history(db, userId, { limit: 10, offset: 0 });
   * ```
   */
  async history(
    q: SqlRunner,
    userId: number,
    page: { limit: number; offset: number },
  ): Promise<{ entries: LedgerEntry[]; total: number }> {
    requireUserId(userId);
    if (!Number.isSafeInteger(page?.limit) || page.limit < 1) {
      throw new RangeError(`ledger: page.limit must be an integer >= 1, got ${shown(page?.limit)}`);
    }
    if (!Number.isSafeInteger(page.offset) || page.offset < 0) {
      throw new RangeError(
        `ledger: page.offset must be an integer >= 0, got ${shown(page.offset)}`,
      );
    }
    const rows = await q.all<LedgerRow>(
      `SELECT ${COLUMNS} FROM ledger_entries WHERE tenant_id = ? AND user_id = ?
       ORDER BY seq DESC LIMIT ? OFFSET ?`,
      [this.#tenantId, userId, page.limit, page.offset],
    );
    const count = await q.get<{ total: number }>(
      "SELECT COUNT(*) AS total FROM ledger_entries WHERE tenant_id = ? AND user_id = ?",
      [this.#tenantId, userId],
    );
    return { entries: rows.map(toEntry), total: Number(count?.total ?? 0) };
  }

  async #head(q: SqlRunner, userId: number): Promise<{ seq: number; balance: number }> {
    const row = await q.get<{ seq: number; balance_after: number }>(
      `SELECT seq, balance_after FROM ledger_entries WHERE tenant_id = ? AND user_id = ?
       ORDER BY seq DESC LIMIT 1`,
      [this.#tenantId, userId],
    );
    return row === undefined
      ? { seq: 0, balance: 0 }
      : { seq: Number(row.seq), balance: Number(row.balance_after) };
  }

  /** The entry already written under the key of `append`, checked to be the same change. */
  async #earlier(tx: SqlRunner, append: Append): Promise<LedgerEntry | undefined> {
    const row = await tx.get<LedgerRow>(
      `SELECT ${COLUMNS} FROM ledger_entries WHERE tenant_id = ? AND idempotency_key = ?`,
      [this.#tenantId, append.opts.idempotencyKey],
    );
    if (row === undefined) return undefined;
    const entry = toEntry(row);
    if (
      entry.userId !== append.userId || entry.kind !== append.kind ||
      entry.amount !== append.amount
    ) {
      // Two different changes under one key: the caller built its keys wrong, and answering
      // "already done" would silently drop one of the changes.
      throw new Error(
        `ledger: idempotency key ${shown(append.opts.idempotencyKey)} was already used for ` +
          `${entry.kind} ${entry.amount} of user ${entry.userId}; it cannot be reused for ` +
          `${append.kind} ${append.amount} of user ${append.userId}`,
      );
    }
    return entry;
  }

  /**
   * Reads the newest entry and inserts the next one on top of it. The insert skips on any
   * conflict; zero changes mean another writer got there first, with either the same key
   * (then its entry is the answer) or the same seq (then read again and retry). On PostgreSQL
   * this relies on READ COMMITTED, its default: the insert waits for the other writer to commit,
   * and the next read sees its row.
   */
  #append(tx: SqlRunner, append: Append, rule: "may-go-negative"): Promise<Posted>;
  #append(tx: SqlRunner, append: Append, rule: "never-below-zero"): Promise<Posted | Refusal>;
  async #append(tx: SqlRunner, append: Append, rule: Rule): Promise<Posted | Refusal> {
    requireUserId(append.userId);
    requireOptions(append.opts);
    for (let attempt = 1; attempt <= MAX_APPEND_TRIES; attempt++) {
      const earlier = await this.#earlier(tx, append);
      if (earlier !== undefined) return { entry: earlier, repeated: true };
      const head = await this.#head(tx, append.userId);
      const balanceAfter = head.balance + append.amount;
      if (rule === "never-below-zero" && balanceAfter < 0) {
        return { refused: true, balance: head.balance };
      }
      if (!Number.isSafeInteger(balanceAfter)) {
        throw new RangeError(
          `ledger: ${append.kind} ${append.amount} would take user ${append.userId}'s balance ` +
            `beyond the safe integer range`,
        );
      }
      const entry: LedgerEntry = {
        userId: append.userId,
        seq: head.seq + 1,
        kind: append.kind,
        amount: append.amount,
        balanceAfter,
        idempotencyKey: append.opts.idempotencyKey,
        reason: append.opts.reason,
        createdAt: this.#clock.now(),
      };
      const { changes } = await tx.run(
        `INSERT INTO ledger_entries (tenant_id, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        [
          this.#tenantId,
          entry.userId,
          entry.seq,
          entry.kind,
          entry.amount,
          entry.balanceAfter,
          entry.idempotencyKey,
          entry.reason,
          entry.createdAt,
        ],
      );
      if (changes === 1) return { entry, repeated: false };
    }
    throw new Error(
      `ledger: could not append ${append.kind} for user ${append.userId} after ` +
        `${MAX_APPEND_TRIES} tries: other writers kept taking the next entry number`,
    );
  }
}
