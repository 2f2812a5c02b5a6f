import { assertEquals, assertTrue } from "../../support/assert.ts";
import {
  issue,
  orderState,
  OTHER_USER,
  outboxRows,
  type PaymentFixture,
  paymentFixture,
  paymentMessage,
  preCheckoutQuery,
  shopTenant,
  START,
  USER,
} from "./payment_fixture.ts";

Deno.test("offer sends a Stars invoice whose payload is a new order", async () => {
  const f = await paymentFixture();
  const result = await f.payments.checkout.offer(USER, 555, "credits_100", "en");
  assertTrue(result.kind === "invoice");
  assertEquals(result.messageId, 100);
  assertEquals(f.api.calls, [{
    method: "sendInvoice",
    args: [
      555,
      "100 credits",
      "A pack of 100 credits.",
      result.order.orderId,
      "XTR",
      [{ label: "100 credits", amount: 50 }],
      { provider_token: "" },
    ],
  }]);
  assertEquals(result.order, {
    orderId: result.order.orderId,
    userId: USER,
    chatId: 555,
    productId: "credits_100",
    amount: 50,
    state: "issued",
    createdAt: START,
    expiresAt: START + 600_000,
    updatedAt: START,
  });
  assertEquals(await orderState(f, result.order.orderId), "issued");
  await f.db.close();
});

Deno.test("offer of a subscription sends a subscription link with its button", async () => {
  const f = await paymentFixture();
  const result = await f.payments.checkout.offer(USER, USER, "monthly", "ru");
  assertTrue(result.kind === "subscription_link");
  const url = `https://t.me/$invoice-${result.order.orderId}`;
  assertEquals(result.url, url);
  assertEquals(f.api.calls, [
    {
      method: "createInvoiceLink",
      args: [
        "Monthly membership",
        "Members-only posts and 300 credits every month.",
        result.order.orderId,
        "",
        "XTR",
        [{ label: "Monthly membership", amount: 150 }],
        { subscription_period: 2592000 },
      ],
    },
    {
      method: "sendMessage",
      args: [
        USER,
        "Подписка «Monthly membership» за 150 ⭐ в месяц:",
        { reply_markup: { inline_keyboard: [[{ text: "Подписаться за 150 ⭐", url }]] } },
      ],
    },
  ]);
  assertEquals(result.messageId, 100);
  await f.db.close();
});

Deno.test("offer refuses unknown and disabled products and a shop without Stars", async () => {
  const f = await paymentFixture();
  assertEquals(await f.payments.checkout.offer(USER, USER, "nope", "en"), {
    kind: "refused",
    reason: "unknown_product",
    textKey: "start.unknown_product",
    text: "There is no product “nope” here. Send /stars to see what is on sale.",
  });
  assertEquals(await f.payments.checkout.offer(USER, USER, "retired", "ru"), {
    kind: "refused",
    reason: "product_disabled",
    textKey: "invoice.product_disabled",
    text: "«Old pack» сейчас не продаётся.",
  });
  const closed = await paymentFixture(shopTenant({ stars: { enabled: false } }));
  assertEquals(await closed.payments.checkout.offer(USER, USER, "credits_100", "en"), {
    kind: "refused",
    reason: "stars_disabled",
    textKey: "invoice.stars_disabled",
    text: "Payments with Stars are turned off for this bot.",
  });
  assertEquals([f.api.calls, closed.api.calls], [[], []]);
  assertEquals(await f.db.all("SELECT * FROM orders"), []);
  await f.db.close();
  await closed.db.close();
});

Deno.test("preCheckout approves a matching order", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "credits_100");
  const answer = await f.payments.checkout.preCheckout(
    preCheckoutQuery({ payload: orderId, amount: 50 }),
  );
  assertEquals(answer, { ok: true });
  assertEquals(await orderState(f, orderId), "approved");
  // A retry after a failed payment is approved again.
  assertEquals(
    await f.payments.checkout.preCheckout(preCheckoutQuery({ payload: orderId, amount: 50 })),
    { ok: true },
  );
  await f.db.close();
});

/** Each refusal in English and Russian; the order is left as it was. */
const refusals: {
  name: string;
  refusal: string;
  en: string;
  ru: string;
  prepare(f: PaymentFixture, orderId: string): Promise<Parameters<typeof preCheckoutQuery>[0]>;
}[] = [
  {
    name: "a forged payload",
    refusal: "unknown_order",
    en: "This invoice is not valid. Please request a new one.",
    ru: "Этот счёт недействителен. Запросите новый.",
    prepare: () => Promise.resolve({ payload: "forged-payload", amount: 50 }),
  },
  {
    name: "an expired order",
    refusal: "expired",
    en: "This invoice has expired. Please request a new one.",
    ru: "Срок действия счёта истёк. Запросите новый.",
    prepare: async (f, orderId) => {
      await f.clock.advance(600_000);
      return { payload: orderId, amount: 50 };
    },
  },
  {
    name: "a foreign payer",
    refusal: "wrong_payer",
    en: "This invoice was issued to someone else.",
    ru: "Этот счёт выставлен другому пользователю.",
    prepare: (_f, orderId) => Promise.resolve({ payload: orderId, amount: 50, userId: OTHER_USER }),
  },
  {
    name: "a wrong amount",
    refusal: "wrong_amount",
    en: "The amount does not match the order. Please request a new invoice.",
    ru: "Сумма не совпадает с заказом. Запросите новый счёт.",
    prepare: (_f, orderId) => Promise.resolve({ payload: orderId, amount: 1 }),
  },
  {
    name: "a wrong currency",
    refusal: "wrong_currency",
    en: "This invoice must be paid in Telegram Stars.",
    ru: "Этот счёт оплачивается только Telegram Stars.",
    prepare: (_f, orderId) => Promise.resolve({ payload: orderId, amount: 50, currency: "USD" }),
  },
  {
    name: "a product disabled after the invoice",
    refusal: "product_disabled",
    en: "This product is no longer on sale.",
    ru: "Этот товар больше не продаётся.",
    prepare: (f, orderId) => {
      f.tenant.products.find((p) => p.id === "credits_100")!.enabled = false;
      return Promise.resolve({ payload: orderId, amount: 50 });
    },
  },
];

for (const { name, refusal, en, ru, prepare } of refusals) {
  Deno.test(`preCheckout refuses ${name}, in the payer's language, changing nothing`, async () => {
    for (const [languageCode, errorMessage] of [["en", en], ["ru", ru]]) {
      const f = await paymentFixture();
      const orderId = await issue(f, "credits_100");
      const query = preCheckoutQuery({ ...await prepare(f, orderId), languageCode });
      assertEquals(await f.payments.checkout.preCheckout(query), {
        ok: false,
        refusal,
        errorMessage,
      });
      assertEquals(await orderState(f, orderId), "issued");
      assertEquals(await outboxRows(f.db), []);
      await f.db.close();
    }
  });
}

Deno.test("preCheckout refuses a paid order", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "credits_100");
  await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_1", amount: 50 }),
  );
  assertEquals(
    await f.payments.checkout.preCheckout(preCheckoutQuery({ payload: orderId, amount: 50 })),
    {
      ok: false,
      refusal: "already_paid",
      errorMessage: "This order is already paid.",
    },
  );
  assertEquals(await orderState(f, orderId), "paid");
  await f.db.close();
});

Deno.test("preCheckout answers a storage failure with a retry message", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "credits_100");
  await f.db.close();
  const query = preCheckoutQuery({ payload: orderId, amount: 50, languageCode: "ru" });
  assertEquals(await f.payments.checkout.preCheckout(query), {
    ok: false,
    refusal: "error",
    errorMessage: "Не удалось проверить платёж. Попробуйте ещё раз через минуту.",
  });
});

Deno.test("pendingOrder finds the open order, else the last paid one", async () => {
  const f = await paymentFixture();
  assertEquals(await f.payments.checkout.pendingOrder(USER), { kind: "none" });
  const orderId = await issue(f, "credits_100");
  const open = await f.payments.checkout.pendingOrder(USER);
  assertTrue(open.kind === "open");
  assertEquals([open.order.orderId, open.product?.id], [orderId, "credits_100"]);
  await f.payments.receiver.receive(
    paymentMessage({ payload: orderId, chargeId: "ch_1", amount: 50 }),
  );
  await f.clock.advance(1);
  const expiring = await issue(f, "wallpapers");
  await f.clock.advance(600_000);
  await f.payments.expireDue();
  const paid = await f.payments.checkout.pendingOrder(USER);
  assertTrue(paid.kind === "paid");
  assertEquals([paid.order.orderId, paid.balance], [orderId, 100]);
  assertTrue(paid.order.orderId !== expiring);
  await f.db.close();
});

Deno.test("pendingOrder ignores an open order superseded by a newer paid one", async () => {
  const f = await paymentFixture();
  await issue(f, "credits_100");
  await f.clock.advance(1);
  const fresh = await issue(f, "credits_100");
  await f.payments.receiver.receive(
    paymentMessage({ payload: fresh, chargeId: "ch_fresh", amount: 50 }),
  );
  const pending = await f.payments.checkout.pendingOrder(USER);
  assertTrue(pending.kind === "paid");
  assertEquals([pending.order.orderId, pending.balance], [fresh, 100]);
  await f.db.close();
});
