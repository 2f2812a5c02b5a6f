import { getLogger } from "@logtape/logtape";
import { assertEquals, assertRejects, assertThrows, assertTrue } from "../../support/assert.ts";
import { RECONCILE_OFFSET_KEY } from "../../../money/reconciliation/checkpoint.ts";
import { Reconciler, type ReconcileReport } from "../../../money/reconciliation/reconciler.ts";
import type { Database, SqlRunner, SqlValue } from "../../../money/ports.ts";
import {
  ADMIN_ID,
  type Harness,
  type HarnessOptions,
  START,
  startHarness,
} from "../../adapters/telegram/handlers/harness.ts";
import {
  buyCredits,
  paymentTransaction,
  refundTransaction,
  ScriptedUpstream,
  subscribeMonthly,
  withdrawal,
} from "../../adapters/telegram/handlers/stars_purchases.ts";
import { ledgerRows, paymentRows } from "../../support/tenant_world.ts";
import { eachEngine } from "../../support/engines.ts";

const DAY = 86_400_000;

/** A harness whose tenant has a BalanceActor for the bot's Stars and a reconciler. */
async function reconcilingHarness(options: HarnessOptions = {}) {
  const h = await startHarness({ ...options, botStars: options.botStars ?? {} });
  return Object.assign(h, { reconciler: h.reconciler! });
}

function report(counts: Partial<ReconcileReport>): ReconcileReport {
  return { scanned: 0, recovered: 0, refundsApplied: 0, unmatched: 0, alreadyKnown: 0, ...counts };
}

async function checkpoint(h: Harness): Promise<string | undefined> {
  const row = await h.db.get<{ value: string }>(
    "SELECT value FROM kv WHERE tenant_id = ? AND key = ?",
    [h.config.id, RECONCILE_OFFSET_KEY],
  );
  return row?.value;
}

/** Forgets the checkpoint, so the next run checks every transaction again. */
async function forgetCheckpoint(h: Harness): Promise<void> {
  await h.db.run("DELETE FROM kv WHERE tenant_id = ? AND key = ?", [
    h.config.id,
    RECONCILE_OFFSET_KEY,
  ]);
}

async function outboxIds(h: Harness): Promise<string[]> {
  return (await h.outbox()).map((row) => row.id);
}

eachEngine.test("a payment whose update was lost is credited by reconciliation, with its receipt, once", async ({ engine }) => {
  await using h = await reconcilingHarness({ engine });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const { chargeId } = await buyCredits(h, ann, { lost: true });
  assertEquals(ann.stars, 50, "Telegram took the Stars");
  assertEquals(await h.payments.credits.balance(ann.id), 0, "but the bot never heard of it");

  assertEquals(await h.reconciler.run(), report({ scanned: 1, recovered: 1 }));
  assertEquals(await h.payments.credits.balance(ann.id), 100);
  const receipt = (await h.outbox()).find((row) => row.id === `receipt:${chargeId}`);
  assertEquals(receipt?.params, {
    chat_id: ann.id,
    text: "✅ Payment received: 50 ⭐ for “100 credits”. 100 credits added; your balance is 100." +
      `\nReceipt: ${chargeId}`,
  });
  assertEquals((await paymentRows(h.db, h.config.id)).map((p) => [p.chargeId, p.kind]), [
    [chargeId, "credits"],
  ]);
  assertEquals(await checkpoint(h), "1");

  // The next run starts after it; one that starts over finds it applied.
  assertEquals(await h.reconciler.run(), report({}));
  await forgetCheckpoint(h);
  assertEquals(await h.reconciler.run(), report({ scanned: 1, alreadyKnown: 1 }));
  assertEquals(await h.payments.credits.balance(ann.id), 100);
  assertEquals((await ledgerRows(h.db, h.config.id)).length, 1);
  assertEquals((await outboxIds(h)).filter((id) => id.startsWith("receipt:")), [
    `receipt:${chargeId}`,
  ]);
});

Deno.test("the checkpoint moves on: a second run checks only newer transactions", async () => {
  await using h = await reconcilingHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 500 });
  await buyCredits(h, ann);
  await buyCredits(h, ann);
  assertEquals(await h.reconciler.run(), report({ scanned: 2, alreadyKnown: 2 }));
  assertEquals(await checkpoint(h), "2");

  const lost = await buyCredits(h, ann, { lost: true });
  assertEquals(await h.reconciler.run(), report({ scanned: 1, recovered: 1 }));
  assertEquals(await checkpoint(h), "3");
  assertEquals(await h.payments.credits.balance(ann.id), 300);
  assertTrue((await outboxIds(h)).includes(`receipt:${lost.chargeId}`));
});

Deno.test("lost subscription charges are applied in order: the first subscribes, the next renews", async () => {
  await using h = await reconcilingHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 500 });
  const first = await subscribeMonthly(h, ann, { lost: true });
  h.sandbox.dropNextSuccessfulPayment(h.account.token);
  await h.sandbox.advance(30 * DAY); // Telegram renews, and that update is lost too
  const [renewal] = (await h.bot.api.getStarTransactions({ offset: 1 })).transactions;
  assertEquals(await h.payments.subscriptions.list(ann.id), []);

  assertEquals(await h.reconciler.run(), report({ scanned: 2, recovered: 2 }));
  const [subscription] = await h.payments.subscriptions.list(ann.id);
  assertEquals(
    [subscription.state, subscription.firstChargeId, subscription.lastChargeId],
    ["active", first.chargeId, renewal.id],
  );
  assertEquals(subscription.expiresAt, START + 60 * DAY);
  assertEquals(await h.payments.credits.balance(ann.id), 600);
  const texts = (await h.outbox()).filter((row) => row.id.startsWith("receipt:"))
    .map((row) => row.params.text);
  assertEquals(texts, [
    `✅ Subscription “Monthly membership” is active until 2025-01-31 00:00 UTC.\nReceipt: ${first.chargeId}`,
    `🔁 Subscription “Monthly membership” renewed until 2025-03-02 00:00 UTC.\nReceipt: ${renewal.id}`,
  ]);
});

eachEngine.test("a refund Telegram made that the ledger missed is applied by reconciliation", async ({ engine }) => {
  await using h = await reconcilingHarness({ engine });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const { chargeId } = await buyCredits(h, ann);
  assertEquals(await h.reconciler.run(), report({ scanned: 1, alreadyKnown: 1 }));

  ann.refundByTelegram(h.account, chargeId);
  assertEquals(await h.loseUpdates(), 1, "the refunded_payment update is lost");
  assertEquals(await h.payments.credits.balance(ann.id), 100);

  assertEquals(await h.reconciler.run(), report({ scanned: 1, refundsApplied: 1 }));
  assertEquals(await h.payments.credits.balance(ann.id), 0);
  assertEquals((await paymentRows(h.db, h.config.id))[0].refunded, true);
  const notice = (await h.outbox()).find((row) => row.id === `refunded:${chargeId}`);
  assertEquals(
    notice?.params.text,
    `↩️ Your payment of 50 ⭐ for “100 credits” was refunded.\nCharge: ${chargeId}`,
  );

  await forgetCheckpoint(h);
  assertEquals(await h.reconciler.run(), report({ scanned: 2, alreadyKnown: 2 }));
  assertEquals(await h.payments.credits.balance(ann.id), 0);
  assertEquals((await ledgerRows(h.db, h.config.id, ann.id)).length, 2);
});

Deno.test("what matches nothing is unmatched and told to the admins once; other partners are ignored", async () => {
  const ann = { id: 1001, is_bot: false, first_name: "Ann" };
  const script = new ScriptedUpstream([
    paymentTransaction("stx_orphan", ann, 30, "no-such-order"),
    refundTransaction("stx_ghost", ann, 20),
    withdrawal("w_1", 500),
    {
      id: "pm_1",
      amount: 10,
      date: 1,
      source: { type: "user", transaction_type: "paid_media_payment", user: ann },
    },
    {
      id: "aff_1",
      amount: 3,
      date: 1,
      source: { type: "affiliate_program", commission_per_mille: 100 },
    },
  ]);
  await using h = await reconcilingHarness({ botStars: { upstream: () => script } });

  assertEquals(await h.reconciler.run(), report({ scanned: 5, unmatched: 2 }));
  const rows = await h.outbox();
  assertEquals(rows.map((row) => row.id), [
    `orphan:stx_orphan:${ADMIN_ID}`,
    `unmatched_refund:stx_ghost:${ADMIN_ID}`,
  ]);
  assertEquals(rows[1].params, {
    chat_id: ADMIN_ID,
    text: "⚠️ Telegram refunded 20 ⭐ to user 1001 (charge stx_ghost), but no payment with this " +
      "charge is recorded here, so nothing was taken back. Please check it by hand.",
  });
  assertEquals((await paymentRows(h.db, h.config.id)).map((p) => [p.chargeId, p.kind]), [
    ["stx_orphan", "orphan"],
  ]);

  await forgetCheckpoint(h);
  assertEquals(await h.reconciler.run(), report({ scanned: 5, unmatched: 1, alreadyKnown: 1 }));
  assertEquals((await h.outbox()).length, 2, "each admin is told once per transaction");
  assertEquals(await ledgerRows(h.db, h.config.id), []);
});

Deno.test("a recovered receipt is worded in the language the payer ordered in", async () => {
  const script = new ScriptedUpstream();
  await using h = await reconcilingHarness({ botStars: { upstream: () => script } });
  const olga = h.user({ firstName: "Ольга", languageCode: "ru", stars: 100 });
  await olga.send(h.account, "/start");
  await h.pump();
  const offer = await h.payments.checkout.offer(olga.id, olga.id, "credits_100", "ru");
  assertTrue(offer.kind === "invoice");
  // Telegram's transaction names the payer without a language.
  const payer = { id: olga.id, is_bot: false, first_name: "Ольга" };
  script.transactions.push(paymentTransaction("stx_olga", payer, 50, offer.order.orderId));

  assertEquals(await h.reconciler.run(), report({ scanned: 1, recovered: 1 }));
  const receipt = (await h.outbox()).find((row) => row.id === "receipt:stx_olga");
  assertEquals(receipt?.params.chat_id, olga.id);
  assertTrue(String(receipt?.params.text).startsWith("✅ Оплата получена: 50 ⭐"));
});

Deno.test("transactions are read 100 at a time from the checkpoint until a short page", async () => {
  const script = new ScriptedUpstream(
    Array.from({ length: 205 }, (_, i) => withdrawal(`w_${i}`, 1)),
  );
  await using h = await reconcilingHarness({ botStars: { upstream: () => script } });
  assertEquals(await h.reconciler.run(), report({ scanned: 205 }));
  assertEquals(script.pages, [[0, 100], [100, 100], [200, 100]]);
  assertEquals(await checkpoint(h), "205");

  script.transactions.push(withdrawal("w_205", 1), withdrawal("w_206", 1));
  script.pages.length = 0;
  assertEquals(await h.reconciler.run(), report({ scanned: 2 }));
  assertEquals(script.pages, [[205, 100]]);
});

Deno.test("a failed run keeps the progress of whole pages, and the next run goes on from there", async () => {
  const ann = { id: 1001, is_bot: false, first_name: "Ann" };
  const script = new ScriptedUpstream(
    Array.from({ length: 150 }, (_, i) => withdrawal(`w_${i}`, 1)),
  );
  await using h = await reconcilingHarness({ botStars: { upstream: () => script } });
  script.transactions.push(refundTransaction("stx_ghost", ann, 5));
  script.failPage(100, new Error("Telegram is down"));
  await assertRejects(() => h.reconciler.run(), Error, "Telegram is down");
  assertEquals(await checkpoint(h), "100");

  script.pages.length = 0;
  assertEquals(await h.reconciler.run(), report({ scanned: 51, unmatched: 1 }));
  assertEquals(script.pages, [[100, 100]]);
});

Deno.test("runs never overlap: a run asked for while one runs is that run", async () => {
  await using h = await reconcilingHarness({
    botStars: { upstream: () => new ScriptedUpstream() },
  });
  const first = h.reconciler.run();
  const second = h.reconciler.run();
  assertTrue(first === second);
  assertEquals(await first, report({}));
  const third = h.reconciler.run();
  assertTrue(third !== first, "a run after the last one ended is a new run");
  await third;
});

Deno.test("the reconciler refuses options it cannot work with, naming them", async () => {
  await using h = await reconcilingHarness();
  const options = {
    tenantId: h.config.id,
    db: h.db,
    clock: h.clock,
    payments: h.payments,
    botStars: h.botStars!,
    admins: [ADMIN_ID],
    logger: getLogger(["constellation", "test"]),
  };
  assertThrows(() => new Reconciler({ ...options, tenantId: " " }), TypeError, "tenantId");
  assertThrows(
    () => new Reconciler({ ...options, admins: ["9001" as unknown as number] }),
    TypeError,
    "admins must be an array of Telegram user ids",
  );
});

/**
 * A database whose next transaction waits, once armed, until the test lets it go: it puts one
 * writer behind another at the exact point where both have decided to write.
 */
class HeldTransactions implements Database {
  readonly #inner: Database;
  #hold: { entered: PromiseWithResolvers<void>; released: PromiseWithResolvers<void> } | undefined;

  constructor(inner: Database) {
    this.#inner = inner;
  }

  get dialect() {
    return this.#inner.dialect;
  }

  /** Holds the next transaction; `entered` resolves when it is waiting. */
  holdNext(): { entered: Promise<void>; release(): void } {
    const hold = {
      entered: Promise.withResolvers<void>(),
      released: Promise.withResolvers<void>(),
    };
    this.#hold = hold;
    return { entered: hold.entered.promise, release: () => hold.released.resolve() };
  }

  async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const hold = this.#hold;
    this.#hold = undefined;
    if (hold !== undefined) {
      hold.entered.resolve();
      await hold.released.promise;
    }
    return await this.#inner.transaction(fn);
  }

  all<T>(sql: string, params?: readonly SqlValue[]) {
    return this.#inner.all<T>(sql, params);
  }

  get<T>(sql: string, params?: readonly SqlValue[]) {
    return this.#inner.get<T>(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]) {
    return this.#inner.run(sql, params);
  }

  close() {
    return this.#inner.close();
  }
}

/** Both racers applied the one payment: a single credit, a single receipt. */
async function assertAppliedOnce(h: Harness, userId: number, chargeId: string): Promise<void> {
  assertEquals(await h.payments.credits.balance(userId), 100);
  assertEquals((await ledgerRows(h.db, h.config.id, userId)).map((row) => row.idempotencyKey), [
    `payment:${chargeId}`,
  ]);
  assertEquals((await outboxIds(h)).filter((id) => id.startsWith("receipt:")), [
    `receipt:${chargeId}`,
  ]);
  assertEquals((await paymentRows(h.db, h.config.id)).length, 1);
}

eachEngine.test("racing a late successful_payment never double-credits, whichever writes first", async ({ engine, t }) => {
  for (const first of ["late update", "reconciliation"] as const) {
    await t.step(`${first} first`, async () => {
      let held: HeldTransactions | undefined;
      await using h = await reconcilingHarness({
        engine,
        wrapDb: (db) => held = new HeldTransactions(db),
      });
      const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
      const { chargeId, message } = await buyCredits(h, ann, { lost: true });
      const lateUpdate = () => h.bot.handleUpdate({ update_id: 900_001, message });

      // The one that goes second has already decided to write when it is held back.
      const hold = held!.holdNext();
      const second = first === "late update" ? h.reconciler.run() : lateUpdate();
      await hold.entered;
      const winner = first === "late update" ? lateUpdate() : h.reconciler.run();
      const won = await winner;
      hold.release();
      const lost = await second;

      const reconciled = (first === "late update" ? lost : won) as ReconcileReport;
      assertEquals(
        reconciled,
        first === "late update"
          ? report({ scanned: 1, alreadyKnown: 1 })
          : report({ scanned: 1, recovered: 1 }),
      );
      await assertAppliedOnce(h, ann.id, chargeId);
    });
  }

  await t.step("both at once", async () => {
    await using h = await reconcilingHarness({ engine });
    const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
    const { chargeId, message } = await buyCredits(h, ann, { lost: true });
    const [reconciled] = await Promise.all([
      h.reconciler.run(),
      h.bot.handleUpdate({ update_id: 900_001, message }),
    ]);
    assertEquals(reconciled.scanned, 1);
    assertEquals(reconciled.recovered + reconciled.alreadyKnown, 1);
    await assertAppliedOnce(h, ann.id, chargeId);
  });
});
