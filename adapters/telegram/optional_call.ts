/**
 * A Bot API call a tenant makes for comfort, not to serve: registering its command menu, or
 * clearing a webhook it no longer uses. Only `getMe` and the update source decide whether a
 * tenant can start; a call like these failing (a self-hosted Bot API server that does not know
 * the method, a passing 5xx) must not keep a shop closed. So they run once the tenant serves and
 * are retried in the background, and `/status` shows the ones still failing
 * (`actors/tenant/optional_calls.ts`).
 *
 * @example
 * ```ts
 * import type { OptionalCall } from "./optional_call.ts";
 *
 * const menu: OptionalCall = {
 *   name: "setMyCommands (default scope)",
 *   run: (signal) => Promise.resolve(signal.aborted),
 * };
 * ```
 * @module
 */

/** One optional call, ready to be made and made again. */
export interface OptionalCall {
  /** What it does, as logs and `/status` name it: `setMyCommands (chat 42, ru)`. */
  readonly name: string;
  /** Makes the call once; aborting `signal` gives it up. */
  run(signal: AbortSignal): Promise<unknown>;
}

/** Where a call that failed while the tenant started goes to be retried once it serves. */
export type RetryInBackground = (call: OptionalCall, error: unknown) => void;
