import type { Message, Update } from "grammy/types";
import { assertEquals } from "../../../support/assert.ts";
import { isForRuntime } from "../../../../adapters/telegram/handlers/runtime_updates.ts";

const chat = { id: 5, type: "private", first_name: "Ann" } as const;
const from = { id: 5, is_bot: false, first_name: "Ann" };

function message(content: Partial<Message>): Update {
  const whole = { message_id: 1, date: 0, chat, from, ...content };
  return { update_id: 1, message: whole as Message & Update.NonChannel };
}

const command = (text: string, offset = 0) => ({
  text,
  entities: [{ type: "bot_command" as const, offset, length: text.split(" ")[0].length }],
});

Deno.test("plain text and other updates skip the runtime's handlers", () => {
  assertEquals(isForRuntime(message({ text: "hello" })), false);
  assertEquals(isForRuntime(message({ ...command("say /start", 4) })), false, "not at the start");
  assertEquals(
    isForRuntime(message({ text: "bold", entities: [{ type: "bold", offset: 0, length: 4 }] })),
    false,
  );
  assertEquals(
    isForRuntime({
      update_id: 2,
      edited_message: { message_id: 1, date: 0, edit_date: 1, chat, from, text: "/start" },
    }),
    false,
  );
});

Deno.test("commands, payments, buttons and subscription changes reach them", () => {
  assertEquals(isForRuntime(message(command("/start buy_x"))), true);
  assertEquals(
    isForRuntime(message({
      caption: "/balance",
      caption_entities: [{ type: "bot_command", offset: 0, length: 8 }],
    })),
    true,
  );
  const payment = {
    currency: "XTR",
    total_amount: 5,
    invoice_payload: "o",
    telegram_payment_charge_id: "c",
    provider_payment_charge_id: "",
  };
  assertEquals(isForRuntime(message({ successful_payment: payment })), true);
  assertEquals(
    isForRuntime(message({
      refunded_payment: {
        currency: "XTR",
        total_amount: 5,
        invoice_payload: "o",
        telegram_payment_charge_id: "c",
      },
    })),
    true,
  );
  assertEquals(
    isForRuntime({
      update_id: 3,
      callback_query: { id: "q", from, chat_instance: "1", data: "x" },
    }),
    true,
  );
  assertEquals(
    isForRuntime({
      update_id: 4,
      pre_checkout_query: { id: "q", from, currency: "XTR", total_amount: 5, invoice_payload: "o" },
    }),
    true,
  );
});
