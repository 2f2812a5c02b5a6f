/**
 * The ports of the money domain: what it needs from the world, declared here so that the domain
 * never imports an adapter. The wiring (`actors/`, `main.ts`) passes implementations in:
 * `adapters/storage/` implements {@linkcode Database}, `adapters/telegram/texts.ts` the
 * {@linkcode Texts}, `adapters/observability/` the {@linkcode Logger} and {@linkcode Redact},
 * `adapters/telegram/bot_api_failure.ts` the {@linkcode ReadBotApiFailure} verdict.
 *
 * @example Adapters implement the ports; the domain sees only the ports
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Database, Texts } from "./ports.ts";
 * import { openDatabase } from "../adapters/storage/open_database.ts";
 * import { Texts as TenantTexts } from "../adapters/telegram/texts.ts";
 *
 * const db: Database = await openDatabase("sqlite::memory:");
 * // A transaction that throws is rolled back, and its error rethrown.
 * await assert.rejects(
 *   db.transaction(async (tx) => {
 *     await tx.run("INSERT INTO kv (tenant_id, key, value) VALUES (?, ?, ?)", ["shop", "k", "v"]);
 *     throw new Error("changed my mind");
 *   }),
 *   /changed my mind/,
 * );
 * assert.equal(await db.get("SELECT value FROM kv WHERE key = ?", ["k"]), undefined);
 * await db.close();
 *
 * const texts: Texts = new TenantTexts({}, "en");
 * assert.equal(texts.forUser("ru-RU").locale, "ru");
 * assert.equal(texts.forUser("de").locale, "en"); // the tenant's locale
 * ```
 * @module
 */
import type { TenantConfig } from "../config/tenant_schema.ts";
import type { StarBalance, TransactionsPage } from "./bot_stars/types.ts";

/** A value a statement can bind or return. Integers are JavaScript numbers (ids fit in 53 bits). */
export type SqlValue = string | number | null;

/**
 * Runs statements; inside a transaction, against that transaction. Each store of the domain
 * owns its SQL, written portably (`?` placeholders, no engine-specific functions) so every
 * engine runs the same statements.
 */
export interface SqlRunner {
  /** Every row of a query. */
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row of a query, or `undefined`. */
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement without rows; says how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

/**
 * A database connection (or pool) with transactions. Implemented for SQLite and PostgreSQL in
 * `adapters/storage/`; `tests/money/database.contract.ts` is what every engine must pass.
 */
export interface Database extends SqlRunner {
  /** Which engine runs the statements; for the rare place that must know. */
  readonly dialect: "sqlite" | "postgres";
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws (the
   * error is rethrown); all of its statements take effect, or none. A statement that fails
   * inside fails the transaction, even if `fn` catches its error.
   *
   * Transactions may run side by side (PostgreSQL runs them on a pool of connections; SQLite
   * happens to run one at a time), and what the stores rely on holds either way: each is
   * isolated at least at READ COMMITTED (it never sees another's uncommitted writes, and each
   * statement sees what was committed before it began); a unique key makes concurrent inserts
   * of one key conflict (one lands; the others skip with `ON CONFLICT`, or fail) instead of
   * duplicating; of concurrent `UPDATE`s whose `WHERE` re-checks the value each one read, only
   * one takes effect (the others change 0 rows); and a lone statement never joins, nor sees,
   * another caller's open transaction. A read, then a write computed from it in JavaScript, is
   * not protected from a concurrent writer: make the write conditional, or a single statement.
   */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * Set on a view of a database that many views share (a tenant's on a lease): `database` is
   * the shared one, and `check(tx)` makes, inside a transaction `tx` of it, the check this view's
   * own transactions make before they write; it rejects when the view may not write. Lets small
   * writes of many tenants share one commit (the inbox's done marks), as they do where every
   * tenant uses the database itself.
   */
  readonly shared?: SharedDatabase;
  /** Closes the connection; pending transactions finish first. */
  close(): Promise<void>;
}

/** What {@linkcode Database.shared} gives: see there. */
export interface SharedDatabase {
  readonly database: Database;
  check(tx: SqlRunner): Promise<void>;
}

/** Thrown for a storage problem the caller can name to a person (bad URL, unreadable file …). */
export class StorageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageError";
  }
}

/** Structured logging; LogTape's `Logger` fits as it is. */
export interface Logger {
  debug(message: string, properties?: Record<string, unknown>): void;
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

/** Removes secrets (bot tokens) from a text before it is stored or shown. */
export type Redact = (text: string) => string;

/** A language the texts exist in: a locale with a texts file (`en`, `ru` …). */
export type Locale = TenantConfig["locale"];

/** The texts the money domain sends itself: receipts, refusals, notices to buyers and admins. */
export type MoneyTextKey =
  | "admin.orphan"
  | "admin.orphan.foreign_payer"
  | "admin.orphan.unknown_order"
  | "admin.dead_update"
  | "admin.dead_update.payment"
  | "admin.orphan.unknown_product"
  | "admin.unmatched_refund"
  | "invoice.product_disabled"
  | "invoice.stars_disabled"
  | "invoice.subscribe_button"
  | "invoice.subscription_link"
  | "low_balance.notice"
  | "low_balance.top_up"
  | "payment.double_refunded"
  | "payment.refunded"
  | "precheckout.already_paid"
  | "precheckout.error"
  | "precheckout.expired"
  | "precheckout.product_disabled"
  | "precheckout.unknown_order"
  | "precheckout.wrong_amount"
  | "precheckout.wrong_currency"
  | "precheckout.wrong_payer"
  | "receipt.credits"
  | "receipt.item"
  | "receipt.renewal"
  | "receipt.subscription"
  | "refund.button"
  | "refund.orphan_button"
  | "refund.failed"
  | "start.unknown_product"
  | "support.answer"
  | "support.no_receipts"
  | "support.receipt"
  | "support.receipt.refunded"
  | "support.to_admin";

/**
 * Values for a text's variables. A number that counts something must be passed as a number, so
 * the text can take its plural form ("1 credit", "2 кредита").
 */
export type TextVars = Record<string, string | number>;

/** A tenant's texts: its catalog with its overrides applied. */
export interface Texts {
  /** The text `key` in `locale`, with `{placeholders}` filled from `vars`. */
  t(locale: Locale, key: MoneyTextKey, vars?: TextVars): string;
  /** A translator bound to one user's language (the tenant's locale when there is none). */
  forUser(languageCode: string | undefined): {
    locale: Locale;
    t(key: MoneyTextKey, vars?: TextVars): string;
  };
}

/** What a failed Bot API call means, read from whatever the client threw. */
export type BotApiFailure =
  /** Telegram answered with an error: `code` is its `error_code`. */
  | { kind: "refused"; code: number; description: string; retryAfterSeconds?: number }
  /**
   * No answer came: the network failed, or the call ran out of time (`timedOut`: Telegram may
   * still have done what was asked, and other calls may well go through).
   */
  | { kind: "unreachable"; description: string; timedOut?: true }
  /** Anything else (a bug, a bad value): retrying may or may not help. */
  | { kind: "other"; description: string };

/** Reads a thrown error of a Bot API call as a {@linkcode BotApiFailure}. */
export type ReadBotApiFailure = (error: unknown) => BotApiFailure;

/**
 * The bot's own Stars as Telegram reports them (not a buyer's credits: those are the ledger's),
 * read through the process's BalanceActor with its cache and flood control.
 */
export interface BotStars {
  /** The bot's Stars balance, with where it came from and how old it is. */
  balance(tenantId: string): Promise<StarBalance>;
  /** One page of the bot's Stars transactions, newest first. */
  transactions(tenantId: string, offset: number, limit: number): Promise<TransactionsPage>;
  /** Forgets what is cached, after Stars moved. */
  invalidate(tenantId: string): Promise<void>;
}
