/**
 * What a supervisor needs from anything it supervises: a way to stop it and a promise that
 * settles when it ends, saying why. Actors and supervisors both satisfy it, so supervision trees
 * nest (root → tenant supervisor → tenant actors).
 *
 * @example A minimal child
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Child, ExitReason } from "./child.ts";
 *
 * // Anything with `done` and `stop` can be supervised; this one idles until it is stopped.
 * function idleChild(): Child {
 *   const ended = Promise.withResolvers<ExitReason>();
 *   return {
 *     done: ended.promise,
 *     stop: async () => {
 *       ended.resolve({ kind: "normal" });
 *       await ended.promise;
 *     },
 *   };
 * }
 *
 * const child = idleChild();
 * await child.stop("no longer needed");
 * assert.deepEqual(await child.done, { kind: "normal" });
 * ```
 * @module
 */

/** Why a child ended: `normal` after a requested stop or a clean finish, `failure` otherwise. */
export type ExitReason =
  | { readonly kind: "normal" }
  | { readonly kind: "failure"; readonly error: unknown };

/** A running unit of work under supervision. */
export interface Child {
  /** Settles (never rejects) when the child has ended. */
  readonly done: Promise<ExitReason>;
  /** Asks the child to end and resolves when it has; `done` then holds `normal`. */
  stop(reason?: string): Promise<void>;
}

/**
 * An error that restarting cannot fix, such as a bot token Telegram rejects with 401. A
 * supervisor parks a child that fails with it at once instead of burning its restart budget.
 */
export class FatalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FatalError";
  }
}
