import { PRODUCT_ID_PATTERN } from "../../../config/tenant_schema.ts";
import { assertEquals, assertThrows } from "../../support/assert.ts";
import {
  CallbackDataError,
  encodeCallback,
  MAX_CALLBACK_DATA_BYTES,
  parseCallback,
  type StarsCallback,
} from "../../../adapters/telegram/callback_data.ts";
import { TOP_UP_CALLBACK } from "../../../money/payments/credits.ts";

Deno.test("every kind of callback encodes to its documented form and parses back", () => {
  const cases: [StarsCallback, string][] = [
    [{ kind: "balance" }, "stars:balance"],
    [{ kind: "products" }, "stars:products"],
    [{ kind: "buy", productId: "credits_100" }, "stars:buy:credits_100"],
    [{ kind: "history", page: 1 }, "stars:history:1"],
    [{ kind: "history", page: 999999999 }, "stars:history:999999999"],
    [{ kind: "subscriptions" }, "stars:subs"],
    [{ kind: "renewal", change: "cancel", productId: "monthly" }, "stars:sub:cancel:monthly"],
    [{ kind: "renewal", change: "resume", productId: "m-1_X" }, "stars:sub:resume:m-1_X"],
    [{ kind: "check" }, "stars:check"],
    [{ kind: "transactions", page: 3 }, "stars:tx:3"],
    [{ kind: "subscribers", page: 2 }, "stars:subs:2"],
    [{ kind: "purchases", page: 4 }, "stars:buyer:4"],
    [{ kind: "again", chargeId: "stx_A-1" }, "stars:again:stx_A-1"],
    [{ kind: "refund", step: "ask", chargeId: "stx_A-1" }, "stars:rf:ask:stx_A-1"],
    [{ kind: "refund", step: "yes", chargeId: "stx_A-1" }, "stars:rf:yes:stx_A-1"],
    [{ kind: "refund", step: "no", chargeId: "stx_A-1" }, "stars:rf:no:stx_A-1"],
  ];
  for (const [data, wire] of cases) {
    assertEquals(encodeCallback(data), wire);
    assertEquals(parseCallback(wire), data);
  }
});

Deno.test("a Refund button names its charge; a charge id that fits no button gets none", () => {
  // Telegram's charge ids are 43 characters: the refund steps fit.
  const charge = "s".repeat(43);
  assertEquals(parseCallback(`stars:rf:yes:${charge}`), {
    kind: "refund",
    step: "yes",
    chargeId: charge,
  });
  assertThrows(
    () => encodeCallback({ kind: "refund", step: "ask", chargeId: "x".repeat(60) }),
    CallbackDataError,
  );
  assertEquals(parseCallback("stars:rf:maybe:ch_1"), undefined);
  assertEquals(parseCallback("stars:rf:yes:ch 1"), undefined);
});

Deno.test("the payment service's top-up button is the shop button", () => {
  assertEquals(parseCallback(TOP_UP_CALLBACK), { kind: "products" });
});

Deno.test("the longest product id fills the longest button's data to Telegram's 64 bytes", () => {
  const longest = "p".repeat(47);
  const wire = encodeCallback({ kind: "renewal", change: "resume", productId: longest });
  assertEquals(new TextEncoder().encode(wire).length, MAX_CALLBACK_DATA_BYTES);
  assertThrows(
    () => encodeCallback({ kind: "renewal", change: "resume", productId: `${longest}p` }),
    CallbackDataError,
    "is not 1 to 47 letters",
  );
});

Deno.test("encoding refuses fields that could not be parsed back", () => {
  assertThrows(
    () => encodeCallback({ kind: "buy", productId: "a:b" }),
    CallbackDataError,
    `product id "a:b" is not`,
  );
  assertThrows(() => encodeCallback({ kind: "buy", productId: "" }), CallbackDataError);
  for (const page of [0, -1, 1.5, 1e9, Number.NaN]) {
    assertThrows(
      () => encodeCallback({ kind: "history", page }),
      CallbackDataError,
      "history page must be an integer from 1 to 999999999",
    );
  }
});

Deno.test("garbage parses to undefined, never throws", () => {
  const garbage = [
    undefined,
    "",
    "balance",
    "plugin:balance",
    "STARS:balance",
    "stars:",
    "stars:nope",
    "stars:balance:1",
    "stars:subs:x",
    "stars:check:",
    "stars:buy",
    "stars:buy:",
    "stars:buy:a:b",
    "stars:buy:bad id",
    "stars:buy:ünï",
    `stars:buy:${"p".repeat(61)}`,
    "stars:history",
    "stars:history:0",
    "stars:history:01",
    "stars:history:-1",
    "stars:history:1.5",
    "stars:history:1e3",
    "stars:history:1234567890",
    "stars:tx",
    "stars:tx:0",
    "stars:tx:2:3",
    "stars:sub:cancel",
    "stars:sub:pause:monthly",
    "stars:sub:cancel:monthly:x",
    `stars:products${" ".repeat(60)}`,
  ];
  for (const data of garbage) assertEquals(parseCallback(data), undefined, String(data));
});

Deno.test("every product id the config accepts fits every button's data", () => {
  const longest = "m".repeat(47);
  assertEquals([PRODUCT_ID_PATTERN.test(longest), PRODUCT_ID_PATTERN.test(`${longest}m`)], [
    true,
    false,
  ]);
  for (const change of ["cancel", "resume"] as const) {
    encodeCallback({ kind: "renewal", change, productId: longest });
  }
  encodeCallback({ kind: "buy", productId: longest });
});
