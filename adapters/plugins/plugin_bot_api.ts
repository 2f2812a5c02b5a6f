/**
 * Makes a plugin's Bot API call in the host, with the tenant's own client: the worker names a
 * method and its parameters, the token stays here. Telegram's answer goes back as it came; an
 * error that never reached Telegram goes back as text with every secret removed.
 *
 * A few methods are refused: they belong to the runtime (how updates arrive, invoices and
 * refunds, which must go through the ledger) or touch the bot's own Stars.
 * @module
 */
import { GrammyError } from "grammy";
import { describeError } from "../telegram/describe_error.ts";
import { secrets } from "../observability/redact.ts";
import type { ApiAnswer, ApiReply } from "./protocol.ts";

/** Makes a Bot API call of the tenant's bot (the host's client, which holds the token). */
export type RawCall = (
  method: string,
  payload: Record<string, unknown>,
  signal: AbortSignal,
) => Promise<unknown>;

/** Lower-cased, as Telegram matches method names without regard to case. */
const RESERVED_METHODS = new Set([
  // How updates reach the runtime: a plugin taking them would break exactly-once handling.
  "getupdates",
  "setwebhook",
  "deletewebhook",
  "logout",
  "close",
  // Selling and refunding: an offer goes through `stars.offer`, so that an order exists to check
  // the payment against, and refunds stay with the admins.
  "sendinvoice",
  "createinvoicelink",
  "sendpaidmedia",
  "answerprecheckoutquery",
  "answershippingquery",
  "refundstarpayment",
  "edituserstarsubscription",
  // The bot's own Stars: not a plugin's to read or spend.
  "getmystarbalance",
  "getstartransactions",
  "getbusinessaccountstarbalance",
  "transferbusinessaccountstars",
  "sendgift",
  "giftpremiumsubscription",
  "upgradegift",
  "transfergift",
  "convertgifttostars",
]);

/** A Bot API method name: letters and digits, so no path can be smuggled into the URL. */
const METHOD_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/** Calls `method` for a plugin through `call`, unless plugins may not; never throws. */
export async function callForPlugin(
  method: string,
  payload: Record<string, unknown>,
  call: RawCall,
  signal: AbortSignal,
): Promise<ApiReply> {
  if (!METHOD_NAME.test(method)) {
    return refused(404, `Not Found: ${JSON.stringify(method)} is not a Bot API method`);
  }
  if (RESERVED_METHODS.has(method.toLowerCase())) {
    return refused(403, `Forbidden: a plugin may not call ${method}; the runtime does`);
  }
  try {
    return { kind: "answer", answer: { ok: true, result: await call(method, payload, signal) } };
  } catch (error) {
    if (error instanceof GrammyError) {
      return {
        kind: "answer",
        answer: {
          ok: false,
          error_code: error.error_code,
          description: secrets.redact(error.description),
          parameters: error.parameters,
        },
      };
    }
    return { kind: "unreachable", message: secrets.redact(describeError(error)) };
  }
}

function refused(code: number, description: string): ApiReply {
  const answer: ApiAnswer = { ok: false, error_code: code, description };
  return { kind: "answer", answer };
}
