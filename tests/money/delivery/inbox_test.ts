import type { Update } from "grammy/types";
import { assertEquals } from "../../support/assert.ts";
import { Inbox, updateUserId } from "../../../money/delivery/inbox.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import type { Database } from "../../../money/ports.ts";
import { eachEngine } from "../../support/engines.ts";
import { FencedDatabase } from "../../../adapters/storage/fenced_database.ts";

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

eachEngine.test("record keeps each update once and returns only the new ones", async ({ engine }) => {
  const db = await engine.open();
  const inbox = new Inbox("shop", new ManualClock(1000));
  const first = await db.transaction((tx) => inbox.record(tx, [message(1, 7), message(2, 8)]));
  const again = await db.transaction((tx) =>
    inbox.record(tx, [message(4, 7), message(2, 8), message(3, 7), message(4, 7)])
  );
  assertEquals(first.map((u) => u.update_id), [1, 2]);
  assertEquals(again.map((u) => u.update_id), [4, 3], "new ones once each, in the batch's order");
  assertEquals((await inbox.pending(db)).map((u) => u.update_id), [1, 2, 3, 4]);
  // A batch larger than one statement takes is recorded whole.
  const many = Array.from({ length: 250 }, (_, i) => message(100 + i, i));
  const fresh = await db.transaction((tx) => inbox.record(tx, many));
  assertEquals(fresh.map((u) => u.update_id), many.map((u) => u.update_id));
  assertEquals((await inbox.pending(db)).length, 254);
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

/** Counts the transactions run through `db`; the first `failures` of them fail. */
function counted(db: Database, failures = 0): Database & { transactions: number } {
  const wrapper = Object.create(db) as Database & { transactions: number };
  // Read here: a getter of a class with private fields cannot run on another object.
  Object.defineProperty(wrapper, "dialect", { value: db.dialect });
  wrapper.transactions = 0;
  wrapper.transaction = (fn) => {
    wrapper.transactions++;
    if (failures-- > 0) return Promise.reject(new Error("disk I/O error"));
    return db.transaction(fn);
  };
  return wrapper;
}

Deno.test("marks made together are written in one commit", async () => {
  const db = await openDatabase("sqlite::memory:");
  const inbox = new Inbox("shop", new ManualClock(1000));
  const ids = Array.from({ length: 1200 }, (_, i) => i + 1);
  await db.transaction((tx) => inbox.record(tx, ids.map((id) => message(id, id))));
  const counting = counted(db);
  await Promise.all(ids.map((id) => inbox.markDone(counting, id)));
  assertEquals(counting.transactions, 1);
  assertEquals(await inbox.pending(db), [], "more ids than one statement takes, all done");
  await db.close();
});

Deno.test("marks join the batch until its commit starts; later ones start the next", async () => {
  const db = await openDatabase("sqlite::memory:");
  const inbox = new Inbox("shop", new ManualClock(1000));
  await db.transaction((tx) => inbox.record(tx, [1, 2, 3].map((id) => message(id, 1))));
  const counting = counted(db);
  const gate = Promise.withResolvers<void>();
  const busy = db.transaction(() => gate.promise); // another writer holds the database
  const first = inbox.markDone(counting, 1);
  await Promise.resolve();
  const second = inbox.markDone(counting, 2);
  gate.resolve();
  await Promise.all([busy, first, second]);
  assertEquals(counting.transactions, 1);
  await inbox.markDone(counting, 3);
  assertEquals(counting.transactions, 2);
  assertEquals(await inbox.pending(db), []);
  await db.close();
});

Deno.test("a failed commit fails every mark of its batch; the next mark starts afresh", async () => {
  const db = await openDatabase("sqlite::memory:");
  const inbox = new Inbox("shop", new ManualClock(1000));
  await db.transaction((tx) => inbox.record(tx, [1, 2].map((id) => message(id, 1))));
  const failing = counted(db, 1);
  const marks = [inbox.markDone(failing, 1), inbox.markDone(failing, 2)];
  for (const mark of marks) {
    const error = await mark.then(() => undefined, (e: Error) => e.message);
    assertEquals(error, "disk I/O error");
  }
  assertEquals((await inbox.pending(db)).map((u) => u.update_id), [1, 2]);
  await inbox.markDone(failing, 2);
  assertEquals((await inbox.pending(db)).map((u) => u.update_id), [1]);
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

/** Tenant `id`'s view of `db` on a lease that holds while `held()` says so. */
function leased(db: Database, id: string, held: () => boolean, refusals: string[]) {
  return new FencedDatabase(db, {
    tenantId: id,
    heldLocally: () => true,
    check: () => Promise.resolve(held()),
    fencedOff: () => refusals.push(id),
  });
}

eachEngine.test("tenants on leases share one commit for their marks; a refused tenant fails alone", async ({ engine }) => {
  const db = await engine.open();
  const clock = new ManualClock(1000);
  const [shop, cafe, gone] = ["shop", "cafe", "gone"].map((id) => new Inbox(id, clock));
  for (const inbox of [shop, cafe, gone]) {
    await db.transaction((tx) => inbox.record(tx, [message(1, 7), message(2, 8)]));
  }
  const counting = counted(db);
  const refusals: string[] = [];
  const views = new Map(
    ["shop", "cafe", "gone"].map((id) => [id, leased(counting, id, () => id !== "gone", refusals)]),
  );
  const marks = [shop, cafe, gone].flatMap((inbox, i) =>
    [1, 2].map((id) =>
      inbox.markDone(views.get(["shop", "cafe", "gone"][i])!, id).then(() => "done", (e) => e.name)
    )
  );
  assertEquals(await Promise.all(marks), [
    "done",
    "done",
    "done",
    "done",
    "FencedOffError",
    "FencedOffError",
  ]);
  assertEquals(refusals, ["gone"], "the refused tenant is told once, its marks fail");
  assertEquals(counting.transactions, 1, "one commit for the marks of those not refused");
  assertEquals((await shop.pending(db)).length + (await cafe.pending(db)).length, 0);
  assertEquals((await gone.pending(db)).map((u) => u.update_id), [1, 2], "nothing of it written");
  // All held: one transaction for every tenant's marks.
  await db.transaction((tx) => shop.record(tx, [message(3, 9)]));
  await db.transaction((tx) => cafe.record(tx, [message(3, 9)]));
  await Promise.all([shop.markDone(views.get("shop")!, 3), cafe.markDone(views.get("cafe")!, 3)]);
  assertEquals(counting.transactions, 2);
  await db.close();
});
