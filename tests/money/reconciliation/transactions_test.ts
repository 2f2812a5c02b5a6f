import { assertEquals } from "../../support/assert.ts";
import { classifyTransaction } from "../../../money/reconciliation/transactions.ts";

const user = { id: 7, is_bot: false, first_name: "Ann" };

Deno.test("an invoice payment is a payment, with its payload and subscription period", () => {
  assertEquals(
    classifyTransaction({
      id: "stx_1",
      amount: 150,
      date: 100,
      source: {
        type: "user",
        transaction_type: "invoice_payment",
        user,
        invoice_payload: "ord_1",
        subscription_period: 2_592_000,
      },
    }),
    {
      kind: "payment",
      id: "stx_1",
      user,
      amount: 150,
      date: 100,
      payload: "ord_1",
      subscriptionPeriod: 2_592_000,
    },
  );
  assertEquals(
    classifyTransaction({
      id: "stx_2",
      amount: 5,
      date: 100,
      source: { type: "user", transaction_type: "invoice_payment", user },
    }),
    { kind: "payment", id: "stx_2", user, amount: 5, date: 100, payload: "" },
    "a payment without a payload names no order",
  );
});

Deno.test("Stars going back to a user for an invoice payment are its refund", () => {
  assertEquals(
    classifyTransaction({
      id: "stx_1",
      amount: 50,
      date: 200,
      receiver: { type: "user", transaction_type: "invoice_payment", user },
    }),
    { kind: "refund", id: "stx_1", user, amount: 50, date: 200 },
  );
});

Deno.test("transactions that never went through an invoice are none of reconciliation's business", () => {
  const others = [
    { source: { type: "user", transaction_type: "paid_media_payment", user } },
    { receiver: { type: "user", transaction_type: "gift_purchase", user } },
    { receiver: { type: "fragment" } },
    { source: { type: "affiliate_program", commission_per_mille: 100 } },
    { receiver: { type: "telegram_ads" } },
    { source: { type: "other" } },
    {},
  ] as const;
  for (const partner of others) {
    assertEquals(
      classifyTransaction({ id: "x", amount: 1, date: 1, ...partner }),
      undefined,
      JSON.stringify(partner),
    );
  }
});
