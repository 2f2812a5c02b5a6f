import { assertEquals, assertRejects, assertTrue } from "../../support/assert.ts";
import {
  buy,
  DAY,
  issue,
  orderState,
  paymentFixture,
  paymentMessage,
  START,
  subscribe,
  USER,
} from "./payment_fixture.ts";
import { HISTORY_PAGE_SIZE } from "../../../money/payments/payment_service.ts";

Deno.test("history pages through the ledger, newest first", async () => {
  const f = await paymentFixture();
  assertEquals(await f.service.history(USER), { entries: [], total: 0, page: 1, pages: 1 });
  await buy(f, "credits_500", "ch_1");
  for (let i = 1; i <= 11; i++) {
    await f.service.deduct(USER, i, { reason: `use ${i}`, idempotencyKey: `use:${i}` });
  }
  const first = await f.service.history(USER, 1);
  assertEquals([first.total, first.page, first.pages], [12, 1, 2]);
  assertEquals(first.entries.length, HISTORY_PAGE_SIZE);
  assertEquals(first.entries[0].reason, "use 11");
  const second = await f.service.history(USER, 2);
  assertEquals(second.entries.map((e) => [e.kind, e.amount, e.reason]), [
    ["charge", -1, "use 1"],
    ["deposit", 500, "500 credits"],
  ]);
  await f.db.close();
});

Deno.test("pendingOrder finds the open order, else the last paid one", async () => {
  const f = await paymentFixture();
  assertEquals(await f.service.pendingOrder(USER), { kind: "none" });
  const orderId = await issue(f, "credits_100");
  const open = await f.service.pendingOrder(USER);
  assertTrue(open.kind === "open");
  assertEquals([open.order.orderId, open.product?.id], [orderId, "credits_100"]);
  await f.service.successfulPayment(
    paymentMessage({ payload: orderId, chargeId: "ch_1", amount: 50 }),
  );
  await f.clock.advance(1);
  const expiring = await issue(f, "wallpapers");
  await f.clock.advance(600_000);
  await f.service.expireDue();
  const paid = await f.service.pendingOrder(USER);
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
  await f.service.successfulPayment(
    paymentMessage({ payload: fresh, chargeId: "ch_fresh", amount: 50 }),
  );
  const pending = await f.service.pendingOrder(USER);
  assertTrue(pending.kind === "paid");
  assertEquals([pending.order.orderId, pending.balance], [fresh, 100]);
  await f.db.close();
});

Deno.test("renewal is switched off and on with the subscription's first charge", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "monthly");
  for (const [i, chargeId] of ["ch_s1", "ch_s2"].entries()) {
    await f.service.successfulPayment(paymentMessage({
      payload: orderId,
      chargeId,
      amount: 150,
      recurring: { first: i === 0, expiresAt: START + (i + 1) * 30 * DAY },
    }));
  }
  const canceled = await f.service.setSubscriptionRenewal(USER, "monthly", true);
  assertTrue(canceled.kind === "canceled");
  assertEquals([canceled.subscription.state, canceled.subscription.renewalCanceled], [
    "canceled",
    true,
  ]);
  const resumed = await f.service.setSubscriptionRenewal(USER, "monthly", false);
  assertTrue(resumed.kind === "resumed");
  assertEquals(resumed.subscription.state, "active");
  assertEquals(f.api.of("editUserStarSubscription"), [
    [USER, "ch_s1", true],
    [USER, "ch_s1", false],
  ]);
  assertEquals((await f.service.subscriptions(USER)).map((s) => [s.productId, s.state]), [
    ["monthly", "active"],
  ]);
  await f.db.close();
});

Deno.test("renewal of a missing or ended subscription is not switched", async () => {
  const f = await paymentFixture();
  assertEquals(await f.service.setSubscriptionRenewal(USER, "monthly", true), {
    kind: "unknown_subscription",
  });
  await subscribe(f, "club", "ch_c1");
  await f.clock.advance(30 * DAY);
  await f.service.expireDue();
  const ended = await f.service.setSubscriptionRenewal(USER, "club", true);
  assertEquals([ended.kind, ended.kind === "not_running" && ended.subscription.state], [
    "not_running",
    "expired",
  ]);
  assertEquals(f.api.of("editUserStarSubscription"), []);
  await f.db.close();
});

Deno.test("expireDue expires orders and subscriptions as the clock passes them", async () => {
  const f = await paymentFixture();
  const open = await issue(f, "credits_100");
  await subscribe(f, "club", "ch_c1", START + DAY);
  assertEquals(await f.service.expireDue(), { orders: 0, subscriptions: 0 });
  await f.clock.advance(600_000);
  assertEquals(await f.service.expireDue(), { orders: 1, subscriptions: 0 });
  assertEquals(await orderState(f, open), "expired");
  await f.clock.advance(DAY - 600_000);
  assertEquals(await f.service.expireDue(), { orders: 0, subscriptions: 1 });
  assertEquals((await f.service.subscriptions(USER))[0].state, "expired");
  await f.db.close();
});

Deno.test("history refuses a page below 1", async () => {
  const f = await paymentFixture();
  await assertRejects(() => f.service.history(USER, 0), RangeError, "got 0");
  await f.db.close();
});
