/**
 * What a supervisor needs from anything it supervises: a way to stop it and a promise that
 * settles when it ends, saying why. Actors and supervisors both satisfy it, so supervision trees
 * nest (root → tenant supervisor → tenant actors).
 *
 * @example
 * ```ts
 * import type { Child, ExitReason } from "./child.ts";
 * function logExit(child: Child) {
 *   child.done.then((why: ExitReason) => console.log(why.kind));
 * }
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
