/**
 * Faults a test injects into a bot's next calls of one method (`sandbox.failNext`, `hangNext`,
 * `dropNext`, `loseAnswerNext`). Telegram fails in more ways than answering an error: a call
 * may never be answered, the connection may drop before the call arrives, or drop after the
 * call took effect, so the bot never learns that it did. Each needs its own test, because a
 * bot must treat them differently (a lost answer to a refund means the refund may exist).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransportFault } from "./faults.ts";
 * const lost = new TransportFault("lose_answer");
 * assert.equal(lost.kind, "lose_answer");
 * ```
 * @module
 */

import type { ApiErrorBody } from "../errors.ts";

/** One injected fault, used up by one call. */
export type Fault =
  /** Answer Telegram's error envelope; the call has no effect. */
  | { kind: "error"; body: ApiErrorBody }
  /** Never answer and do nothing; the request ends when the client gives up. */
  | { kind: "hang" }
  /** Cut the connection before the call does anything. */
  | { kind: "drop" }
  /** Run the call, then cut the connection instead of answering. */
  | { kind: "lose_answer" };

/** What the HTTP layer does instead of answering: hang, or cut the connection. */
export type TransportFaultKind = Exclude<Fault["kind"], "error">;

/**
 * Thrown by a call whose answer must not arrive; the HTTP layer turns it into a hang or a cut
 * connection, and a webhook reply (whose answer goes nowhere anyway) ignores it.
 */
export class TransportFault extends Error {
  readonly kind: TransportFaultKind;

  constructor(kind: TransportFaultKind) {
    super(`injected fault: ${kind}`);
    this.name = "TransportFault";
    this.kind = kind;
  }
}
