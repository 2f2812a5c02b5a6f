import { assertEquals, assertStringIncludes } from "../../../support/assert.ts";
import { ADMIN_ID, buttonData, startHarness } from "./harness.ts";
import { buyCredits } from "./stars_purchases.ts";

Deno.test("an admin refunds from /transactions by button, after confirming, once", async () => {
  await using h = await startHarness({ botStars: {} });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const { chargeId } = await buyCredits(h, ann);
  await admin.send(h.account, "/transactions");
  await h.pump();
  const list = admin.lastMessage(h.account)!;
  const ask = `stars:rf:ask:${chargeId}`;
  assertEquals(buttonData(list), [[ask]]);
  assertEquals(list.reply_markup?.inline_keyboard[0][0].text, "↩️ Refund “100 credits”, 50 ⭐");

  assertEquals(await h.click(admin, list, ask), { answered: true });
  const question = admin.lastMessage(h.account)!;
  assertEquals(
    question.text,
    `Refund 50 ⭐ to user ${ann.id} for “100 credits” (charge ${chargeId}, 2025-01-01 00:00)? ` +
      "What it granted is taken back.",
  );
  assertEquals(buttonData(question), [[`stars:rf:yes:${chargeId}`, `stars:rf:no:${chargeId}`]]);

  assertEquals(await h.click(admin, question, `stars:rf:yes:${chargeId}`), { answered: true });
  await h.pump(); // Telegram's refunded_payment for the same charge
  const result = admin.messages(h.account).find((m) => m.message_id === question.message_id)!;
  assertEquals(
    result.text,
    `Refunded 50 ⭐ to user ${ann.id} (charge ${chargeId}); 100 credits reversed.`,
  );
  assertEquals(buttonData(result), [], "the question's buttons are gone");
  assertEquals(await h.payments.credits.balance(ann.id), 0);
  assertEquals(ann.stars, 100);

  // The old list's button again: nothing is refunded twice.
  assertEquals(await h.click(admin, list, ask), {
    answered: true,
    text: `Charge ${chargeId} was already refunded; nothing changed.`,
  });
  assertEquals(h.account.callsTo("refundStarPayment").length, 1);
});

Deno.test("a Russian admin can cancel; a buyer cannot press a Refund button", async () => {
  await using h = await startHarness();
  const admin = h.user({ id: ADMIN_ID, firstName: "Начальник", languageCode: "ru" });
  const olga = h.user({ firstName: "Ольга", languageCode: "ru", stars: 100 });
  const { chargeId } = await buyCredits(h, olga);
  await admin.send(h.account, `/user ${olga.id}`);
  await h.pump();
  const card = admin.lastMessage(h.account)!;
  assertEquals(await h.click(admin, card, `stars:rf:ask:${chargeId}`), { answered: true });
  const question = admin.lastMessage(h.account)!;
  assertStringIncludes(question.text!, `Вернуть 50 ⭐ пользователю ${olga.id} за «100 credits»`);
  await h.click(admin, question, `stars:rf:no:${chargeId}`);
  assertEquals(
    admin.messages(h.account).find((m) => m.message_id === question.message_id)?.text,
    `Не возвращено: платёж ${chargeId} остаётся в силе.`,
  );
  assertEquals(h.account.callsTo("refundStarPayment").length, 0);

  const forged = await h.buttonMessage(olga, `stars:rf:yes:${chargeId}`);
  assertEquals(await h.click(olga, forged, `stars:rf:yes:${chargeId}`), {
    answered: true,
    text: "Эта команда доступна только администраторам бота.",
  });
  assertEquals(h.account.callsTo("refundStarPayment").length, 0);
  assertEquals(await h.payments.credits.balance(olga.id), 100);
});
