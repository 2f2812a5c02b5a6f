/**
 * What an operator is told about a refund: the refunds service's outcome in words, with the
 * HTTP status that fits it. "Already refunded" is a success (the Stars are back, once); a
 * refund Telegram never answered is not called a failure — it may have happened, and
 * reconciliation will settle it from Telegram's transactions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeRefund } from "./refund_outcome.ts";
 *
 * const done = describeRefund(
 *   { kind: "refunded", chargeId: "ch_1", userId: 7, price: 50, credits: 100 },
 *   (text) => text,
 * );
 * assert.equal(done.status, 200);
 * assert.match(done.message, /Refunded 50 ★ to user 7/);
 * assert.equal(describeRefund({ kind: "unknown_charge", chargeId: "x" }, (t) => t).status, 404);
 * ```
 * @module
 */
import type { OperatorRefund } from "../runtime_view.ts";

/** The outcome as the console answers it. */
export interface DescribedRefund {
  readonly outcome: OperatorRefund["kind"];
  readonly chargeId: string;
  readonly status: number;
  readonly message: string;
  /** True when the payment is refunded now (by this request or before). */
  readonly refunded: boolean;
}

/** Describes `outcome`; error texts pass through `redact`. */
export function describeRefund(
  outcome: OperatorRefund,
  redact: (text: string) => string,
): DescribedRefund {
  const base = { outcome: outcome.kind, chargeId: outcome.chargeId };
  switch (outcome.kind) {
    case "refunded":
      return {
        ...base,
        status: 200,
        refunded: true,
        message: `Refunded ${outcome.price} ★ to user ${outcome.userId}` +
          (outcome.credits > 0 ? `; ${outcome.credits} credits taken back.` : "."),
      };
    case "already_refunded":
      return { ...base, status: 200, refunded: true, message: "Already refunded: nothing to do." };
    case "unknown_charge":
      return {
        ...base,
        status: 404,
        refunded: false,
        message: "No payment of this tenant has this charge id.",
      };
    case "failed":
      return {
        ...base,
        status: 502,
        refunded: false,
        message: `Telegram refused the refund; nothing changed: ${redact(outcome.error)}`,
      };
    case "unanswered":
      return {
        ...base,
        status: 504,
        refunded: false,
        message: "Telegram did not answer, so whether the Stars went back is not known yet; " +
          "reconciliation will settle it from Telegram's transactions.",
      };
    case "not_running":
      return {
        ...base,
        status: 503,
        refunded: false,
        message: "The tenant is not running, so its bot cannot be asked; try again once it is.",
      };
  }
}
