import { getLogger, reset } from "@logtape/logtape";
import type { BotSubscriptionUpdated } from "grammy/types";
import { assertEquals, assertTrue } from "../../support/assert.ts";
import { captureLogs, renderedLogs } from "../../support/log_capture.ts";
import {
  DAY,
  issue,
  OTHER_USER,
  outboxRows,
  type PaymentFixture,
  paymentFixture,
  paymentMessage,
  START,
  subscribe,
  USER,
} from "./payment_fixture.ts";
import { createPaymentServices, type PaymentServices } from "../../../money/payments/services.ts";

interface Setup {
  f: PaymentFixture;
  /** The fixture's services, but logging to {@linkcode Setup.logs}. */
  payments: PaymentServices;
  /** What the services logged, as `level: message`. */
  logs: () => string[];
}

async function setup(): Promise<Setup> {
  const f = await paymentFixture();
  const records = await captureLogs(["test-subscriptions"]);
  const payments = createPaymentServices({
    ...f.options,
    logger: getLogger(["test-subscriptions"]),
  });
  const logs = () => renderedLogs(records);
  return { f, payments, logs };
}

async function teardown({ f }: Setup): Promise<void> {
  await f.db.close();
  await reset();
}

/**
 * Subscribes USER to `productId` through a new order, paid on the logging services; returns the
 * order id (the payload).
 */
async function subscribed(s: Setup, chargeId: string, productId = "monthly"): Promise<string> {
  const { orderId, outcome } = await subscribe(
    { ...s.f, payments: s.payments },
    productId,
    chargeId,
  );
  assertEquals(outcome.kind, "subscribed");
  return orderId;
}

function update(
  payload: string,
  state: BotSubscriptionUpdated["state"],
  userId = USER,
): BotSubscriptionUpdated {
  return {
    user: { id: userId, is_bot: false, first_name: "Ann" },
    invoice_payload: payload,
    state,
  };
}

/** USER's subscriptions as `[productId, state, renewalCanceled]`. */
async function states(s: Setup) {
  return (await s.payments.subscriptions.list(USER)).map((
    x,
  ) => [x.productId, x.state, x.renewalCanceled]);
}

Deno.test("canceled turns renewal off and active turns it on; a repeated update changes nothing", async () => {
  const s = await setup();
  const orderId = await subscribed(s, "ch_1");
  const outboxBefore = await outboxRows(s.f.db);
  const kicksBefore = s.f.kicks.count;

  const canceled = await s.payments.subscriptions.applyUpdate(update(orderId, "canceled"));
  assertTrue(canceled.kind === "updated");
  assertEquals([canceled.changed, canceled.subscription.state], [true, "canceled"]);
  assertEquals(canceled.subscription.expiresAt, START + 30 * DAY, "usable until the period ends");
  assertEquals(await states(s), [["monthly", "canceled", true]]);
  const again = await s.payments.subscriptions.applyUpdate(update(orderId, "canceled"));
  assertTrue(again.kind === "updated");
  assertEquals([again.changed, again.subscription], [false, canceled.subscription]);

  const active = await s.payments.subscriptions.applyUpdate(update(orderId, "active"));
  assertTrue(active.kind === "updated");
  assertEquals([active.changed, active.subscription.state], [true, "active"]);
  assertEquals(await states(s), [["monthly", "active", false]]);
  const activeAgain = await s.payments.subscriptions.applyUpdate(update(orderId, "active"));
  assertTrue(activeAgain.kind === "updated" && !activeAgain.changed);

  // The user acted in Telegram itself: nothing to tell Telegram or them.
  assertEquals(s.f.api.of("editUserStarSubscription"), []);
  assertEquals(await outboxRows(s.f.db), outboxBefore);
  assertEquals(s.f.kicks.count, kicksBefore);
  assertEquals(s.logs(), [
    "info: Subscription of user 1001 to monthly is now canceled (Telegram: canceled).",
    "debug: Subscription of user 1001 to monthly stays canceled (Telegram: canceled).",
    "info: Subscription of user 1001 to monthly is now active (Telegram: active).",
    "debug: Subscription of user 1001 to monthly stays active (Telegram: active).",
  ]);
  await teardown(s);
});

Deno.test("failed ends a running subscription once; it can no longer be switched", async () => {
  const s = await setup();
  const orderId = await subscribed(s, "ch_1");
  const failed = await s.payments.subscriptions.applyUpdate(update(orderId, "failed"));
  assertTrue(failed.kind === "updated");
  assertEquals([failed.changed, failed.subscription.state], [true, "failed"]);
  assertEquals(await states(s), [["monthly", "failed", false]]);
  const again = await s.payments.subscriptions.applyUpdate(update(orderId, "failed"));
  assertTrue(again.kind === "updated" && !again.changed);

  const late = await s.payments.subscriptions.applyUpdate(update(orderId, "active"));
  assertTrue(late.kind === "updated");
  assertEquals([late.changed, late.subscription.state], [false, "failed"], "only money revives");
  const switched = await s.payments.subscriptions.setRenewal(USER, "monthly", true);
  assertEquals(switched.kind, "not_running");
  await s.f.clock.advance(31 * DAY);
  assertEquals((await s.payments.expireDue()).subscriptions, 0);
  assertEquals(await states(s), [["monthly", "failed", false]]);
  await teardown(s);
});

Deno.test("failed after the expiry sweep records the failure; a later renewal revives it", async () => {
  const s = await setup();
  const orderId = await subscribed(s, "ch_1");
  await s.f.clock.advance(30 * DAY);
  await s.payments.expireDue();
  const failed = await s.payments.subscriptions.applyUpdate(update(orderId, "failed"));
  assertTrue(failed.kind === "updated");
  assertEquals([failed.changed, failed.subscription.state], [true, "failed"]);

  const renewed = await s.payments.receiver.receive(paymentMessage({
    payload: orderId,
    chargeId: "ch_2",
    amount: 150,
    recurring: { first: false, expiresAt: START + 60 * DAY },
  }));
  assertEquals(renewed.kind, "renewed");
  assertEquals(await states(s), [["monthly", "active", false]]);
  await teardown(s);
});

Deno.test("a refunded subscription stays refunded whatever is reported", async () => {
  const s = await setup();
  const orderId = await subscribed(s, "ch_1");
  await s.payments.refunds.apply("ch_1", "telegram");
  for (const state of ["canceled", "active", "failed"] as const) {
    const outcome = await s.payments.subscriptions.applyUpdate(update(orderId, state));
    assertTrue(outcome.kind === "updated");
    assertEquals([outcome.changed, outcome.subscription.state], [false, "refunded"]);
  }
  await teardown(s);
});

Deno.test("another user's payload is an unknown subscription, with a warning, and changes nothing", async () => {
  const s = await setup();
  const orderId = await subscribed(s, "ch_1");
  const outcome = await s.payments.subscriptions.applyUpdate(update(orderId, "failed", OTHER_USER));
  assertEquals(outcome, { kind: "unknown_subscription" });
  assertEquals(await states(s), [["monthly", "active", false]]);
  assertEquals(s.logs(), [
    `warning: Subscription update (failed) from user 2002 for payload "${orderId}" ` +
    "ignored: the order belongs to user 1001.",
  ]);
  await teardown(s);
});

Deno.test("a payload of no order, or of an order without a subscription, is unknown", async () => {
  const s = await setup();
  assertEquals(await s.payments.subscriptions.applyUpdate(update("no-such-order", "canceled")), {
    kind: "unknown_subscription",
  });
  const itemOrder = await issue(s.f, "wallpapers");
  assertEquals(await s.payments.subscriptions.applyUpdate(update(itemOrder, "canceled")), {
    kind: "unknown_subscription",
  });
  const unpaid = await issue(s.f, "club");
  assertEquals(await s.payments.subscriptions.applyUpdate(update(unpaid, "canceled")), {
    kind: "unknown_subscription",
  });
  assertEquals(s.logs(), [
    `warning: Subscription update (canceled) from user 1001 for payload "no-such-order" ` +
    "ignored: no order has this payload.",
    `warning: Subscription update (canceled) from user 1001 for payload "${itemOrder}" ` +
    "ignored: the user has no subscription to wallpapers.",
    `warning: Subscription update (canceled) from user 1001 for payload "${unpaid}" ` +
    "ignored: the user has no subscription to club.",
  ]);
  await teardown(s);
});

Deno.test("an update about an older subscription to the product leaves the current one alone", async () => {
  const s = await setup();
  const older = await subscribed(s, "ch_old");
  await s.payments.refunds.apply("ch_old", "telegram");
  const current = await subscribed(s, "ch_new");
  const outcome = await s.payments.subscriptions.applyUpdate(update(older, "failed"));
  assertEquals(outcome, { kind: "unknown_subscription" });
  assertEquals(await states(s), [["monthly", "active", false]]);
  assertEquals(s.logs().filter((line) => line.startsWith("warning")), [
    `warning: Subscription update (failed) from user 1001 for payload "${older}" ` +
    "ignored: the subscription to monthly was started by another invoice (charge ch_new).",
  ]);
  const applies = await s.payments.subscriptions.applyUpdate(update(current, "canceled"));
  assertTrue(applies.kind === "updated" && applies.changed);
  await teardown(s);
});

Deno.test("a state Telegram may add later is ignored with a warning", async () => {
  const s = await setup();
  const orderId = await subscribed(s, "ch_1");
  const future = {
    ...update(orderId, "canceled"),
    state: "paused",
  } as unknown as BotSubscriptionUpdated;
  assertEquals(await s.payments.subscriptions.applyUpdate(future), {
    kind: "unknown_state",
    state: "paused",
  });
  assertEquals(await states(s), [["monthly", "active", false]]);
  assertEquals(s.logs(), [
    'warning: Subscription update for user 1001 has an unknown state "paused"; ignored.',
  ]);
  await teardown(s);
});

Deno.test("renewal is switched off and on with the subscription's first charge", async () => {
  const f = await paymentFixture();
  const orderId = await issue(f, "monthly");
  for (const [i, chargeId] of ["ch_s1", "ch_s2"].entries()) {
    await f.payments.receiver.receive(paymentMessage({
      payload: orderId,
      chargeId,
      amount: 150,
      recurring: { first: i === 0, expiresAt: START + (i + 1) * 30 * DAY },
    }));
  }
  const canceled = await f.payments.subscriptions.setRenewal(USER, "monthly", true);
  assertTrue(canceled.kind === "canceled");
  assertEquals([canceled.subscription.state, canceled.subscription.renewalCanceled], [
    "canceled",
    true,
  ]);
  const resumed = await f.payments.subscriptions.setRenewal(USER, "monthly", false);
  assertTrue(resumed.kind === "resumed");
  assertEquals(resumed.subscription.state, "active");
  assertEquals(f.api.of("editUserStarSubscription"), [
    [USER, "ch_s1", true],
    [USER, "ch_s1", false],
  ]);
  assertEquals((await f.payments.subscriptions.list(USER)).map((s) => [s.productId, s.state]), [
    ["monthly", "active"],
  ]);
  await f.db.close();
});

Deno.test("renewal of a missing or ended subscription is not switched", async () => {
  const f = await paymentFixture();
  assertEquals(await f.payments.subscriptions.setRenewal(USER, "monthly", true), {
    kind: "unknown_subscription",
  });
  await subscribe(f, "club", "ch_c1");
  await f.clock.advance(30 * DAY);
  await f.payments.expireDue();
  const ended = await f.payments.subscriptions.setRenewal(USER, "club", true);
  assertEquals([ended.kind, ended.kind === "not_running" && ended.subscription.state], [
    "not_running",
    "expired",
  ]);
  assertEquals(f.api.of("editUserStarSubscription"), []);
  await f.db.close();
});
