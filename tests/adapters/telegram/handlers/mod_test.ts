import type { Context } from "grammy";
import { assertEquals, assertThrows } from "../../../support/assert.ts";
import { depsOf } from "../../../../adapters/telegram/handlers/deps.ts";
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

Deno.test("tenants share one handler tree, and each update is answered with its own tenant's deps", async () => {
  await using en = await startHarness();
  await using ru = await startHarness({ tenant: { locale: "ru" } });
  const janAtEn = en.user({ firstName: "Jan", languageCode: "de" });
  const janAtRu = ru.user({ firstName: "Jan", languageCode: "de" });
  // Sent together, so the two tenants' updates are in the shared tree at the same time.
  await Promise.all([janAtEn.send(en.account, "/start"), janAtRu.send(ru.account, "/start")]);
  await Promise.all([en.pump(), ru.pump()]);
  assertEquals(
    janAtEn.lastMessage(en.account)?.text,
    en.texts.t("en", "start.greeting", { name: "Jan", bot: "shop_bot" }),
  );
  assertEquals(
    janAtRu.lastMessage(ru.account)?.text,
    ru.texts.t("ru", "start.greeting", { name: "Jan", bot: "shop_bot" }),
  );
});

Deno.test("a handler reached without its tenant's deps says so", () => {
  const ctx = { update: { update_id: 7 } } as unknown as Context;
  assertThrows(() => depsOf(ctx), TypeError, "update 7 reached the Stars handlers without");
});

Deno.test("a command named like an object's property is no command of ours: it gets the help", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  for (const command of ["constructor", "toString", "__proto__"]) {
    await ann.send(h.account, `/${command}`);
    await h.pump();
    assertEquals(
      ann.lastMessage(h.account)?.text,
      h.texts.t("en", "help.unknown_command", { command: `/${command}` }),
      command,
    );
  }
});
