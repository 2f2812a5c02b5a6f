import { Api, HttpError } from "grammy";
import { assertEquals } from "../../support/assert.ts";
import { isChargeAlreadyRefunded, type PaymentsApi } from "../../../money/payments/bot_api.ts";
import { apiError } from "./payment_fixture.ts";
import { readBotApiFailure } from "../../../adapters/telegram/bot_api_failure.ts";

Deno.test("grammY's Api is a PaymentsApi as it is", () => {
  // The assignment is the check (deno check fails if the signatures drift apart); the
  // methods must also exist at run time.
  const api: PaymentsApi = new Api("123:token");
  const methods = [
    api.sendInvoice,
    api.createInvoiceLink,
    api.sendMessage,
    api.refundStarPayment,
    api.editUserStarSubscription,
  ];
  assertEquals(methods.map((method) => typeof method), Array(5).fill("function"));
});

Deno.test("isChargeAlreadyRefunded recognises only Telegram's CHARGE_ALREADY_REFUNDED", () => {
  assertEquals(
    isChargeAlreadyRefunded(
      readBotApiFailure(apiError("refundStarPayment", 400, "Bad Request: CHARGE_ALREADY_REFUNDED")),
    ),
    true,
  );
  assertEquals(
    isChargeAlreadyRefunded(
      readBotApiFailure(apiError("refundStarPayment", 400, "Bad Request: CHARGE_NOT_FOUND")),
    ),
    false,
  );
  assertEquals(
    isChargeAlreadyRefunded(readBotApiFailure(new Error("CHARGE_ALREADY_REFUNDED"))),
    false,
  );
  assertEquals(
    isChargeAlreadyRefunded(readBotApiFailure(new HttpError("network down", new Error("x")))),
    false,
  );
  assertEquals(isChargeAlreadyRefunded(readBotApiFailure(undefined)), false);
});
