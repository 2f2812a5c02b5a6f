/**
 * The admins' **Refund** button, which the domain puts on its own notices (an unmatched payment)
 * and the chat handlers on theirs (`/transactions`, `/user`, a support request). Its data names
 * the charge itself, `stars:rf:<step>:<chargeId>`, so a button pressed on an old message refunds
 * the payment it showed and nothing else; the handlers ask to confirm first (`ask`), then refund
 * (`yes`) or leave it (`no`). The wire format is here, beside `TOP_UP_CALLBACK`, because the
 * domain writes such buttons; `adapters/telegram/callback_data.ts` parses it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refundButtonData } from "./refund_button.ts";
 *
 * assert.equal(refundButtonData("ask", "ch_1"), "stars:rf:ask:ch_1");
 * // A charge id that would not fit Telegram's 64 bytes gets no button (/refund still works).
 * assert.equal(refundButtonData("ask", "x".repeat(60)), undefined);
 * ```
 * @module
 */

/** The steps of a refund by button: ask to confirm, confirm, or leave it. */
export type RefundStep = "ask" | "yes" | "no";

/** The prefix of every refund button's data. */
export const REFUND_CALLBACK_PREFIX = "stars:rf:";

/** The characters a charge id may have in a button (Telegram's ids use these). */
export const BUTTON_CHARGE_ID = /^[A-Za-z0-9_.-]+$/;

/** Telegram's limit for `callback_data`, in bytes. */
const MAX_DATA_BYTES = 64;

/** The data of the refund button for `chargeId`, or `undefined` when it cannot be one. */
export function refundButtonData(step: RefundStep, chargeId: string): string | undefined {
  if (!BUTTON_CHARGE_ID.test(chargeId)) return undefined;
  const data = `${REFUND_CALLBACK_PREFIX}${step}:${chargeId}`;
  return data.length <= MAX_DATA_BYTES ? data : undefined;
}

/** An inline keyboard row with one Refund button labelled `text`, or none when it cannot be. */
export function refundButtonRow(
  text: string,
  chargeId: string,
): { text: string; callback_data: string }[] {
  const data = refundButtonData("ask", chargeId);
  return data === undefined ? [] : [{ text, callback_data: data }];
}
