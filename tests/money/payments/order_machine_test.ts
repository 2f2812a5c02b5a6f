import { assertEquals, assertStringIncludes, assertTrue } from "../../support/assert.ts";
import {
  checkPreCheckout,
  type OrderEvent,
  orderEvents,
  type OrderState,
  orderStates,
  type PreCheckoutInput,
  statesAccepting,
  transition,
  transitions,
} from "../../../money/payments/order_machine.ts";

// The intended edges, written out independently of the module's table.
const allowed: [OrderState, OrderEvent, OrderState][] = [
  ["issued", "approve", "approved"],
  ["issued", "pay", "paid"],
  ["issued", "expire", "expired"],
  ["approved", "approve", "approved"],
  ["approved", "pay", "paid"],
  ["approved", "expire", "expired"],
  ["paid", "refund", "refunded"],
  ["expired", "pay", "paid"],
];

const refused: [OrderState, OrderEvent][] = [
  ["issued", "refund"],
  ["approved", "refund"],
  ["paid", "approve"],
  ["paid", "pay"],
  ["paid", "expire"],
  ["refunded", "approve"],
  ["refunded", "pay"],
  ["refunded", "refund"],
  ["refunded", "expire"],
  ["expired", "approve"],
  ["expired", "refund"],
  ["expired", "expire"],
];

Deno.test("the lists above cover every (state, event) pair exactly once", () => {
  const pairs = [...allowed.map(([s, e]) => `${s}/${e}`), ...refused.map(([s, e]) => `${s}/${e}`)];
  assertEquals(pairs.length, orderStates.length * orderEvents.length);
  assertEquals(new Set(pairs).size, pairs.length);
});

for (const [state, event, next] of allowed) {
  Deno.test(`${state} --${event}--> ${next}`, () => {
    assertEquals(transition(state, event), { ok: true, next });
    assertEquals(transitions[state][event], next);
  });
}

for (const [state, event] of refused) {
  Deno.test(`${state} refuses ${event}, and the reason names both`, () => {
    const result = transition(state, event);
    assertTrue(!result.ok, `expected ${state}/${event} to be refused`);
    assertStringIncludes(result.reason, `state "${state}"`);
    assertStringIncludes(result.reason, `event "${event}"`);
    assertEquals(transitions[state][event], undefined);
  });
}

Deno.test("a refusal lists what the state accepts, and says when a state is final", () => {
  const paid = transition("paid", "approve");
  assertTrue(!paid.ok);
  assertStringIncludes(paid.reason, "it accepts: refund");
  const refunded = transition("refunded", "pay");
  assertTrue(!refunded.ok);
  assertStringIncludes(refunded.reason, "nothing, it is final");
});

Deno.test("statesAccepting reads the table", () => {
  assertEquals(statesAccepting("expire"), ["issued", "approved"]);
  assertEquals(statesAccepting("pay"), ["issued", "approved", "expired"]);
  assertEquals(statesAccepting("refund"), ["paid"]);
  assertEquals(statesAccepting("approve"), ["issued", "approved"]);
});

function input(overrides: Partial<PreCheckoutInput> = {}): PreCheckoutInput {
  return {
    order: { userId: 7, amount: 50, state: "issued", expiresAt: 10_000 },
    product: { enabled: true },
    starsEnabled: true,
    query: { currency: "XTR", totalAmount: 50, fromId: 7 },
    now: 5_000,
    ...overrides,
  };
}

Deno.test("checkPreCheckout accepts a matching, open order in issued or approved", () => {
  assertEquals(checkPreCheckout(input()), { ok: true });
  const approved = { userId: 7, amount: 50, state: "approved" as const, expiresAt: 10_000 };
  assertEquals(checkPreCheckout(input({ order: approved })), { ok: true });
});

Deno.test("checkPreCheckout refuses an unknown order", () => {
  assertEquals(checkPreCheckout(input({ order: undefined })), {
    ok: false,
    refusal: "unknown_order",
  });
});

Deno.test("checkPreCheckout refuses a foreign payer", () => {
  const query = { currency: "XTR", totalAmount: 50, fromId: 8 };
  assertEquals(checkPreCheckout(input({ query })), { ok: false, refusal: "wrong_payer" });
});

Deno.test("checkPreCheckout refuses a paid or refunded order", () => {
  for (const state of ["paid", "refunded"] as const) {
    const order = { userId: 7, amount: 50, state, expiresAt: 10_000 };
    assertEquals(checkPreCheckout(input({ order })), { ok: false, refusal: "already_paid" });
  }
});

Deno.test("checkPreCheckout refuses an expired order and one whose expiry has come", () => {
  const expired = { userId: 7, amount: 50, state: "expired" as const, expiresAt: 10_000 };
  assertEquals(checkPreCheckout(input({ order: expired })), { ok: false, refusal: "expired" });
  assertEquals(checkPreCheckout(input({ now: 10_000 })), { ok: false, refusal: "expired" });
  assertEquals(checkPreCheckout(input({ now: 9_999 })), { ok: true });
});

Deno.test("checkPreCheckout refuses a currency other than XTR", () => {
  const query = { currency: "USD", totalAmount: 50, fromId: 7 };
  assertEquals(checkPreCheckout(input({ query })), { ok: false, refusal: "wrong_currency" });
});

Deno.test("checkPreCheckout refuses a different amount", () => {
  const query = { currency: "XTR", totalAmount: 49, fromId: 7 };
  assertEquals(checkPreCheckout(input({ query })), { ok: false, refusal: "wrong_amount" });
});

Deno.test("checkPreCheckout refuses a disabled or removed product and a closed shop", () => {
  const refusal = { ok: false, refusal: "product_disabled" };
  assertEquals(checkPreCheckout(input({ product: { enabled: false } })), refusal);
  assertEquals(checkPreCheckout(input({ product: undefined })), refusal);
  assertEquals(checkPreCheckout(input({ starsEnabled: false })), refusal);
});

Deno.test("checkPreCheckout runs its checks in the documented order", () => {
  // Everything wrong at once: each step removes the first fault and reveals the next one.
  const query = { currency: "USD", totalAmount: 1, fromId: 8 };
  const paidLate = { userId: 7, amount: 50, state: "paid" as const, expiresAt: 1 };
  const steps: [PreCheckoutInput, string][] = [
    [input({ order: undefined, query, product: undefined }), "unknown_order"],
    [input({ order: paidLate, query, product: undefined }), "wrong_payer"],
    [
      input({ order: paidLate, query: { ...query, fromId: 7 }, product: undefined }),
      "already_paid",
    ],
    [
      input({
        order: { ...paidLate, state: "issued" },
        query: { ...query, fromId: 7 },
        product: undefined,
      }),
      "expired",
    ],
    [input({ query: { ...query, fromId: 7 }, product: undefined }), "wrong_currency"],
    [
      input({ query: { currency: "XTR", totalAmount: 1, fromId: 7 }, product: undefined }),
      "wrong_amount",
    ],
    [input({ product: undefined }), "product_disabled"],
  ];
  for (const [step, refusal] of steps) {
    assertEquals(checkPreCheckout(step), { ok: false, refusal });
  }
});
