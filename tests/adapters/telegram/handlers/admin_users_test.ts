import { assertEquals } from "../../../support/assert.ts";
import { ADMIN_ID, buttonData, startHarness } from "./harness.ts";
import { buyCredits, subscribeMonthly } from "./stars_purchases.ts";

Deno.test("/subscribers lists every subscription with its state and end, in pages", async () => {
  await using h = await startHarness();
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  const buyers = [];
  for (let i = 0; i < 11; i++) {
    const buyer = h.user({ firstName: `Buyer ${i}`, languageCode: "en", stars: 200 });
    await subscribeMonthly(h, buyer);
    buyers.push(buyer);
  }
  await admin.send(h.account, "/subscribers");
  await h.pump();
  const first = admin.lastMessage(h.account)!;
  const lines = first.text!.split("\n");
  assertEquals(lines[0], "Subscribers — page 1 of 2:");
  assertEquals(lines.length, 11);
  assertEquals(
    lines[1],
    `• ${buyers[0].id}: “Monthly membership” — active, renews 2025-01-31 00:00 UTC`,
  );
  assertEquals(buttonData(first), [["stars:subs:2"]]);
  await h.click(admin, first, "stars:subs:2");
  const second = admin.messages(h.account).find((m) => m.message_id === first.message_id)!;
  assertEquals(second.text!.split("\n").length, 2);
  assertEquals(buttonData(second), [["stars:subs:1"]]);

  const ann = h.user({ firstName: "Ann", languageCode: "ru" });
  await ann.send(h.account, "/subscribers");
  await h.pump();
  assertEquals(
    ann.lastMessage(h.account)?.text,
    "Эта команда доступна только администраторам бота.",
  );
});

Deno.test("/user shows a buyer's credits, payments with Refund buttons and subscriptions", async () => {
  await using h = await startHarness();
  const admin = h.user({ id: ADMIN_ID, firstName: "Начальник", languageCode: "ru" });
  const ann = h.user({ firstName: "Ann", username: "ann_lee", languageCode: "en", stars: 500 });
  const credits = await buyCredits(h, ann);
  await h.clock.advance(60_000);
  const monthly = await subscribeMonthly(h, ann);
  await admin.send(h.account, "/user @Ann_Lee");
  await h.pump();
  const card = admin.lastMessage(h.account)!;
  assertEquals(card.text!.split("\n"), [
    `👤 Пользователь ${ann.id}: 400 кредитов.`,
    "Платежи:",
    `• 2025-01-01 00:01: «Monthly membership» — 150 ⭐ (подписка) — ${monthly.chargeId}`,
    `• 2025-01-01 00:00: «100 credits» — 50 ⭐ (кредиты) — ${credits.chargeId}`,
    "Подписки:",
    "• «Monthly membership» — активна, продлится 2025-01-31 00:01 UTC",
  ]);
  assertEquals(
    buttonData(card).flat().sort(),
    [
      `stars:rf:ask:${credits.chargeId}`,
      `stars:rf:ask:${monthly.chargeId}`,
    ].sort(),
  );
  await admin.send(h.account, "/user @nobody_here");
  await h.pump();
  assertEquals(
    admin.lastMessage(h.account)?.text,
    "Пользователь @nobody_here этому боту не платил.",
  );
  await admin.send(h.account, "/user");
  await h.pump();
  assertEquals(admin.lastMessage(h.account)?.text, "Использование: /user <id или @username>");
});
