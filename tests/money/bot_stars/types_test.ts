import { assertEquals, assertThrows } from "../../support/assert.ts";
import {
  BalanceUnavailableError,
  FloodWaitError,
  UnknownBalanceTenantError,
} from "../../../money/bot_stars/types.ts";

Deno.test("FloodWaitError takes a detail, error options, or both", () => {
  const cause = new Error("FLOOD_WAIT_7");
  const plain = new FloodWaitError(7);
  assertEquals(plain.message, "Telegram asked to wait 7 s before calling again");
  assertEquals([plain.seconds, plain.name, plain.cause], [7, "FloodWaitError", undefined]);
  const withCause = new FloodWaitError(7, { cause });
  assertEquals([withCause.message, withCause.cause], [plain.message, cause]);
  const both = new FloodWaitError(7, "payments.getStarsStatus", { cause });
  assertEquals(
    [both.message, both.cause],
    ["Telegram asked to wait 7 s before calling again (payments.getStarsStatus)", cause],
  );
});

Deno.test("FloodWaitError refuses a wait that is not a number of seconds", () => {
  for (const seconds of [-1, Number.NaN, Infinity]) {
    assertThrows(() => new FloodWaitError(seconds), RangeError, "seconds must be a finite number");
  }
});

Deno.test("the balance errors name the tenant and the reasons", () => {
  const unavailable = new BalanceUnavailableError("shop", [
    { source: "bot_api", reason: "Bad Gateway" },
    { source: "last_known", reason: "no balance was ever read from Telegram" },
  ]);
  assertEquals(
    unavailable.message,
    'no Stars balance for tenant "shop": bot_api: Bad Gateway; ' +
      "last_known: no balance was ever read from Telegram",
  );
  assertEquals(
    new UnknownBalanceTenantError("shop", "was unregistered").message,
    'balance: tenant "shop" was unregistered',
  );
});
