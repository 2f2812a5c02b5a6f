import type { Update } from "grammy/types";
import { assertEquals } from "../../support/assert.ts";
import { Inbox } from "../../../money/delivery/inbox.ts";
import { Outbox } from "../../../money/delivery/outbox.ts";
import {
  discardDeadLetter,
  listDeadLetters,
  UpdateDeadLetters,
} from "../../../money/delivery/update_dead_letters.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { Texts } from "../../../adapters/telegram/texts.ts";
import { redactTokens } from "../../../adapters/observability/redact.ts";
import type { Database } from "../../../money/ports.ts";

const BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

function payment(updateId: number, userId: number): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 0,
      chat: { id: userId, type: "private", first_name: "U" },
      from: { id: userId, is_bot: false, first_name: "U" },
      successful_payment: {
        currency: "XTR",
        total_amount: 50,
        invoice_payload: "order",
        telegram_payment_charge_id: `ch_${updateId}`,
        provider_payment_charge_id: "",
      },
    },
  };
}

async function world(admins: number[] = [1, 2]) {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  const inbox = new Inbox("shop", clock);
  const outbox = new Outbox("shop", clock, redactTokens);
  const deadLetters = new UpdateDeadLetters({
    tenantId: "shop",
    clock,
    inbox,
    outbox,
    texts: new Texts({}, "en"),
    locale: "en",
    admins,
    redact: redactTokens,
  });
  return { db, clock, inbox, outbox, deadLetters };
}

async function pendingIds(inbox: Inbox, db: Database): Promise<number[]> {
  return (await inbox.pending(db)).map((update) => update.update_id);
}

Deno.test("failures are counted across calls, with the latest error kept", async () => {
  const { db, inbox } = await world();
  await db.transaction((tx) => inbox.record(tx, [payment(1, 7)]));
  assertEquals(await inbox.recordFailure(db, 1, "disk I/O error"), 1);
  assertEquals(await inbox.recordFailure(db, 1, "database is locked"), 2);
  const row = await db.get<{ attempts: number; last_error: string }>(
    "SELECT attempts, last_error FROM inbox WHERE tenant_id = 'shop' AND update_id = 1",
  );
  assertEquals([Number(row?.attempts), row?.last_error], [2, "database is locked"]);
  assertEquals(await pendingIds(inbox, db), [1], "still pending: a restart retries it");
  await db.close();
});

Deno.test("a dead letter leaves the pending updates, keeps its error, and tells each admin once", async () => {
  const { db, inbox, outbox, deadLetters } = await world();
  await db.transaction((tx) => inbox.record(tx, [payment(1, 7), payment(2, 8)]));
  const error = `failed 3 times: GET /bot${BOT_TOKEN}/sendMessage: 502 Bad Gateway`;
  const bury = () =>
    db.transaction((tx) => deadLetters.bury(tx, payment(1, 7), { attempts: 3, error }));
  assertEquals(await bury(), true);
  assertEquals(await bury(), false);

  assertEquals(await pendingIds(inbox, db), [2]);
  assertEquals(await deadLetters.list(db), [{
    tenantId: "shop",
    updateId: 1,
    kind: "successful_payment",
    movesMoney: true,
    attempts: 3,
    error: "failed 3 times: GET /bot<redacted>/sendMessage: 502 Bad Gateway",
    deadAt: Date.UTC(2025, 0, 1),
  }]);
  const notices = await outbox.due(db, 10);
  assertEquals(notices.map((item) => [item.id, item.params.chat_id]), [
    ["dead_update:1:1", 1],
    ["dead_update:1:2", 2],
  ]);
  assertEquals(
    notices[0].params.text,
    "⚠️ Update 1 (successful_payment) was set aside: failed 3 times: GET /bot<redacted>/sendMessage: 502 Bad Gateway. " +
      "The bot goes on with the next updates; an operator can retry or discard it (/status lists it)." +
      "\nIt carries a payment: reconciliation (/reconcile) credits it from Telegram's transactions.",
  );
  await db.close();
});

Deno.test("a retried dead letter is pending again with its failures forgotten; told once still", async () => {
  const { db, clock, inbox, outbox, deadLetters } = await world([1]);
  await db.transaction((tx) => inbox.record(tx, [payment(1, 7)]));
  await inbox.recordFailure(db, 1, "boom");
  const outcome = { attempts: 1, error: "boom" };
  await db.transaction((tx) => deadLetters.bury(tx, payment(1, 7), outcome));
  // Handled rows are pruned after a day: a retry must not depend on the row still being there.
  await clock.advance(2 * 24 * 60 * 60 * 1000);
  assertEquals(await inbox.prune(db), 1);

  assertEquals(await db.transaction((tx) => deadLetters.take(tx, 1)), payment(1, 7));
  assertEquals(await db.transaction((tx) => deadLetters.take(tx, 1)), undefined);
  assertEquals(await pendingIds(inbox, db), [1]);
  assertEquals(await inbox.recordFailure(db, 1, "boom again"), 1);

  await db.transaction((tx) => deadLetters.bury(tx, payment(1, 7), outcome));
  assertEquals((await outbox.due(db, 10)).length, 1, "the admin was told once");
  await db.close();
});

Deno.test("every tenant's dead letters are listed; one is discarded for good", async () => {
  const { db, deadLetters } = await world();
  await db.transaction(async (tx) => {
    await deadLetters.bury(tx, payment(3, 7), { attempts: 3, error: "a" });
    await deadLetters.bury(tx, { update_id: 4, message: "hi" } as never, {
      attempts: 0,
      error: "b",
    });
  });
  assertEquals((await listDeadLetters(db)).map((letter) => [letter.updateId, letter.kind]), [
    [3, "successful_payment"],
    [4, "message"],
  ]);
  assertEquals(await discardDeadLetter(db, "quiz", 3), false, "another tenant's is not touched");
  assertEquals(await discardDeadLetter(db, "shop", 3), true);
  assertEquals(await discardDeadLetter(db, "shop", 3), false);
  assertEquals((await listDeadLetters(db)).map((letter) => letter.updateId), [4]);
  await db.close();
});

Deno.test("rejected updates are kept once each, with their reason, for a week", async () => {
  const { db, clock, inbox } = await world();
  const rejections = [
    { updateId: 5, reason: "message must be an object, got a string", payload: { update_id: 5 } },
    { updateId: undefined, reason: "update_id is missing", payload: { message: {} } },
  ];
  await db.transaction((tx) => inbox.reject(tx, rejections));
  await db.transaction((tx) => inbox.reject(tx, rejections)); // Telegram sent them again
  const byReason = (a: { reason: string }, b: { reason: string }) =>
    a.reason.localeCompare(b.reason);
  assertEquals((await inbox.rejected(db)).sort(byReason), [
    { updateId: 5, reason: "message must be an object, got a string" },
    { updateId: null, reason: "update_id is missing" },
  ]);
  assertEquals(await inbox.pending(db), []);
  await clock.advance(6 * 24 * 60 * 60 * 1000);
  assertEquals(await inbox.prune(db), 0);
  await clock.advance(1 * 24 * 60 * 60 * 1000 + 1);
  assertEquals(await inbox.prune(db), 2);
  await db.close();
});
