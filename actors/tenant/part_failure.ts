/**
 * How a failed part (the poller, the outbox sender, an update lane, a payment update) brings its
 * tenant down. The parts run beside the actor, so they report to its mailbox, and the actor
 * throws the error this module builds: the crash then goes through the supervisor like any
 * other, which restarts the tenant (or parks it) and keeps every other tenant out of it.
 *
 * @module
 */
import { FatalError } from "../kernel/child.ts";
import { describeError } from "../../adapters/telegram/describe_error.ts";

/** The error the tenant actor crashes with when `part` failed with `error`. */
export function partFailure(part: string, error: unknown): Error {
  const message = `${part} failed: ${describeError(error)}`;
  // A fatal cause (the token was revoked) stays fatal, so the supervisor parks the tenant at
  // once instead of restarting it against Telegram's 401.
  return error instanceof FatalError
    ? new FatalError(message, { cause: error })
    : new Error(message, { cause: error });
}
