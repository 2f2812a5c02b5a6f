import { assertEquals, assertRejects } from "../../support/assert.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import {
  type ReportedSubscriptionState,
  type Subscription,
  SubscriptionRecords,
  type SubscriptionState,
  SubscriptionStateError,
} from "../../../money/stores/subscription_records.ts";

const DAY = 86_400_000;

async function setup() {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(0);
  const subscriptionRecords = new SubscriptionRecords("shop", clock);
  const period = (chargeId: string, expiresAt: number, productId = "monthly") => ({
    userId: 7,
    productId,
    chargeId,
    expiresAt,
  });
  return { db, clock, subscriptionRecords, period };
}

Deno.test("activate starts an active, renewing subscription", async () => {
  const { db, subscriptionRecords, period } = await setup();
  const started = await db.transaction((tx) =>
    subscriptionRecords.activate(tx, period("ch_1", 30 * DAY))
  );
  const expected: Subscription = {
    userId: 7,
    productId: "monthly",
    state: "active",
    firstChargeId: "ch_1",
    lastChargeId: "ch_1",
    expiresAt: 30 * DAY,
    renewalCanceled: false,
    updatedAt: 0,
  };
  assertEquals(started, expected);
  assertEquals(await subscriptionRecords.get(db, 7, "monthly"), expected);
  assertEquals(await subscriptionRecords.get(db, 7, "club"), undefined);
  await db.close();
});

Deno.test("renew extends the period, keeps the first charge and records the last", async () => {
  const { db, clock, subscriptionRecords, period } = await setup();
  await db.transaction((tx) => subscriptionRecords.activate(tx, period("ch_1", 30 * DAY)));
  await clock.advance(30 * DAY);
  const renewed = await db.transaction((tx) =>
    subscriptionRecords.renew(tx, period("ch_2", 60 * DAY))
  );
  assertEquals(renewed, {
    userId: 7,
    productId: "monthly",
    state: "active",
    firstChargeId: "ch_1",
    lastChargeId: "ch_2",
    expiresAt: 60 * DAY,
    renewalCanceled: false,
    updatedAt: 30 * DAY,
  });
  assertEquals(await subscriptionRecords.get(db, 7, "monthly"), renewed);
  // A late report of an older period never shortens the subscription.
  const late = await db.transaction((tx) =>
    subscriptionRecords.renew(tx, period("ch_0", 20 * DAY))
  );
  assertEquals(late.expiresAt, 60 * DAY);
  await db.close();
});

Deno.test("renew revives an expired subscription: the renewal arrived after the sweep", async () => {
  const { db, clock, subscriptionRecords, period } = await setup();
  await db.transaction((tx) => subscriptionRecords.activate(tx, period("ch_1", 30 * DAY)));
  await clock.advance(30 * DAY);
  assertEquals(await subscriptionRecords.expireDue(db), 1);
  assertEquals((await subscriptionRecords.get(db, 7, "monthly"))?.state, "expired");
  await db.transaction((tx) => subscriptionRecords.renew(tx, period("ch_2", 60 * DAY)));
  const revived = await subscriptionRecords.get(db, 7, "monthly");
  assertEquals([revived?.state, revived?.expiresAt, revived?.firstChargeId], [
    "active",
    60 * DAY,
    "ch_1",
  ]);
  await db.close();
});

Deno.test("renew without a stored subscription starts one", async () => {
  const { db, subscriptionRecords, period } = await setup();
  const started = await db.transaction((tx) => subscriptionRecords.renew(tx, period("ch_5", DAY)));
  assertEquals([started.state, started.firstChargeId, started.lastChargeId], [
    "active",
    "ch_5",
    "ch_5",
  ]);
  await db.close();
});

Deno.test("activating again after an end starts over with the new first charge", async () => {
  const { db, subscriptionRecords, period } = await setup();
  await db.transaction((tx) => subscriptionRecords.activate(tx, period("ch_1", DAY)));
  await subscriptionRecords.markRefunded(db, 7, "monthly");
  await db.transaction((tx) => subscriptionRecords.activate(tx, period("ch_9", 40 * DAY)));
  const again = await subscriptionRecords.get(db, 7, "monthly");
  assertEquals([again?.state, again?.firstChargeId, again?.expiresAt], [
    "active",
    "ch_9",
    40 * DAY,
  ]);
  assertEquals((await db.all("SELECT * FROM subscriptions")).length, 1);
  await db.close();
});

Deno.test("setRenewalCanceled switches between active and canceled", async () => {
  const { db, clock, subscriptionRecords, period } = await setup();
  await db.transaction((tx) => subscriptionRecords.activate(tx, period("ch_1", 30 * DAY)));
  await clock.advance(5);
  const canceled = await db.transaction((tx) =>
    subscriptionRecords.setRenewalCanceled(tx, 7, "monthly", true)
  );
  assertEquals([canceled.state, canceled.renewalCanceled, canceled.updatedAt], [
    "canceled",
    true,
    5,
  ]);
  assertEquals(await subscriptionRecords.get(db, 7, "monthly"), canceled);
  const resumed = await db.transaction((tx) =>
    subscriptionRecords.setRenewalCanceled(tx, 7, "monthly", false)
  );
  assertEquals([resumed.state, resumed.renewalCanceled], ["active", false]);
  assertEquals(await subscriptionRecords.get(db, 7, "monthly"), resumed);
  await db.close();
});

Deno.test("setRenewalCanceled refuses a missing, expired or refunded subscription", async () => {
  const { db, clock, subscriptionRecords, period } = await setup();
  await assertRejects(
    () => db.transaction((tx) => subscriptionRecords.setRenewalCanceled(tx, 7, "monthly", true)),
    SubscriptionStateError,
    "no subscription to monthly",
  );
  await db.transaction(async (tx) => {
    await subscriptionRecords.activate(tx, period("ch_1", DAY));
    await subscriptionRecords.activate(tx, period("ch_2", 10 * DAY, "club"));
  });
  await clock.advance(DAY);
  await subscriptionRecords.expireDue(db);
  await subscriptionRecords.markRefunded(db, 7, "club");
  for (const [productId, state] of [["monthly", "expired"], ["club", "refunded"]]) {
    await assertRejects(
      () => db.transaction((tx) => subscriptionRecords.setRenewalCanceled(tx, 7, productId, false)),
      SubscriptionStateError,
      `is ${state}`,
    );
    assertEquals((await subscriptionRecords.get(db, 7, productId))?.state, state);
  }
  await db.close();
});

Deno.test("markRefunded ends the subscription once", async () => {
  const { db, subscriptionRecords, period } = await setup();
  assertEquals(await subscriptionRecords.markRefunded(db, 7, "monthly"), false);
  await db.transaction((tx) => subscriptionRecords.activate(tx, period("ch_1", DAY)));
  assertEquals(await subscriptionRecords.markRefunded(db, 7, "monthly"), true);
  assertEquals(await subscriptionRecords.markRefunded(db, 7, "monthly"), false);
  assertEquals((await subscriptionRecords.get(db, 7, "monthly"))?.state, "refunded");
  await db.close();
});

Deno.test("expireDue expires running subscriptions at their end, canceled ones too", async () => {
  const { db, clock, subscriptionRecords, period } = await setup();
  await db.transaction(async (tx) => {
    await subscriptionRecords.activate(tx, period("ch_1", DAY));
    await subscriptionRecords.activate(tx, period("ch_2", DAY, "club"));
    await subscriptionRecords.setRenewalCanceled(tx, 7, "club", true);
    await subscriptionRecords.activate(tx, period("ch_3", 2 * DAY, "later"));
  });
  await clock.advance(DAY - 1);
  assertEquals(await subscriptionRecords.expireDue(db), 0);
  await clock.advance(1);
  assertEquals(await subscriptionRecords.expireDue(db), 2);
  const states = (await subscriptionRecords.listForUser(db, 7)).map((s) => [s.productId, s.state]);
  assertEquals(states, [["later", "active"], ["club", "expired"], ["monthly", "expired"]]);
  await db.close();
});

Deno.test("listForUser lists only that user's subscriptions, longest running first", async () => {
  const { db, subscriptionRecords, period } = await setup();
  await db.transaction(async (tx) => {
    await subscriptionRecords.activate(tx, period("ch_1", DAY));
    await subscriptionRecords.activate(tx, period("ch_2", 3 * DAY, "club"));
    await subscriptionRecords.activate(tx, { ...period("ch_3", 9 * DAY), userId: 8 });
  });
  assertEquals((await subscriptionRecords.listForUser(db, 7)).map((s) => s.productId), [
    "club",
    "monthly",
  ]);
  assertEquals(await subscriptionRecords.listForUser(db, 9), []);
  assertEquals(await new SubscriptionRecords("other", new ManualClock(0)).listForUser(db, 7), []);
  await db.close();
});

/** Puts user 7's `monthly` subscription into `state`, paid until 30 days from the start. */
async function inState(state: SubscriptionState) {
  const s = await setup();
  const { db, clock, subscriptionRecords, period } = s;
  await db.transaction(async (tx) => {
    await subscriptionRecords.activate(tx, period("ch_1", 30 * DAY));
    const current = (await subscriptionRecords.get(tx, 7, "monthly"))!;
    if (state === "canceled") await subscriptionRecords.setRenewalCanceled(tx, 7, "monthly", true);
    if (state === "refunded") await subscriptionRecords.markRefunded(tx, 7, "monthly");
    if (state === "failed") await subscriptionRecords.applyReported(tx, current, "failed");
  });
  if (state === "expired") {
    await clock.advance(30 * DAY);
    await subscriptionRecords.expireDue(db);
  }
  await clock.advance(1);
  assertEquals((await subscriptionRecords.get(db, 7, "monthly"))?.state, state);
  return s;
}

const reportedTransitions: [SubscriptionState, ReportedSubscriptionState, SubscriptionState][] = [
  ["active", "canceled", "canceled"],
  ["active", "active", "active"],
  ["active", "failed", "failed"],
  ["canceled", "canceled", "canceled"],
  ["canceled", "active", "active"],
  ["canceled", "failed", "failed"],
  ["expired", "canceled", "expired"],
  ["expired", "active", "expired"],
  ["expired", "failed", "failed"],
  ["refunded", "canceled", "refunded"],
  ["refunded", "active", "refunded"],
  ["refunded", "failed", "refunded"],
  ["failed", "canceled", "failed"],
  ["failed", "active", "failed"],
  ["failed", "failed", "failed"],
];

for (const [from, reported, to] of reportedTransitions) {
  Deno.test(`applyReported: ${from} + reported ${reported} → ${to}`, async () => {
    const { db, clock, subscriptionRecords } = await inState(from);
    const before = (await subscriptionRecords.get(db, 7, "monthly"))!;
    const result = await db.transaction(async (tx) =>
      subscriptionRecords.applyReported(
        tx,
        (await subscriptionRecords.get(tx, 7, "monthly"))!,
        reported,
      )
    );
    const changed = from !== to;
    assertEquals(result.changed, changed);
    assertEquals(result.subscription.state, to);
    assertEquals(result.subscription.updatedAt, changed ? clock.now() : before.updatedAt);
    assertEquals(await subscriptionRecords.get(db, 7, "monthly"), result.subscription);
    // The paid period and the charges are Telegram's billing facts: a report never moves them.
    assertEquals(
      [result.subscription.expiresAt, result.subscription.firstChargeId],
      [30 * DAY, "ch_1"],
    );
    const renewalCanceled = to === "canceled" ||
      (to !== "active" && before.renewalCanceled);
    assertEquals(result.subscription.renewalCanceled, renewalCanceled);
    await db.close();
  });
}

Deno.test("a failed subscription is not running: no renewal switch, no expiry, a renewal revives it", async () => {
  const { db, clock, subscriptionRecords, period } = await inState("failed");
  await assertRejects(
    () => db.transaction((tx) => subscriptionRecords.setRenewalCanceled(tx, 7, "monthly", true)),
    SubscriptionStateError,
    "is failed",
  );
  await clock.advance(60 * DAY);
  assertEquals(await subscriptionRecords.expireDue(db), 0);
  const revived = await db.transaction((tx) =>
    subscriptionRecords.renew(tx, period("ch_2", 90 * DAY))
  );
  assertEquals([revived.state, revived.expiresAt], ["active", 90 * DAY]);
  await db.close();
});
