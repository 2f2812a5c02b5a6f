import { assertEquals } from "../../support/assert.ts";
import { checkUpdate, movesMoney, updateKind } from "../../../money/delivery/update_shape.ts";

const ann = { id: 7, is_bot: false, first_name: "Ann", language_code: "en" };
const chat = { id: 7, type: "private", first_name: "Ann" };
const payment = {
  currency: "XTR",
  total_amount: 50,
  invoice_payload: "order-1",
  telegram_payment_charge_id: "ch_1",
  provider_payment_charge_id: "",
};

function reasonOf(value: unknown): string | undefined {
  const check = checkUpdate(value);
  return check.ok ? undefined : check.reason;
}

Deno.test("the updates Telegram sends a Stars bot pass as they are", () => {
  const valid: unknown[] = [
    { update_id: 1, message: { message_id: 1, date: 0, chat, from: ann, text: "/start" } },
    {
      update_id: 2,
      message: { message_id: 2, date: 0, chat, from: ann, successful_payment: payment },
    },
    {
      update_id: 3,
      message: {
        message_id: 3,
        date: 0,
        chat,
        from: ann,
        refunded_payment: { ...payment, provider_payment_charge_id: undefined },
      },
    },
    { update_id: 4, callback_query: { id: "q", from: ann, chat_instance: "1", data: "menu" } },
    {
      update_id: 5,
      pre_checkout_query: {
        id: "p",
        from: ann,
        currency: "XTR",
        total_amount: 50,
        invoice_payload: "order-1",
      },
    },
    { update_id: 6, subscription: { user: ann, invoice_payload: "order-2", state: "canceled" } },
    // A kind the runtime does not read needs only to be an object.
    { update_id: 7, message_reaction: { chat, message_id: 1, date: 0 } },
  ];
  for (const update of valid) {
    const check = checkUpdate(update);
    assertEquals(check.ok, true, JSON.stringify(update));
    if (check.ok) assertEquals(check.update, update);
  }
});

Deno.test("a malformed update is refused with a reason naming the field", () => {
  const cases: [unknown, string][] = [
    [[1], "an update must be an object, got an array"],
    [{ message: {} }, "update_id is missing"],
    [{ update_id: "7" }, "update_id must be a non-negative integer, got a string"],
    [{ update_id: 1.5 }, "update_id must be a non-negative integer, got 1.5"],
    [{ update_id: -1 }, "update_id must be a non-negative integer, got -1"],
    [{ update_id: 1 }, "the update carries no kind (message, callback_query…)"],
    [
      { update_id: 1, message: { message_id: 1, chat }, callback_query: {} },
      "the update carries 2 kinds (message, callback_query); it has one",
    ],
    [{ update_id: 1, message: "hi" }, "message must be an object, got a string"],
    [
      { update_id: 1, message: { message_id: 1, date: 0, text: "/start" } },
      "message.chat is missing",
    ],
    [
      { update_id: 1, message: { message_id: 1, chat: { id: "7", type: "private" } } },
      "message.chat.id must be an integer, got a string",
    ],
    [
      { update_id: 1, message: { message_id: 1, chat, from: { id: 7, language_code: 5 } } },
      "message.from.language_code must be a string, got 5",
    ],
    [
      { update_id: 1, message: { message_id: 1, chat, successful_payment: payment } },
      "message.from is missing (a payment names its payer)",
    ],
    [
      {
        update_id: 1,
        message: {
          message_id: 1,
          chat,
          from: ann,
          successful_payment: { ...payment, telegram_payment_charge_id: "" },
        },
      },
      "message.successful_payment.telegram_payment_charge_id must be a non-empty string, got an empty one",
    ],
    [
      { update_id: 1, callback_query: { id: "q", from: null } },
      "callback_query.from must be an object, got null",
    ],
    [
      { update_id: 1, pre_checkout_query: { id: "p", from: ann, currency: "XTR" } },
      "pre_checkout_query.total_amount is missing",
    ],
    [{ update_id: 1, subscription: { invoice_payload: "x" } }, "subscription.user is missing"],
    [{ update_id: 1, constructor: 5 }, "constructor must be an object, got 5"],
  ];
  for (const [value, reason] of cases) assertEquals(reasonOf(value), reason, JSON.stringify(value));
});

Deno.test("a reason never quotes what the user wrote", () => {
  const reason = reasonOf({ update_id: 1, message: { message_id: 1, chat, text: 12345678 } });
  assertEquals(reason, "message.text must be a string, got 12345678");
  const secret = "my card PIN is 4321";
  assertEquals(reasonOf({ update_id: 1, message: secret })?.includes(secret), false);
});

Deno.test("payments are recognised by their fields, malformed or not", () => {
  const poison = { update_id: 9, message: { chat, successful_payment: payment } };
  assertEquals(updateKind(poison), "successful_payment");
  assertEquals(movesMoney(poison), true);
  assertEquals(movesMoney({ update_id: 9, subscription: "x" }), true);
  assertEquals(movesMoney({ update_id: 9, message: "x" }), false);
  assertEquals(updateKind({ update_id: 9, message: { refunded_payment: {} } }), "refunded_payment");
  assertEquals(updateKind({ update_id: 9 }), "malformed");
  const check = checkUpdate(poison);
  assertEquals(check.ok === false && [check.updateId, check.movesMoney], [9, true]);
});
