import { assertEquals, assertThrows } from "../../support/assert.ts";
import {
  readStarAmount,
  readTransactions,
  validateBalanceTenant,
  validatePageRequest,
} from "../../../money/bot_stars/validate.ts";
import type { BalanceTenant } from "../../../money/bot_stars/types.ts";

const TENANT: BalanceTenant = {
  id: "shop",
  cacheTtlMs: 60_000,
  botApi: {
    getMyStarBalance: () => Promise.resolve({ amount: 0 }),
    getStarTransactions: () => Promise.resolve({ transactions: [] }),
  },
};

Deno.test("a valid tenant passes, with or without MTProto", () => {
  assertEquals(validateBalanceTenant(TENANT), TENANT);
  const withMtproto = {
    ...TENANT,
    mtproto: { getStarsStatus: () => Promise.resolve({ amount: 0 }) },
  };
  assertEquals(validateBalanceTenant(withMtproto), withMtproto);
});

Deno.test("an invalid tenant is refused naming the field", () => {
  const cases: [unknown, string][] = [
    [null, "balance tenant must be an object, got null"],
    [{ ...TENANT, id: " " }, 'balance tenant id must be a non-empty string, got " "'],
    [
      { ...TENANT, cacheTtlMs: "60" },
      'balance tenant "shop": cacheTtlMs must be a finite number of ms > 0, got "60"',
    ],
    [{ ...TENANT, botApi: undefined }, 'balance tenant "shop": botApi must be an object'],
    [
      { ...TENANT, botApi: { getMyStarBalance: TENANT.botApi.getMyStarBalance } },
      'balance tenant "shop": botApi.getStarTransactions must be a function, got undefined',
    ],
    [
      { ...TENANT, mtproto: {} },
      'balance tenant "shop": mtproto.getStarsStatus must be a function, got undefined',
    ],
    [{ ...TENANT, mtproto: null }, 'balance tenant "shop": mtproto must be an object or absent'],
  ];
  for (const [tenant, message] of cases) {
    assertThrows(() => validateBalanceTenant(tenant as BalanceTenant), TypeError, message);
  }
});

Deno.test("page requests follow the Bot API's limits", () => {
  validatePageRequest(0, 1);
  validatePageRequest(1_000, 100);
  assertThrows(() => validatePageRequest(0.5, 10), RangeError, "offset must be an integer >= 0");
  assertThrows(() => validatePageRequest(0, 0), RangeError, "limit must be an integer from 1");
  assertThrows(() => validatePageRequest(0, Number.NaN), RangeError, "got NaN");
});

Deno.test("Stars amounts are integers with nanostars of the same sign", () => {
  assertEquals(readStarAmount({ amount: 5 }, "x"), { amount: 5, nanostarAmount: 0 });
  assertEquals(readStarAmount({ amount: 0, nanostarAmount: -1 }, "x"), {
    amount: 0,
    nanostarAmount: -1,
  });
  assertEquals(readStarAmount({ amount: -2, nanostarAmount: -999_999_999 }, "x"), {
    amount: -2,
    nanostarAmount: -999_999_999,
  });
  const cases: [unknown, string][] = [
    [undefined, "call: expected a Stars amount, got undefined"],
    [{ amount: "5" }, 'call: expected an integer amount, got "5"'],
    [{ amount: 5, nanostarAmount: 1e9 }, "expected nanostarAmount to be an integer from"],
    [{ amount: -1, nanostarAmount: 3 }, "same sign, got -1 and 3"],
  ];
  for (const [value, message] of cases) {
    assertThrows(() => readStarAmount(value, "call"), TypeError, message);
  }
});

Deno.test("a transactions answer needs a transactions array", () => {
  assertEquals(readTransactions({ transactions: [] }), []);
  assertThrows(
    () => readTransactions({ result: [] }),
    TypeError,
    "getStarTransactions: expected an object with a transactions array, got an object",
  );
});
