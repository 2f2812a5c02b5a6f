import { assertEquals, assertStringIncludes, assertTrue } from "../../../support/assert.ts";
import type { SandboxUser } from "../../../../sandbox/mod.ts";
import { ADMIN_ID, type Harness, startHarness } from "./harness.ts";
import { WALLPAPERS } from "../../../support/shop_products.ts";
import { buyWallpapers } from "./stars_purchases.ts";
import { SUPPORT_MESSAGES_PER_WINDOW } from "../../../../money/support/support_desk.ts";

/** Wallpapers with a Russian title, so a Russian buyer's receipts name it in Russian. */
const LOCALIZED_WALLPAPERS = { ...WALLPAPERS, title: { en: "Wallpaper pack", ru: "Обои" } };

/** The admin, who has started the bot (a bot cannot write first to someone who has not). */
async function startedAdmin(h: Harness): Promise<SandboxUser> {
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  await admin.send(h.account, "/start");
  await h.pump();
  return admin;
}

Deno.test("a buyer's message goes to the admin with receipts; the admin's reply goes back", async () => {
  await using h = await startHarness({ tenant: { products: [LOCALIZED_WALLPAPERS] } });
  const ann = h.user({ firstName: "Ann", username: "ann", languageCode: "en", stars: 100 });
  const admin = await startedAdmin(h);
  const chargeId = (await buyWallpapers(h, ann)).chargeId;

  // Before /paysupport, text is not for support (and the open tickets are now known in memory).
  await ann.send(h.account, "hello?");
  await h.pump();
  assertStringIncludes(ann.lastMessage(h.account)!.text!, "I did not understand that.");
  await ann.send(h.account, "/paysupport");
  await h.pump();
  assertStringIncludes(
    ann.lastMessage(h.account)!.text!,
    "write your question in your next message",
  );
  const question = await ann.send(h.account, "The wallpapers do not open.");
  await h.pump();
  assertEquals(ann.lastMessage(h.account)?.text, "✉️ Sent to support. The answer will come here.");

  const copy = admin.lastMessage(h.account)!;
  assertEquals(
    copy.text,
    `🆘 Support request from Ann @ann (id ${ann.id}):\nThe wallpapers do not open.\n\n` +
      `Recent receipts:\n• 2025-01-01 00:00 UTC: “Wallpaper pack”, 25 ⭐, charge ${chargeId}\n\n` +
      "Reply to this message to answer.",
  );
  assertTrue(question.message_id > 0);

  await admin.send(h.account, "Try the second link, please.", { replyTo: copy });
  await h.pump();
  assertEquals(admin.lastMessage(h.account)?.text, "✅ Sent to the buyer.");
  const answers = (await h.outbox()).filter((row) => row.id.startsWith("support-answer:"));
  assertEquals(answers.map((row) => row.params), [{
    chat_id: ann.id,
    text: "💬 Support answers:\nTry the second link, please.",
  }]);
});

Deno.test("a Russian buyer and admin get Russian texts, with the product's Russian title", async () => {
  // The admin's copies speak the tenant's locale until the admin has answered once.
  await using h = await startHarness({
    tenant: { locale: "ru", products: [LOCALIZED_WALLPAPERS] },
  });
  const olga = h.user({ firstName: "Ольга", languageCode: "ru", stars: 100 });
  const admin = h.user({ id: ADMIN_ID, firstName: "Начальник", languageCode: "ru" });
  // The admin's language is known once they have written to the bot.
  await admin.send(h.account, "/start");
  await h.pump();
  const chargeId = (await buyWallpapers(h, olga)).chargeId;
  const receipt = (await h.outbox()).find((row) => row.id === `receipt:${chargeId}`);
  assertStringIncludes(String(receipt?.params.text), "за «Обои»");

  await olga.send(h.account, "/paysupport");
  await h.pump();
  assertStringIncludes(olga.lastMessage(h.account)!.text!, "Поддержка по оплате");
  await olga.send(h.account, "Обои не открываются.");
  await h.pump();
  assertEquals(olga.lastMessage(h.account)?.text, "✉️ Отправлено в поддержку. Ответ придёт сюда.");
  const copy = admin.lastMessage(h.account)!;
  assertStringIncludes(copy.text!, `Обращение в поддержку от Ольга (id ${olga.id}):`);
  assertStringIncludes(copy.text!, `«Обои», 25 ⭐, платёж ${chargeId}`);

  await admin.send(h.account, "Попробуйте вторую ссылку.", { replyTo: copy });
  await h.pump();
  assertEquals(admin.lastMessage(h.account)?.text, "✅ Отправлено покупателю.");
  const answer = (await h.outbox()).find((row) => row.id.startsWith("support-answer:"));
  assertEquals(answer?.params.text, "💬 Ответ поддержки:\nПопробуйте вторую ссылку.");
});

Deno.test("a redelivered message goes to the admin once", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  const admin = await startedAdmin(h);
  await ann.send(h.account, "/paysupport");
  await h.pump();
  await ann.send(h.account, "Hello?");
  const [update] = await h.bot.api.getUpdates({ timeout: 0, offset: -1 });
  await h.bot.handleUpdate(update);
  await h.bot.handleUpdate(update); // the inbox would drop it; the desk must not need that
  await h.pump();
  assertEquals(admin.messages(h.account).filter((m) => m.text?.includes("Hello?")).length, 1);
  assertEquals(
    ann.messages(h.account).filter((m) => m.text?.startsWith("✉️ Sent to support")).length,
    3,
    "each delivery is acknowledged; only one copy is made",
  );
});

Deno.test("support is rate-limited per buyer", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  const admin = await startedAdmin(h);
  await ann.send(h.account, "/paysupport");
  await h.pump();
  for (let i = 1; i <= SUPPORT_MESSAGES_PER_WINDOW + 1; i++) {
    await ann.send(h.account, `Message ${i}`);
    await h.pump();
  }
  assertEquals(
    ann.lastMessage(h.account)?.text,
    "You have written to support several times in a short while. Please wait 10 min before writing again.",
  );
  assertEquals(admin.messages(h.account).length, 1 + SUPPORT_MESSAGES_PER_WINDOW); // and the greeting
  await h.clock.advance(10 * 60_000);
  await ann.send(h.account, "Message after the pause");
  await h.pump();
  assertEquals(ann.lastMessage(h.account)?.text, "✉️ Sent to support. The answer will come here.");
});

Deno.test("without a ticket, stray text and unknown commands get a short help answer", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  const olga = h.user({ firstName: "Ольга", languageCode: "ru" });
  await ann.send(h.account, "hello there");
  await h.pump();
  assertStringIncludes(ann.lastMessage(h.account)!.text!, "I did not understand that.");
  await ann.send(h.account, "/foo");
  await h.pump();
  assertStringIncludes(ann.lastMessage(h.account)!.text!, "There is no command /foo here.");
  await olga.send(h.account, "/foo");
  await h.pump();
  assertStringIncludes(olga.lastMessage(h.account)!.text!, "Команды /foo здесь нет.");
  // An admin's reply to something that is no support copy is stray text too.
  const admin = await startedAdmin(h);
  await admin.send(h.account, "thanks", { replyTo: admin.lastMessage(h.account) });
  await h.pump();
  assertStringIncludes(admin.lastMessage(h.account)!.text!, "I did not understand that.");
});

Deno.test("in a group, only what is addressed to the bot gets the help answer", async () => {
  await using h = await startHarness();
  const sent: unknown[] = [];
  h.bot.api.config.use((prev, method, payload, signal) => {
    if (method === "sendMessage") sent.push(payload);
    return prev(method, payload, signal);
  });
  const group = { id: -100, type: "group" as const, title: "Chat" };
  const from = { id: 5, is_bot: false, first_name: "Ann" };
  await h.bot.handleUpdate({
    update_id: 1_000_001,
    message: { message_id: 1, date: 0, chat: group, from, text: "hello everyone" },
  });
  await h.bot.handleUpdate({
    update_id: 1_000_002,
    message: {
      message_id: 2,
      date: 0,
      chat: group,
      from,
      text: "/foo@other_bot",
      entities: [{ type: "bot_command", offset: 0, length: 14 }],
    },
  });
  assertEquals(sent, []);
});
