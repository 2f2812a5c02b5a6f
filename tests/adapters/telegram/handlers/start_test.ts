import { assertEquals, assertTrue } from "../../../support/assert.ts";
import { startHarness } from "./harness.ts";

Deno.test("/start greets in the user's language, else in the tenant's locale", async () => {
  await using h = await startHarness();
  const cases = [
    { user: h.user({ firstName: "Ann", languageCode: "en" }), locale: "en" as const },
    { user: h.user({ firstName: "Аня", languageCode: "ru" }), locale: "ru" as const },
    { user: h.user({ firstName: "Jan", languageCode: "de" }), locale: "en" as const },
  ];
  for (const { user } of cases) await user.send(h.account, "/start");
  await h.pump();
  for (const { user, locale } of cases) {
    assertEquals(
      user.lastMessage(h.account)?.text,
      h.texts.t(locale, "start.greeting", { name: user.firstName, bot: "shop_bot" }),
    );
  }
  assertTrue(h.texts.t("ru", "start.greeting").startsWith("Здравствуйте"));
});

Deno.test("a ru-locale tenant greets users of other languages in Russian", async () => {
  await using h = await startHarness({ tenant: { locale: "ru" } });
  const jan = h.user({ firstName: "Jan", languageCode: "de" });
  await jan.send(h.account, "/start");
  await h.pump();
  assertEquals(
    jan.lastMessage(h.account)?.text,
    "Здравствуйте, Jan! Я shop_bot. Отправьте /stars, чтобы посмотреть, что можно купить за Telegram Stars.",
  );
});

Deno.test("/start buy_<id> sends that product's invoice: XTR, no provider token, one price", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  await ann.send(h.account, "/start buy_credits_100");
  await h.pump();
  const [call] = h.account.callsTo("sendInvoice");
  assertTrue(call.ok);
  assertEquals(call.params.currency, "XTR");
  assertEquals(call.params.provider_token, "");
  assertEquals(call.params.prices, [{ label: "100 credits", amount: 50 }]);
  assertEquals(call.params.chat_id, ann.id);
  const invoice = ann.lastMessage(h.account)?.invoice;
  assertEquals(invoice?.total_amount, 50);
  assertEquals(invoice?.title, "100 credits");
  // The payload is the order the payment service recorded for Ann.
  const pending = await h.payments.checkout.pendingOrder(ann.id);
  assertTrue(pending.kind === "open");
  assertEquals(pending.order.orderId, call.params.payload);
  assertEquals(pending.order.productId, "credits_100");
});

Deno.test("/start buy_<subscription> sends a subscription link with its button", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  await ann.send(h.account, "/start buy_monthly");
  await h.pump();
  const [link] = h.account.callsTo("createInvoiceLink");
  assertEquals(link.params.currency, "XTR");
  assertEquals(link.params.subscription_period, 2592000);
  assertEquals(link.params.prices, [{ label: "Monthly membership", amount: 150 }]);
  assertEquals(h.account.callsTo("sendInvoice").length, 0);
  const message = ann.lastMessage(h.account);
  assertEquals(message?.text, "Subscribe to “Monthly membership” for 150 ⭐ a month:");
  const [[button]] = message?.reply_markup?.inline_keyboard ?? [[]];
  assertEquals(button?.text, "Subscribe for 150 ⭐");
  assertTrue(button !== undefined && "url" in button && button.url.startsWith("https://t.me/$"));
});

Deno.test("a deep link to an unknown or disabled product gets a clear reply and no invoice", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  const olga = h.user({ firstName: "Ольга", languageCode: "ru" });
  await ann.send(h.account, "/start buy_nothing_here");
  await olga.send(h.account, "/start buy_retired");
  await h.pump();
  assertEquals(
    ann.lastMessage(h.account)?.text,
    "There is no product “nothing_here” here. Send /stars to see what is on sale.",
  );
  assertEquals(olga.lastMessage(h.account)?.text, "«Old pack» сейчас не продаётся.");
  assertEquals(h.account.callsTo("sendInvoice").length, 0);
  assertEquals((await h.payments.checkout.pendingOrder(ann.id)).kind, "none");
});

Deno.test("with Stars payments turned off, a deep link says so", async () => {
  await using h = await startHarness({ tenant: { stars: { enabled: false } } });
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  await ann.send(h.account, "/start buy_credits_100");
  await h.pump();
  assertEquals(
    ann.lastMessage(h.account)?.text,
    "Payments with Stars are turned off for this bot.",
  );
  assertEquals(h.account.callsTo("sendInvoice").length, 0);
});

Deno.test("/start with another start parameter is a plain greeting", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  await ann.send(h.account, "/start ref_42");
  await h.pump();
  assertEquals(
    ann.lastMessage(h.account)?.text,
    h.texts.t("en", "start.greeting", { name: "Ann", bot: "shop_bot" }),
  );
});

Deno.test("/paysupport and /terms answer in the user's language", async () => {
  await using h = await startHarness({
    tenant: { texts: { en: { "terms.text": "Our own terms." } } },
  });
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  const olga = h.user({ firstName: "Ольга", languageCode: "ru" });
  await ann.send(h.account, "/terms");
  await ann.send(h.account, "/paysupport");
  await olga.send(h.account, "/terms");
  await h.pump();
  assertEquals(ann.messages(h.account).map((m) => m.text), [
    "Our own terms.",
    h.texts.t("en", "paysupport.text"),
  ]);
  assertEquals(olga.lastMessage(h.account)?.text, h.texts.t("ru", "terms.text"));
  assertTrue(h.texts.t("ru", "terms.text").startsWith("Покупки"));
});
