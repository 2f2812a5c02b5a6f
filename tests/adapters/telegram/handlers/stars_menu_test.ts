import { assertEquals, assertTrue } from "../../../support/assert.ts";
import { Orders } from "../../../../money/stores/orders.ts";
import { TOP_UP_CALLBACK } from "../../../../money/payments/credits.ts";
import { CREDITS_100 } from "../../../support/shop_products.ts";
import { type Harness, startHarness } from "./harness.ts";

async function deposit(h: Harness, userId: number, credits: number, key: string) {
  await h.db.transaction((tx) =>
    h.ledger.deposit(tx, userId, credits, { idempotencyKey: key, reason: "gift" })
  );
}

Deno.test("/stars shows the balance and the menu's buttons", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  await deposit(h, ann.id, 40, "gift:1");
  await ann.send(h.account, "/stars");
  await h.pump();
  const menu = ann.lastMessage(h.account);
  assertEquals(menu?.text, "⭐ Stars menu. Your balance: 40 credits.");
  assertEquals(menu?.reply_markup?.inline_keyboard, [
    [
      { text: "💰 Balance", callback_data: "stars:balance" },
      { text: "🛒 Buy", callback_data: "stars:products" },
    ],
    [
      { text: "📜 History", callback_data: "stars:history:1" },
      { text: "🔁 Subscriptions", callback_data: "stars:subs" },
    ],
    [{ text: "⭐ Buy Stars", url: "https://t.me/stars/buy" }],
    [{ text: "✅ I bought Stars — check", callback_data: "stars:check" }],
  ]);
});

Deno.test("the menu speaks Russian to a Russian user", async () => {
  await using h = await startHarness();
  const olga = h.user({ firstName: "Ольга", languageCode: "ru" });
  await olga.send(h.account, "/stars");
  await h.pump();
  const menu = olga.lastMessage(h.account);
  assertEquals(menu?.text, "⭐ Меню Stars. Ваш баланс: 0 кредитов.");
  assertEquals(menu?.reply_markup?.inline_keyboard[0][0].text, "💰 Баланс");
});

Deno.test("the balance button and /balance show the balance", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  await deposit(h, ann.id, 7, "gift:1");
  await ann.send(h.account, "/stars");
  await ann.send(h.account, "/balance");
  await h.pump();
  const [menu, balance] = ann.messages(h.account);
  assertEquals(balance.text, "Your balance: 7 credits.");
  assertEquals(await h.click(ann, menu, "stars:balance"), { answered: true });
  assertEquals(ann.lastMessage(h.account)?.text, "Your balance: 7 credits.");
});

Deno.test("the shop lists one button per product on sale, and a button sends its invoice", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  await ann.send(h.account, "/stars");
  await h.pump();
  const menu = ann.lastMessage(h.account)!;
  // The low-balance notice's "Top up" button is this same button.
  assertEquals(TOP_UP_CALLBACK, "stars:products");
  await h.click(ann, menu, "stars:products");
  const shop = ann.lastMessage(h.account)!;
  assertEquals(shop.text, "What would you like to buy?");
  assertEquals(shop.reply_markup?.inline_keyboard, [
    [{ text: "100 credits — 50 ⭐", callback_data: "stars:buy:credits_100" }],
    [{ text: "500 credits — 200 ⭐", callback_data: "stars:buy:credits_500" }],
    [{ text: "Wallpaper pack — 25 ⭐", callback_data: "stars:buy:wallpapers" }],
    [{ text: "Monthly membership — 150 ⭐", callback_data: "stars:buy:monthly" }],
  ]);
  assertEquals(await h.click(ann, shop, "stars:buy:wallpapers"), { answered: true });
  const [call] = h.account.callsTo("sendInvoice");
  assertEquals(call.params.currency, "XTR");
  assertEquals(call.params.prices, [{ label: "Wallpaper pack", amount: 25 }]);
  assertEquals(ann.lastMessage(h.account)?.invoice?.title, "Wallpaper pack");
});

Deno.test("the shop says when nothing is on sale or Stars are off", async () => {
  {
    await using h = await startHarness({ tenant: { products: [] } });
    const ann = h.user({ firstName: "Ann", languageCode: "en" });
    await ann.send(h.account, "/stars");
    await h.pump();
    await h.click(ann, ann.lastMessage(h.account)!, "stars:products");
    assertEquals(ann.lastMessage(h.account)?.text, "Nothing is on sale right now.");
    assertEquals(ann.lastMessage(h.account)?.reply_markup, undefined);
  }
  {
    await using h = await startHarness({ tenant: { stars: { enabled: false } } });
    const ann = h.user({ firstName: "Ann", languageCode: "en" });
    await ann.send(h.account, "/stars");
    await h.pump();
    await h.click(ann, ann.lastMessage(h.account)!, "stars:products");
    assertEquals(
      ann.lastMessage(h.account)?.text,
      "Payments with Stars are turned off for this bot.",
    );
  }
});

Deno.test('"I bought Stars — check" with no order says there is none', async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  await ann.send(h.account, "/stars");
  await h.pump();
  assertEquals(await h.click(ann, ann.lastMessage(h.account)!, "stars:check"), {
    answered: true,
  });
  assertEquals(
    ann.lastMessage(h.account)?.text,
    "You have no open order. Send /stars to buy something.",
  );
});

Deno.test('"I bought Stars — check" re-offers an unpaid order as a fresh invoice', async () => {
  await using h = await startHarness();
  // Ann has too few Stars for the invoice, so she goes to buy Stars and comes back.
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 10 });
  await ann.send(h.account, "/start buy_credits_100");
  await ann.send(h.account, "/stars");
  await h.pump();
  const [firstInvoice, menu] = ann.messages(h.account);
  assertEquals((await h.pay(ann, firstInvoice)).status, "insufficient_stars");
  ann.topUp(100);

  assertEquals(await h.click(ann, menu, "stars:check"), { answered: true });
  const [, , pending, again] = ann.messages(h.account);
  assertEquals(
    pending.text,
    "Your order “100 credits” for 50 ⭐ is still waiting for payment. Here it is again:",
  );
  assertEquals(again.invoice?.total_amount, 50);
  const invoices = h.account.callsTo("sendInvoice");
  assertEquals(invoices.length, 2);
  assertTrue(invoices[0].params.payload !== invoices[1].params.payload, "a fresh order");
  assertEquals((await h.pay(ann, again)).status, "paid");
  assertEquals(await h.payments.credits.balance(ann.id), 100);
});

Deno.test('"I bought Stars — check" after paying confirms the order with the balance', async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  await ann.send(h.account, "/start buy_credits_100");
  await ann.send(h.account, "/stars");
  await h.pump();
  const [invoice, menu] = ann.messages(h.account);
  assertEquals((await h.pay(ann, invoice)).status, "paid");
  await h.click(ann, menu, "stars:check");
  assertEquals(
    ann.lastMessage(h.account)?.text,
    "Your last order “100 credits” is paid. Balance: 100 credits.",
  );
  assertEquals(h.account.callsTo("sendInvoice").length, 1);
});

Deno.test('"check" for an order whose product went off sale gives the reason only', async () => {
  // The shop after a config change that took the pack off sale; Bob's order is from before.
  await using h = await startHarness({
    tenant: { products: [{ ...CREDITS_100, enabled: false }] },
  });
  const bob = h.user({ firstName: "Bob", languageCode: "en" });
  await new Orders(h.config.id, h.clock).issue(h.db, {
    userId: bob.id,
    chatId: bob.id,
    productId: "credits_100",
    amount: 50,
    ttlMs: 600_000,
  });
  await bob.send(h.account, "/stars");
  await h.pump();
  await h.click(bob, bob.lastMessage(h.account)!, "stars:check");
  assertEquals(bob.lastMessage(h.account)?.text, "“100 credits” is not on sale right now.");
  assertEquals(h.account.callsTo("sendInvoice").length, 0);
});
