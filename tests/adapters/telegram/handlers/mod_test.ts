import { assertEquals } from "../../../support/assert.ts";
import { startHarness } from "./harness.ts";

Deno.test("commands in a group chat are left alone: balances are private", async () => {
  await using h = await startHarness();
  const before = h.account.calls.length;
  for (const text of ["/stars", "/balance", "/history", "/start buy_credits_100", "/refund x"]) {
    // Answering would fail loudly too: the sandbox knows no group chat -100.
    await h.bot.handleUpdate({
      update_id: 1,
      message: {
        message_id: 1,
        date: 0,
        chat: { id: -100, type: "group", title: "Friends" },
        from: { id: 5, is_bot: false, first_name: "Eve" },
        text,
        entities: [{ type: "bot_command", offset: 0, length: text.split(" ")[0].length }],
      },
    });
  }
  assertEquals(h.account.calls.length, before, "no API call was made");
});
