/**
 * Checks for what enters the BalanceActor: tenants from the runtime, page requests from callers
 * and amounts from Telegram. An upstream answer that fails these checks is treated as a failed
 * step, so a malformed answer is never cached or shown as a balance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readStarAmount, readTransactions, validatePageRequest } from "./validate.ts";
 *
 * // A missing nanostarAmount is 0, as in the Bot API; both parts carry the sign.
 * assert.deepEqual(readStarAmount({ amount: 5 }, "getMyStarBalance"), {
 *   amount: 5,
 *   nanostarAmount: 0,
 * });
 * assert.throws(
 *   () => readStarAmount({ amount: 1, nanostarAmount: -5 }, "getMyStarBalance"),
 *   /^TypeError: getMyStarBalance: expected amount and nanostarAmount of the same sign/,
 * );
 * assert.throws(() => readTransactions({ ok: true }), TypeError);
 * assert.throws(
 *   () => validatePageRequest(0, 500),
 *   /transactions limit must be an integer from 1 to 100, got 500/,
 * );
 * ```
 * @module
 */
import type { BalanceTenant, StarTransaction } from "./types.ts";

/** The most transactions `getStarTransactions` returns per call (Bot API limit). */
export const MAX_TRANSACTIONS_LIMIT = 100;

/** Nanostars are billionths of a Star, so their magnitude stays below one Star. */
const MAX_NANOSTARS = 999_999_999;

function shown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (value !== null && typeof value === "object") return "an object";
  return String(value);
}

function requireFunction(owner: string, name: string, value: unknown): void {
  if (typeof value !== "function") {
    throw new TypeError(`${owner}.${name} must be a function, got ${shown(value)}`);
  }
}

/**
 * Checks a tenant before it is registered and returns it.
 *
 * @throws {TypeError} naming the first field that is missing or wrong.
 */
export function validateBalanceTenant(tenant: BalanceTenant): BalanceTenant {
  if (tenant === null || typeof tenant !== "object") {
    throw new TypeError(`balance tenant must be an object, got ${shown(tenant)}`);
  }
  if (typeof tenant.id !== "string" || tenant.id.trim() === "") {
    throw new TypeError(`balance tenant id must be a non-empty string, got ${shown(tenant.id)}`);
  }
  const owner = `balance tenant "${tenant.id}"`;
  if (
    typeof tenant.cacheTtlMs !== "number" || !Number.isFinite(tenant.cacheTtlMs) ||
    tenant.cacheTtlMs <= 0
  ) {
    throw new TypeError(
      `${owner}: cacheTtlMs must be a finite number of ms > 0, got ${shown(tenant.cacheTtlMs)}`,
    );
  }
  if (tenant.botApi === null || typeof tenant.botApi !== "object") {
    throw new TypeError(`${owner}: botApi must be an object, got ${shown(tenant.botApi)}`);
  }
  requireFunction(`${owner}: botApi`, "getMyStarBalance", tenant.botApi.getMyStarBalance);
  requireFunction(`${owner}: botApi`, "getStarTransactions", tenant.botApi.getStarTransactions);
  if (tenant.mtproto !== undefined) {
    if (tenant.mtproto === null || typeof tenant.mtproto !== "object") {
      throw new TypeError(
        `${owner}: mtproto must be an object or absent, got ${shown(tenant.mtproto)}`,
      );
    }
    requireFunction(`${owner}: mtproto`, "getStarsStatus", tenant.mtproto.getStarsStatus);
  }
  return tenant;
}

/**
 * Checks a transactions page request against the Bot API's rules.
 *
 * @throws {RangeError} naming `offset` or `limit` and the value given.
 */
export function validatePageRequest(offset: number, limit: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`transactions offset must be an integer >= 0, got ${shown(offset)}`);
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_TRANSACTIONS_LIMIT) {
    throw new RangeError(
      `transactions limit must be an integer from 1 to ${MAX_TRANSACTIONS_LIMIT}, got ${
        shown(limit)
      }`,
    );
  }
}

/**
 * Reads a value as a Stars amount; `what` (the call that answered it, or where it was stored)
 * starts the error message. A missing
 * `nanostarAmount` means 0, as in the Bot API.
 *
 * @throws {TypeError} when the answer is not a valid amount (not integers, nanostars out of
 * range, or whole Stars and nanostars of opposite signs).
 */
export function readStarAmount(
  value: unknown,
  what: string,
): { amount: number; nanostarAmount: number } {
  if (value === null || typeof value !== "object") {
    throw new TypeError(`${what}: expected a Stars amount, got ${shown(value)}`);
  }
  const { amount, nanostarAmount = 0 } = value as { amount?: unknown; nanostarAmount?: unknown };
  if (typeof amount !== "number" || !Number.isSafeInteger(amount)) {
    throw new TypeError(`${what}: expected an integer amount, got ${shown(amount)}`);
  }
  if (
    typeof nanostarAmount !== "number" || !Number.isSafeInteger(nanostarAmount) ||
    Math.abs(nanostarAmount) > MAX_NANOSTARS
  ) {
    throw new TypeError(
      `${what}: expected nanostarAmount to be an integer from -${MAX_NANOSTARS} to ` +
        `${MAX_NANOSTARS}, got ${shown(nanostarAmount)}`,
    );
  }
  if ((amount > 0 && nanostarAmount < 0) || (amount < 0 && nanostarAmount > 0)) {
    throw new TypeError(
      `${what}: expected amount and nanostarAmount of the same sign, got ${amount} and ` +
        `${nanostarAmount}`,
    );
  }
  return { amount, nanostarAmount };
}

/**
 * Reads an upstream's `getStarTransactions` answer. The transactions themselves pass as they
 * are: they are Telegram's records, shown and reconciled, never added into a balance here.
 *
 * @throws {TypeError} when it has no `transactions` array.
 */
export function readTransactions(value: unknown): StarTransaction[] {
  const transactions = (value as { transactions?: unknown } | null)?.transactions;
  if (!Array.isArray(transactions)) {
    throw new TypeError(
      `getStarTransactions: expected an object with a transactions array, got ${shown(value)}`,
    );
  }
  return transactions;
}
