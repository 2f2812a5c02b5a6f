import assert from "node:assert/strict";
import { eachEngine } from "../../support/engines.ts";
import type { SqlRunner } from "../../../money/ports.ts";
import {
  DAY_MS,
  revenueByDay,
  revenueByProduct,
  revenueTotals,
} from "../../../money/reports/revenue.ts";
import {
  paymentsByCharge,
  paymentsOfBuyer,
  recentPayments,
} from "../../../money/reports/payment_list.ts";
import { subscribersOf } from "../../../money/reports/subscribers.ts";
import { updatesReceivedSince } from "../../../money/reports/activity.ts";

// Noon of a UTC day, so "today" and the windows are unambiguous.
const NOW = 20_000 * DAY_MS + 12 * 3_600_000;

async function pay(
  db: SqlRunner,
  tenant: string,
  charge: string,
  user: number,
  product: string | null,
  amount: number,
  paidAt: number,
  refundedAt: number | null = null,
) {
  await db.run(
    `INSERT INTO payments (tenant_id, charge_id, order_id, user_id, product_id, amount, kind,
       paid_at, refunded_at) VALUES (?, ?, NULL, ?, ?, ?, 'credits', ?, ?)`,
    [tenant, charge, user, product, amount, paidAt, refundedAt],
  );
}

async function seed(db: SqlRunner) {
  await pay(db, "shop", "ch_today", 7, "credits_100", 50, NOW - 1_000);
  await pay(db, "shop", "ch_3days", 8, "credits_500", 200, NOW - 3 * DAY_MS);
  await pay(db, "shop", "ch_20days", 7, "credits_100", 50, NOW - 20 * DAY_MS);
  await pay(db, "shop", "ch_refunded", 9, "credits_100", 50, NOW - 2 * DAY_MS, NOW - DAY_MS);
  await pay(db, "shop", "ch_old", 7, "credits_100", 50, NOW - 40 * DAY_MS);
  await pay(db, "quiz", "ch_quiz", 7, "monthly", 150, NOW - 5_000);
}

eachEngine.test("revenue totals per tenant over today, 7 and 30 days, refunds apart", async ({ engine }) => {
  const db = await engine.open();
  try {
    await seed(db);
    const totals = await revenueTotals(db, NOW);
    assert.deepEqual(totals, [
      { tenantId: "quiz", today: 150, week: 150, month: 150, refunds: 0, refundedStars: 0 },
      { tenantId: "shop", today: 50, week: 250, month: 300, refunds: 1, refundedStars: 50 },
    ]);
  } finally {
    await db.close();
  }
});

eachEngine.test("revenue per day and per product leaves refunded payments out", async ({ engine }) => {
  const db = await engine.open();
  try {
    await seed(db);
    const today = Math.floor(NOW / DAY_MS);
    const days = await revenueByDay(db, { now: NOW, days: 30, tenantId: "shop" });
    assert.deepEqual(days, [
      { tenantId: "shop", day: today - 20, stars: 50 },
      { tenantId: "shop", day: today - 3, stars: 200 },
      { tenantId: "shop", day: today, stars: 50 },
    ]);
    const all = await revenueByDay(db, { now: NOW, days: 1 });
    assert.deepEqual(all.map((d) => [d.tenantId, d.stars]), [["quiz", 150], ["shop", 50]]);
    const products = await revenueByProduct(db, "shop", NOW - 30 * DAY_MS);
    assert.deepEqual(products, [
      { productId: "credits_500", payments: 1, stars: 200, refunded: 0 },
      { productId: "credits_100", payments: 3, stars: 100, refunded: 1 },
    ]);
  } finally {
    await db.close();
  }
});

eachEngine.test("payments listed newest first, by charge id and by buyer across tenants", async ({ engine }) => {
  const db = await engine.open();
  try {
    await seed(db);
    const recent = await recentPayments(db, "shop", 2);
    assert.deepEqual(recent.map((p) => p.chargeId), ["ch_today", "ch_refunded"]);
    const [refunded] = await paymentsByCharge(db, "ch_refunded");
    assert.equal(refunded.refundedAt, NOW - DAY_MS);
    assert.equal(refunded.tenantId, "shop");
    assert.deepEqual(await paymentsByCharge(db, "nope"), []);
    const buyer = await paymentsOfBuyer(db, 7, 10);
    assert.deepEqual(buyer.map((p) => `${p.tenantId}/${p.chargeId}`), [
      "shop/ch_today",
      "quiz/ch_quiz",
      "shop/ch_20days",
      "shop/ch_old",
    ]);
    await assert.rejects(recentPayments(db, "shop", 0), RangeError);
  } finally {
    await db.close();
  }
});

eachEngine.test("subscribers and updates a minute", async ({ engine }) => {
  const db = await engine.open();
  try {
    await db.run(
      `INSERT INTO subscriptions (tenant_id, user_id, product_id, state, first_charge_id,
         last_charge_id, expires_at, renewal_canceled, updated_at)
       VALUES ('quiz', 7, 'monthly', 'active', 'ch_1', 'ch_2', ?, 1, 0)`,
      [NOW + DAY_MS],
    );
    assert.deepEqual(await subscribersOf(db, "quiz"), [{
      userId: 7,
      productId: "monthly",
      state: "active",
      expiresAt: NOW + DAY_MS,
      renewalCanceled: true,
      lastChargeId: "ch_2",
    }]);
    for (const [id, at] of [[1, NOW - 10_000], [2, NOW - 5_000], [3, NOW - 120_000]]) {
      await db.run(
        `INSERT INTO inbox (tenant_id, update_id, user_id, payload, received_at)
         VALUES ('shop', ?, 7, '{}', ?)`,
        [id, at],
      );
    }
    assert.deepEqual([...await updatesReceivedSince(db, NOW - 60_000)], [["shop", 2]]);
  } finally {
    await db.close();
  }
});
