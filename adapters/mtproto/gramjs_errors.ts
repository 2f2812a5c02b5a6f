/**
 * Reading GramJS errors: how long Telegram asks us to wait, and whether the session lost its
 * authorization. Plus the error a call gets when it outlives its time budget.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api, errors } from "telegram";
 * import { floodWaitSeconds, isUnauthorized } from "./gramjs_errors.ts";
 *
 * const request = new Api.help.GetConfig();
 * assert.equal(floodWaitSeconds(new errors.FloodWaitError({ capture: 30 })), 30);
 * // The same text on a plain RPCError, as when an error is built outside GramJS's mapping.
 * assert.equal(floodWaitSeconds(new errors.RPCError("FLOOD_WAIT_5", request, 420)), 5);
 * assert.equal(floodWaitSeconds(new Error("boom")), undefined);
 *
 * assert.equal(isUnauthorized(new errors.RPCError("AUTH_KEY_UNREGISTERED", request, 401)), true);
 * assert.equal(isUnauthorized(new errors.RPCError("PEER_ID_INVALID", request, 400)), false);
 * ```
 * @module
 */
import { errors } from "telegram";

// GramJS turns FLOOD_WAIT_X and FLOOD_PREMIUM_WAIT_X into errors.FloodWaitError; the pattern
// catches the same text on a plain RPCError (an error built outside GramJS's mapping).
const FLOOD_WAIT = /^FLOOD(?:_PREMIUM)?_WAIT_(\d+)$/;

/** The seconds Telegram asks to wait, or `undefined` when `error` is not a flood wait. */
export function floodWaitSeconds(error: unknown): number | undefined {
  if (error instanceof errors.FloodWaitError) return error.seconds;
  if (error instanceof errors.RPCError) {
    const match = FLOOD_WAIT.exec(error.errorMessage);
    if (match) return Number(match[1]);
  }
  return undefined;
}

/**
 * Whether `error` says the session is not (or no longer) authorized: Telegram's 401 class
 * (AUTH_KEY_UNREGISTERED, SESSION_REVOKED, USER_DEACTIVATED …). The cure is a new login.
 */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof errors.RPCError && error.code === 401;
}

/** A call to Telegram over MTProto that took longer than its budget. */
export class MtprotoTimeoutError extends Error {
  constructor(readonly tenantId: string, readonly timeoutMs: number) {
    super(
      `MTProto call of tenant "${tenantId}" got no answer within ${timeoutMs} ms ` +
        `(connect, login and payments.getStarsStatus share this budget); the connection is dropped`,
    );
    this.name = "MtprotoTimeoutError";
  }
}
