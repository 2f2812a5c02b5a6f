import { assertEquals } from "../../../support/assert.ts";
import { ADMIN_ID, buttonData, startHarness } from "./harness.ts";
import { buyCredits, buyWallpapers } from "./stars_purchases.ts";
import { CREDITS_100, WALLPAPERS } from "../../../support/shop_products.ts";

Deno.test("/purchases lists what the buyer bought; an item's content can be got again", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 200 });
  const item = (await buyWallpapers(h, ann)).chargeId;
  await h.clock.advance(60_000);
  await buyCredits(h, ann);
  await ann.send(h.account, "/purchases");
  await h.pump();
  const list = ann.lastMessage(h.account)!;
  assertEquals(list.text!.split("\n"), [
    "Your purchases — page 1 of 1:",
    "• 2025-01-01 00:01: “100 credits” — 50 ⭐ (credits)",
    "• 2025-01-01 00:00: “Wallpaper pack” — 25 ⭐ (item)",
  ]);
  assertEquals(buttonData(list), [[`stars:again:${item}`]]);
  assertEquals(list.reply_markup?.inline_keyboard[0][0].text, "📦 “Wallpaper pack” again");
  assertEquals(await h.click(ann, list, `stars:again:${item}`), { answered: true });
  assertEquals(ann.lastMessage(h.account)?.text, WALLPAPERS.content);

  // Someone else's purchase is not theirs to get.
  const eve = h.user({ firstName: "Eve", languageCode: "en" });
  const forged = await h.buttonMessage(eve, `stars:again:${item}`);
  assertEquals(await h.click(eve, forged, `stars:again:${item}`), {
    answered: true,
    text: "This button is no longer valid.",
  });
});

Deno.test("a Russian buyer sees Russian titles; a refunded item is not sent again", async () => {
  await using h = await startHarness({
    tenant: {
      products: [CREDITS_100, { ...WALLPAPERS, title: { en: "Wallpaper pack", ru: "Обои" } }],
    },
  });
  const olga = h.user({ firstName: "Ольга", languageCode: "ru", stars: 100 });
  await olga.send(h.account, "/purchases");
  await h.pump();
  assertEquals(
    olga.lastMessage(h.account)?.text,
    "Вы пока ничего не купили. Отправьте /stars, чтобы увидеть, что продаётся.",
  );
  const item = (await buyWallpapers(h, olga)).chargeId;
  await olga.send(h.account, "/purchases");
  await h.pump();
  const list = olga.lastMessage(h.account)!;
  assertEquals(list.text!.split("\n")[1], "• 2025-01-01 00:00: «Обои» — 25 ⭐ (товар)");
  assertEquals(list.reply_markup?.inline_keyboard[0][0].text, "📦 «Обои» ещё раз");

  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  await admin.send(h.account, `/refund ${item}`);
  await h.pump();
  assertEquals(await h.click(olga, list, `stars:again:${item}`), {
    answered: true,
    text: "Эта покупка возвращена, поэтому её содержимое больше не отправляется.",
  });
  await olga.send(h.account, "/purchases");
  await h.pump();
  const after = olga.lastMessage(h.account)!;
  assertEquals(
    after.text!.split("\n")[1],
    "• 2025-01-01 00:00: «Обои» — 25 ⭐ (товар), возвращено",
  );
  assertEquals(buttonData(after), []);
});
