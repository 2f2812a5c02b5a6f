/**
 * The failure half of the Bot API envelope. Handlers throw {@linkcode ApiError}; the HTTP layer
 * turns it into `{ ok: false, error_code, description, parameters? }` with the HTTP status equal
 * to `error_code`, as Telegram does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { badRequest, notEmulated } from "./errors.ts";
 *
 * assert.deepEqual(badRequest("message text is empty").toEnvelope(), {
 *   ok: false,
 *   error_code: 400,
 *   description: "Bad Request: message text is empty",
 * });
 * // Never a fake success: code relying on a method the sandbox lacks fails visibly.
 * assert.equal(notEmulated("sendPhoto").body.error_code, 501);
 * ```
 * @module
 */

import type { ResponseParameters } from "grammy/types";

/** What a failed Bot API call answers, minus `ok: false`. */
export interface ApiErrorBody {
  readonly error_code: number;
  readonly description: string;
  readonly parameters?: ResponseParameters;
}

/** A Bot API call that failed the way Telegram would fail it. */
export class ApiError extends Error {
  readonly body: ApiErrorBody;

  constructor(body: ApiErrorBody) {
    super(`${body.error_code} ${body.description}`);
    this.name = "ApiError";
    this.body = body;
  }

  /** The JSON envelope Telegram sends for this failure. */
  toEnvelope(): { ok: false } & ApiErrorBody {
    return { ok: false, ...this.body };
  }
}

/** 400 with Telegram's `Bad Request: ` prefix. */
export function badRequest(reason: string): ApiError {
  return new ApiError({ error_code: 400, description: `Bad Request: ${reason}` });
}

/**
 * 403 with Telegram's `Forbidden: ` prefix (a user blocked the bot, a chat the bot may not write
 * to).
 */
export function forbidden(reason: string): ApiError {
  return new ApiError({ error_code: 403, description: `Forbidden: ${reason}` });
}

/** 409 with Telegram's `Conflict: ` prefix. */
export function conflict(reason: string): ApiError {
  return new ApiError({ error_code: 409, description: `Conflict: ${reason}` });
}

/** The answer to an unknown, revoked or wrong-environment token. */
export function unauthorized(): ApiError {
  return new ApiError({ error_code: 401, description: "Unauthorized" });
}

/** The answer to a path or method name Telegram does not know. */
export function notFound(): ApiError {
  return new ApiError({ error_code: 404, description: "Not Found" });
}

/**
 * The answer to a real Bot API method that the sandbox does not emulate. It is never a fake
 * success: code that depends on such a method fails visibly in tests.
 */
export function notEmulated(method: string): ApiError {
  return new ApiError({
    error_code: 501,
    description: `Bad Request: method ${method} is not emulated by the Constellation sandbox`,
  });
}
