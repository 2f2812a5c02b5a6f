import type { Update } from "grammy/types";
import { assertEquals } from "../support/assert.ts";
import { Inbox, updateUserId } from "../../actors/inbox.ts";
import { ManualClock } from "../../actors/clock.ts";
import { openDatabase } from "../../adapters/storage/open_database.ts";

function message(updateId: number, userId: number, text = "hi"): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 0,
      chat: { id: userId, type: "private", first_name: "U" },
      from: { id: userId, is_bot: false, first_name: "U" },
      text,
    },
  };
}

Deno.test("record keeps each update once and returns only the new ones", async () => {
  const db = await openDatabase("sqlite::memory:");
  const inbox = new Inbox("shop", new ManualClock(1000));
  const first = await db.transaction((tx) => inbox.record(tx, [message(1, 7), message(2, 8)]));
  const again = await db.transaction((tx) => inbox.record(tx, [message(2, 8), message(3, 7)]));
  assertEquals(first.map((u) => u.update_id), [1, 2]);
  assertEquals(again.map((u) => u.update_id), [3]);
  await db.close();
});

Deno.test("pending lists unhandled updates in order until they are marked done", async () => {
  const db = await openDatabase("sqlite::memory:");
  const inbox = new Inbox("shop", new ManualClock(1000));
  await db.transaction((tx) => inbox.record(tx, [message(5, 1, "b"), message(4, 1, "a")]));
  assertEquals((await inbox.pending(db)).map((u) => u.message?.text), ["a", "b"]);
  await inbox.markDone(db, 4);
  assertEquals((await inbox.pending(db)).map((u) => u.update_id), [5]);
  await db.close();
});

Deno.test("tenants do not see each other's updates", async () => {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(0);
  const shop = new Inbox("shop", clock);
  const quiz = new Inbox("quiz", clock);
  await db.transaction((tx) => shop.record(tx, [message(1, 1)]));
  assertEquals((await db.transaction((tx) => quiz.record(tx, [message(1, 1)]))).length, 1);
  await shop.markDone(db, 1);
  assertEquals((await quiz.pending(db)).length, 1);
  await db.close();
});

Deno.test("prune forgets handled updates older than a day, never pending ones", async () => {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(0);
  const inbox = new Inbox("shop", clock);
  await db.transaction((tx) => inbox.record(tx, [message(1, 1), message(2, 1)]));
  await inbox.markDone(db, 1);
  await clock.advance(24 * 60 * 60 * 1000 + 1);
  assertEquals(await inbox.prune(db), 1);
  assertEquals((await inbox.pending(db)).map((u) => u.update_id), [2]);
  await db.close();
});

Deno.test("updateUserId finds the sender of messages, callbacks and pre-checkout queries", () => {
  assertEquals(updateUserId(message(1, 42)), 42);
  assertEquals(
    updateUserId({
      update_id: 2,
      pre_checkout_query: {
        id: "q",
        from: { id: 9, is_bot: false, first_name: "P" },
        currency: "XTR",
        total_amount: 5,
        invoice_payload: "x",
      },
    }),
    9,
  );
});
