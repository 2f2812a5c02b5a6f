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
 * @example Bought, spent, refunded
 * ```ts
 * import assert from "node:assert/strict";
 * import { Ledger } from "./ledger.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const ledger = new Ledger("shop", new ManualClock(0));
 * const bought = { idempotencyKey: "payment:ch_1", reason: "100 credits" };
 * await db.transaction((tx) => ledger.deposit(tx, 42, 100, bought));
 * // The same payment handled again: the first entry, nothing new.
 * const again = await db.transaction((tx) => ledger.deposit(tx, 42, 100, bought));
 * assert.equal(again.repeated, true);
 *
 * const image = { idempotencyKey: "use:1", reason: "generated an image" };
 * const spent = await db.transaction((tx) => ledger.deduct(tx, 42, 30, image));
 * assert(spent.ok && spent.balance === 70);
 * const tooMuch = { idempotencyKey: "use:2", reason: "generated a film" };
 * const refused = await db.transaction((tx) => ledger.deduct(tx, 42, 500, tooMuch));
 * assert.deepEqual(refused, { ok: false, balance: 70, shortfall: 430 });
 *
 * // The Stars went back to the user: the 100 credits go too, spent or not.
 * const refund = { idempotencyKey: "refund:ch_1", reason: "refunded" };
 * await db.transaction((tx) => ledger.reverse(tx, 42, 100, refund));
 * assert.equal(await ledger.balance(db, 42), -30);
 * const { entries, total } = await ledger.history(db, 42, { limit: 10, offset: 0 });
 * assert.deepEqual(entries.map((entry) => entry.kind), ["refund", "charge", "deposit"]);
 * assert.equal(total, 3);
 * await db.close();
 * ```
 * @module
 */
import { requireTenantId, shown } from "../../actors/kernel/argument_checks.ts";
import type { Clock } from "../../actors/kernel/clock.ts";
import type { SqlRunner } from "../ports.ts";
import { TenantTable } from "./tenant_table.ts";

/**
 * What a ledger entry records: `deposit` (+, credits bought), `charge` (−, credits spent),
 * `refund` (−, credits taken back because their Stars were refunded) and `adjustment`
 * (±, a correction by an admin).
 */
export type LedgerEntryKind = "deposit" | "charge" | "refund" | "adjustment";

/** One row of the ledger. */
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
 */
export interface Posted {
  entry: LedgerEntry;
  repeated: boolean;
}

/**
 * The result of {@linkcode Ledger.deduct}: the charge, or a refusal saying how many credits are
 * missing.
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
 * A write to the ledger: `amount` credits of `userId` (signed for an adjustment, positive
 * otherwise), with its idempotency key and reason, run in the caller's transaction `tx`. Every
 * write has this shape; what differs is the kind of entry it posts.
 */
export type LedgerWrite<Result> = (
  tx: SqlRunner,
  userId: number,
  amount: number,
  opts: LedgerWriteOptions,
) => Promise<Result>;

/**
 * How often an append is retried after losing a race for the next `seq` to another writer.
 * Each loss means that writer appended an entry, so a few losses in a row within one
 * transaction can only come from a storm of writers on one user; failing loudly then is better
 * than spinning.
 */
const MAX_APPEND_TRIES = 5;

type LedgerRow = {
  user_id: number;
  seq: number;
  kind: string;
  amount: number;
  balance_after: number;
  idempotency_key: string;
  reason: string;
  created_at: number;
};

const COLUMNS: readonly (keyof LedgerRow)[] = [
  "user_id",
  "seq",
  "kind",
  "amount",
  "balance_after",
  "idempotency_key",
  "reason",
  "created_at",
];

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

/** An adjustment's amount is signed and must not be zero; every other kind's is positive. */
function requireAmount(kind: LedgerEntryKind, amount: number): void {
  if (kind === "adjustment") {
    if (!Number.isSafeInteger(amount) || amount === 0) {
      throw new RangeError(
        `ledger: an adjustment must be a non-zero whole number of credits, got ${shown(amount)}`,
      );
    }
  } else if (!Number.isSafeInteger(amount) || amount <= 0) {
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
 * What an entry of each kind does to the balance: the sign its amount is stored with (an
 * adjustment's amount comes signed), and whether it may take the balance below zero. Spending
 * may not; taking back refunded credits and admin corrections may (see
 * {@linkcode Ledger.reverse} and {@linkcode Ledger.adjust}).
 */
const ENTRY_RULES: Record<LedgerEntryKind, { sign: 1 | -1; mayGoNegative: boolean }> = {
  deposit: { sign: 1, mayGoNegative: true },
  charge: { sign: -1, mayGoNegative: false },
  refund: { sign: -1, mayGoNegative: true },
  adjustment: { sign: 1, mayGoNegative: true },
};

/** The kinds of entry that never refuse: every kind but `charge`. */
type UnrefusedKind = Exclude<LedgerEntryKind, "charge">;

/** A write as its caller asks for it: the amount unsigned (an adjustment's signed). */
interface Write {
  userId: number;
  amount: number;
  opts: LedgerWriteOptions;
}

/** A write with its kind and its amount signed as stored. */
interface Change extends Write {
  kind: LedgerEntryKind;
}

/** A spend refused for lack of credits; `balance` is the balance it found. */
interface Refusal {
  refused: true;
  balance: number;
}

/**
 * The credit ledger of one tenant. Reads take any {@linkcode SqlRunner}; writes must be given a
 * transaction.
 */
export class Ledger {
  readonly #rows: TenantTable<LedgerRow>;
  readonly #clock: Clock;

  /** @throws {TypeError} when `tenantId` is not a non-empty string. */
  constructor(tenantId: string, clock: Clock) {
    requireTenantId("ledger", tenantId);
    this.#rows = new TenantTable("ledger_entries", tenantId, COLUMNS);
    this.#clock = clock;
  }

  /**
   * The user's balance: the newest entry's `balance_after`, 0 for a user without entries. May
   * be negative after a {@linkcode Ledger.reverse}.
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
   */
  readonly deposit: LedgerWrite<Posted> = (tx, userId, amount, opts) =>
    this.#post(tx, "deposit", { userId, amount, opts });

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
   */
  readonly deduct: LedgerWrite<DeductResult> = async (tx, userId, amount, opts) => {
    const outcome = await this.#post(tx, "charge", { userId, amount, opts });
    if ("refused" in outcome) {
      return { ok: false, balance: outcome.balance, shortfall: amount - outcome.balance };
    }
    const { entry, repeated } = outcome;
    return { ok: true, entry, balance: entry.balanceAfter, repeated };
  };

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
   */
  readonly reverse: LedgerWrite<Posted> = (tx, userId, amount, opts) =>
    this.#post(tx, "refund", { userId, amount, opts });

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
   */
  readonly adjust: LedgerWrite<Posted> = (tx, userId, amount, opts) =>
    this.#post(tx, "adjustment", { userId, amount, opts });

  /**
   * The entry written under `idempotencyKey`, or `undefined`: what a payment actually credited,
   * say, whatever its product says today.
   */
  async entryUnder(q: SqlRunner, idempotencyKey: string): Promise<LedgerEntry | undefined> {
    const row = await this.#rows.find(q, { idempotency_key: idempotencyKey });
    return row === undefined ? undefined : toEntry(row);
  }

  /**
   * One page of the user's entries, newest first, and how many entries there are in all.
   *
   * @throws {RangeError} when `limit` is not an integer ≥ 1 or `offset` not an integer ≥ 0.
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
    const { tenantId, columns } = this.#rows;
    const rows = await q.all<LedgerRow>(
      `SELECT ${columns} FROM ledger_entries WHERE tenant_id = ? AND user_id = ?
       ORDER BY seq DESC LIMIT ? OFFSET ?`,
      [tenantId, userId, page.limit, page.offset],
    );
    const count = await q.get<{ total: number }>(
      "SELECT COUNT(*) AS total FROM ledger_entries WHERE tenant_id = ? AND user_id = ?",
      [tenantId, userId],
    );
    return { entries: rows.map(toEntry), total: Number(count?.total ?? 0) };
  }

  async #head(q: SqlRunner, userId: number): Promise<{ seq: number; balance: number }> {
    const row = await q.get<{ seq: number; balance_after: number }>(
      `SELECT seq, balance_after FROM ledger_entries WHERE tenant_id = ? AND user_id = ?
       ORDER BY seq DESC LIMIT 1`,
      [this.#rows.tenantId, userId],
    );
    return row === undefined
      ? { seq: 0, balance: 0 }
      : { seq: Number(row.seq), balance: Number(row.balance_after) };
  }

  /** The entry already written under the key of `change`, checked to be the same change. */
  async #earlier(tx: SqlRunner, change: Change): Promise<LedgerEntry | undefined> {
    const entry = await this.entryUnder(tx, change.opts.idempotencyKey);
    if (entry === undefined) return undefined;
    if (
      entry.userId !== change.userId || entry.kind !== change.kind ||
      entry.amount !== change.amount
    ) {
      // Two different changes under one key: the caller built its keys wrong, and answering
      // "already done" would silently drop one of the changes.
      throw new Error(
        `ledger: idempotency key ${shown(change.opts.idempotencyKey)} was already used for ` +
          `${entry.kind} ${entry.amount} of user ${entry.userId}; it cannot be reused for ` +
          `${change.kind} ${change.amount} of user ${change.userId}`,
      );
    }
    return entry;
  }

  /**
   * Every write: checks the arguments, signs the amount by its kind ({@linkcode ENTRY_RULES}),
   * then reads the newest entry and inserts the next one on top of it. The insert skips on any
   * conflict; zero changes mean another writer got there first, with either the same key
   * (then its entry is the answer) or the same seq (then read again and retry). On PostgreSQL
   * this relies on READ COMMITTED, its default: the insert waits for the other writer to commit,
   * and the next read sees its row.
   */
  #post(tx: SqlRunner, kind: UnrefusedKind, write: Write): Promise<Posted>;
  #post(tx: SqlRunner, kind: "charge", write: Write): Promise<Posted | Refusal>;
  async #post(tx: SqlRunner, kind: LedgerEntryKind, write: Write): Promise<Posted | Refusal> {
    requireAmount(kind, write.amount);
    requireUserId(write.userId);
    requireOptions(write.opts);
    const { sign, mayGoNegative } = ENTRY_RULES[kind];
    const change: Change = { ...write, kind, amount: sign * write.amount };
    for (let attempt = 1; attempt <= MAX_APPEND_TRIES; attempt++) {
      const earlier = await this.#earlier(tx, change);
      if (earlier !== undefined) return { entry: earlier, repeated: true };
      const head = await this.#head(tx, change.userId);
      const balanceAfter = head.balance + change.amount;
      if (!mayGoNegative && balanceAfter < 0) return { refused: true, balance: head.balance };
      if (!Number.isSafeInteger(balanceAfter)) {
        throw new RangeError(
          `ledger: ${kind} ${change.amount} would take user ${change.userId}'s balance ` +
            `beyond the safe integer range`,
        );
      }
      const entry: LedgerEntry = {
        userId: change.userId,
        seq: head.seq + 1,
        kind,
        amount: change.amount,
        balanceAfter,
        idempotencyKey: change.opts.idempotencyKey,
        reason: change.opts.reason,
        createdAt: this.#clock.now(),
      };
      const row: LedgerRow = {
        user_id: entry.userId,
        seq: entry.seq,
        kind: entry.kind,
        amount: entry.amount,
        balance_after: entry.balanceAfter,
        idempotency_key: entry.idempotencyKey,
        reason: entry.reason,
        created_at: entry.createdAt,
      };
      if (await this.#rows.insert(tx, row, "ON CONFLICT DO NOTHING") === 1) {
        return { entry, repeated: false };
      }
    }
    throw new Error(
      `ledger: could not append ${kind} for user ${change.userId} after ` +
        `${MAX_APPEND_TRIES} tries: other writers kept taking the next entry number`,
    );
  }
}
