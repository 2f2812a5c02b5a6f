import type { Message, Update } from "grammy/types";
import { assertEquals } from "../../../support/assert.ts";
import { runtimeRoute } from "../../../../adapters/telegram/handlers/runtime_updates.ts";

const chat = { id: 5, type: "private", first_name: "Ann" } as const;
const from = { id: 5, is_bot: false, first_name: "Ann" };

function message(content: Partial<Message>): Update {
  const whole = { message_id: 1, date: 0, chat, from, ...content };
  return { update_id: 1, message: whole as Message & Update.NonChannel };
}

const command = (text: string, offset = 0) => ({
  text,
  entities: [{
    type: "bot_command" as const,
    offset,
    length: text.slice(offset).split(" ")[0].length,
  }],
});

Deno.test("plain text and other updates go to none of the runtime's handlers", () => {
  assertEquals(runtimeRoute(message({ text: "hello" })), undefined);
  assertEquals(
    runtimeRoute(message({ ...command("say /start", 4) })),
    undefined,
    "not at the start",
  );
  assertEquals(
    runtimeRoute(message({ text: "bold", entities: [{ type: "bold", offset: 0, length: 4 }] })),
    undefined,
  );
  assertEquals(
    runtimeRoute({
      update_id: 2,
      edited_message: { message_id: 1, date: 0, edit_date: 1, chat, from, text: "/start" },
    }),
    undefined,
  );
});

Deno.test("a command goes to its handlers by name, with or without the bot's name", () => {
  assertEquals(runtimeRoute(message(command("/start buy_x"))), { to: "command", name: "start" });
  assertEquals(runtimeRoute(message(command("/stars@shop_bot"))), { to: "command", name: "stars" });
  assertEquals(
    runtimeRoute(message({
      text: "/refund 5",
      entities: [
        { type: "bold", offset: 0, length: 7 },
        { type: "bot_command", offset: 0, length: 7 },
      ],
    })),
    { to: "command", name: "refund" },
    "a command under other formatting",
  );
  assertEquals(
    runtimeRoute(message({
      caption: "/balance",
      caption_entities: [{ type: "bot_command", offset: 0, length: 8 }],
    })),
    { to: "command", name: "balance" },
  );
  // Unknown to the runtime, and so left to the plugin, but still read as a command.
  assertEquals(runtimeRoute(message(command("/weather"))), { to: "command", name: "weather" });
});

Deno.test("payments and subscription changes go to the payment handlers, buttons to theirs", () => {
  const payment = {
    currency: "XTR",
    total_amount: 5,
    invoice_payload: "o",
    telegram_payment_charge_id: "c",
    provider_payment_charge_id: "",
  };
  const payments = { to: "payments" };
  assertEquals(runtimeRoute(message({ successful_payment: payment })), payments);
  assertEquals(
    runtimeRoute(message({
      refunded_payment: {
        currency: "XTR",
        total_amount: 5,
        invoice_payload: "o",
        telegram_payment_charge_id: "c",
      },
    })),
    payments,
  );
  assertEquals(
    runtimeRoute({
      update_id: 4,
      pre_checkout_query: { id: "q", from, currency: "XTR", total_amount: 5, invoice_payload: "o" },
    }),
    payments,
  );
  assertEquals(
    runtimeRoute({
      update_id: 5,
      subscription: {} as Update["subscription"],
    } as Update),
    payments,
  );
  assertEquals(
    runtimeRoute({
      update_id: 3,
      callback_query: { id: "q", from, chat_instance: "1", data: "x" },
    }),
    { to: "buttons" },
  );
});
