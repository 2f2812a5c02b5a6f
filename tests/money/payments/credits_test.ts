import { assertEquals, assertRejects, assertTrue } from "../../support/assert.ts";
import { buy, outboxRows, paymentFixture, shopTenant, USER } from "./payment_fixture.ts";
import {
  HISTORY_PAGE_SIZE,
  suggestPack,
  TOP_UP_CALLBACK,
} from "../../../money/payments/credits.ts";

Deno.test("deduct spends credits and tells the user once when the balance runs low", async () => {
  const f = await paymentFixture();
  await buy(f, "credits_100", "ch_1");
  const kicksBefore = f.kicks.count;
  const first = await f.payments.credits.deduct(USER, 90, {
    reason: "images",
    idempotencyKey: "use:1",
  });
  assertEquals([first.ok, first.balance], [true, 10]);
  const lowAt5 = await f.payments.credits.deduct(USER, 5, {
    reason: "image",
    idempotencyKey: "use:2",
    languageCode: "en",
    chatId: 777,
  });
  assertEquals([lowAt5.ok, lowAt5.balance], [true, 5]);
  await f.payments.credits.deduct(USER, 3, { reason: "image", idempotencyKey: "use:3" });
  const notices = (await outboxRows(f.db)).filter((r) => r.id.startsWith("low-balance:"));
  assertEquals(notices, [{
    id: `low-balance:${USER}:3`,
    method: "sendMessage",
    params: {
      chat_id: 777,
      text: "⚠️ Your balance is down to 5 credits. Top up to keep going:",
      reply_markup: { inline_keyboard: [[{ text: "Top up", callback_data: TOP_UP_CALLBACK }]] },
    },
  }]);
  assertEquals(TOP_UP_CALLBACK, "stars:products");
  assertEquals(f.kicks.count, kicksBefore + 1);
  await f.db.close();
});

Deno.test("a top-up above the threshold re-arms the low-balance notice", async () => {
  const f = await paymentFixture();
  await buy(f, "credits_100", "ch_1");
  await f.payments.credits.deduct(USER, 98, {
    reason: "x",
    idempotencyKey: "use:1",
    languageCode: "ru",
  });
  await buy(f, "credits_100", "ch_2");
  assertEquals(await f.payments.credits.balance(USER), 102);
  await f.payments.credits.deduct(USER, 100, {
    reason: "x",
    idempotencyKey: "use:2",
    languageCode: "ru",
  });
  const notices = (await outboxRows(f.db)).filter((r) => r.id.startsWith("low-balance:"));
  assertEquals(notices.map((n) => [n.id, n.params.text]), [
    [`low-balance:${USER}:2`, "⚠️ На балансе осталось 2 кредита. Пополните, чтобы продолжить:"],
    [`low-balance:${USER}:4`, "⚠️ На балансе осталось 2 кредита. Пополните, чтобы продолжить:"],
  ]);
  await f.db.close();
});

Deno.test("a top-up that stays at or below the threshold does not re-arm the notice", async () => {
  const f = await paymentFixture(shopTenant({ stars: { lowBalanceThreshold: 250 } }));
  await buy(f, "credits_100", "ch_1"); // 100
  await f.payments.credits.deduct(USER, 1, { reason: "x", idempotencyKey: "use:1" }); // 99: notice
  await buy(f, "credits_100", "ch_2"); // 199: still low, the flag stays
  await f.payments.credits.deduct(USER, 1, { reason: "x", idempotencyKey: "use:2" }); // 198: no notice
  await buy(f, "credits_100", "ch_3"); // 298: above 250, re-armed
  await f.payments.credits.deduct(USER, 100, { reason: "x", idempotencyKey: "use:3" }); // 198: notice
  const ids = (await outboxRows(f.db)).filter((r) => r.id.startsWith("low-balance:"));
  assertEquals(ids.map((r) => r.id), [`low-balance:${USER}:2`, `low-balance:${USER}:6`]);
  await f.db.close();
});

Deno.test("a repeated deduct is not charged again and sends no second notice", async () => {
  const f = await paymentFixture();
  await buy(f, "credits_100", "ch_1");
  const request = { reason: "image", idempotencyKey: "use:1" };
  const first = await f.payments.credits.deduct(USER, 97, request);
  const again = await f.payments.credits.deduct(USER, 97, request);
  assertTrue(first.ok && again.ok);
  assertEquals([first.repeated, again.repeated, again.balance], [false, true, 3]);
  assertEquals(await f.payments.credits.balance(USER), 3);
  assertEquals((await outboxRows(f.db)).filter((r) => r.id.startsWith("low-balance:")).length, 1);
  await f.db.close();
});

Deno.test("an overdraft is refused with the shortfall and a pack to suggest", async () => {
  const f = await paymentFixture();
  await buy(f, "credits_100", "ch_1");
  const refused = await f.payments.credits.deduct(USER, 220, {
    reason: "video",
    idempotencyKey: "use:1",
  });
  assertTrue(!refused.ok);
  assertEquals([refused.balance, refused.shortfall, refused.offer?.id], [100, 120, "credits_500"]);
  const small = await f.payments.credits.deduct(USER, 130, {
    reason: "video",
    idempotencyKey: "use:2",
  });
  assertTrue(!small.ok);
  assertEquals([small.shortfall, small.offer?.id], [30, "credits_100"]);
  const huge = await f.payments.credits.deduct(USER, 10_000, {
    reason: "film",
    idempotencyKey: "use:3",
  });
  assertTrue(!huge.ok);
  assertEquals(huge.offer?.id, "credits_500", "none covers it: the largest enabled pack");
  assertEquals(await f.payments.credits.balance(USER), 100);
  assertEquals((await outboxRows(f.db)).filter((r) => r.id.startsWith("low-balance:")), []);
  await f.db.close();
});

Deno.test("without Stars sales an overdraft suggests nothing", async () => {
  const f = await paymentFixture(shopTenant({ stars: { enabled: false } }));
  const refused = await f.payments.credits.deduct(USER, 1, {
    reason: "x",
    idempotencyKey: "use:1",
  });
  assertEquals(refused, { ok: false, balance: 0, shortfall: 1, offer: undefined });
  await f.db.close();
});

Deno.test("suggestPack picks the cheapest covering pack, else the largest, never a disabled one", () => {
  const tenant = shopTenant();
  assertEquals(suggestPack(tenant, 1)?.id, "credits_100");
  assertEquals(suggestPack(tenant, 100)?.id, "credits_100");
  assertEquals(suggestPack(tenant, 101)?.id, "credits_500");
  assertEquals(suggestPack(tenant, 5_000)?.id, "credits_500");
  assertEquals(suggestPack(shopTenant({ products: [] }), 1), undefined);
  assertEquals(suggestPack(shopTenant({ stars: { enabled: false } }), 1), undefined);
});

Deno.test("history pages through the ledger, newest first", async () => {
  const f = await paymentFixture();
  assertEquals(await f.payments.credits.history(USER), {
    entries: [],
    total: 0,
    page: 1,
    pages: 1,
  });
  await buy(f, "credits_500", "ch_1");
  for (let i = 1; i <= 11; i++) {
    await f.payments.credits.deduct(USER, i, { reason: `use ${i}`, idempotencyKey: `use:${i}` });
  }
  const first = await f.payments.credits.history(USER, 1);
  assertEquals([first.total, first.page, first.pages], [12, 1, 2]);
  assertEquals(first.entries.length, HISTORY_PAGE_SIZE);
  assertEquals(first.entries[0].reason, "use 11");
  const second = await f.payments.credits.history(USER, 2);
  assertEquals(second.entries.map((e) => [e.kind, e.amount, e.reason]), [
    ["charge", -1, "use 1"],
    ["deposit", 500, "500 credits"],
  ]);
  await f.db.close();
});

Deno.test("history refuses a page below 1", async () => {
  const f = await paymentFixture();
  await assertRejects(() => f.payments.credits.history(USER, 0), RangeError, "got 0");
  await f.db.close();
});
