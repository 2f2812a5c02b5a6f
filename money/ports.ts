/**
 * The ports of the money domain: what it needs from the world, declared here so that the domain
 * never imports an adapter. The wiring (`actors/`, `main.ts`) passes implementations in:
 * `adapters/storage/` implements {@linkcode Database}, `adapters/telegram/texts.ts` the
 * {@linkcode Texts}, `adapters/observability/` the {@linkcode Logger} and {@linkcode Redact},
 * `adapters/telegram/bot_api_failure.ts` the {@linkcode ReadBotApiFailure} verdict.
 *
 * @example
 * ```ts
 * import { assertEquals } from "node:assert/strict";
 * import type { BotApiFailure } from "./ports.ts";
 * const refused: BotApiFailure = { kind: "refused", code: 400, description: "Bad Request" };
 * assertEquals(refused.kind, "refused");
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

/** A database connection (or pool) with transactions. */
export interface Database extends SqlRunner {
  /** Which engine runs the statements; for the rare place that must know. */
  readonly dialect: "sqlite" | "postgres";
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws (the
   * error is rethrown). Transactions never interleave their statements.
   */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /** Closes the connection; pending transactions finish first. */
  close(): Promise<void>;
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

/** A language the texts exist in. */
export type Locale = TenantConfig["locale"];

/** The texts the money domain sends itself: receipts, refusals, notices to buyers and admins. */
export type MoneyTextKey =
  | "admin.orphan"
  | "admin.orphan.foreign_payer"
  | "admin.orphan.unknown_order"
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
  | "refund.failed"
  | "start.unknown_product";

/** Values for a text's `{placeholders}`. */
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
  /** No answer came: the network failed or the call timed out. */
  | { kind: "unreachable"; description: string }
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
