import { redactTokens } from "../../../adapters/observability/redact.ts";
import { assertEquals, assertRejects } from "../../support/assert.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { Outbox, type OutboxItem } from "../../../money/delivery/outbox.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";

async function setup() {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(1_000);
  return { db, clock, outbox: new Outbox("shop", clock, redactTokens) };
}

function message(chatId: number, text: string) {
  return { method: "sendMessage", params: { chat_id: chatId, text } };
}

const ids = (items: OutboxItem[]) => items.map((item) => item.id);

Deno.test("enqueue stores the call as a pending item", async () => {
  const { db, outbox } = await setup();
  assertEquals(
    await db.transaction((tx) => outbox.enqueue(tx, "receipt:1", message(42, "Hi"))),
    true,
  );
  assertEquals(await outbox.get(db, "receipt:1"), {
    id: "receipt:1",
    method: "sendMessage",
    params: { chat_id: 42, text: "Hi" },
    chatId: 42,
    createdAt: 1_000,
    attempts: 0,
    nextAttemptAt: 1_000,
    sentAt: null,
    failedAt: null,
    lastError: null,
  });
  assertEquals(await outbox.get(db, "receipt:2"), undefined);
  await db.close();
});

Deno.test("enqueue is idempotent: a repeated id is ignored and keeps the first call", async () => {
  const { db, outbox } = await setup();
  await db.transaction((tx) => outbox.enqueue(tx, "receipt:1", message(42, "first")));
  const again = await db.transaction((tx) =>
    outbox.enqueue(tx, "receipt:1", message(42, "second"))
  );
  assertEquals(again, false);
  assertEquals((await outbox.get(db, "receipt:1"))?.params.text, "first");
  // Even after it was sent: a handler that runs again must not send the receipt again.
  await outbox.markSent(db, "receipt:1");
  assertEquals(
    await db.transaction((tx) => outbox.enqueue(tx, "receipt:1", message(42, "x"))),
    false,
  );
  assertEquals(await outbox.backlog(db), 0);
  await db.close();
});

Deno.test("enqueue takes the chat id from the options or from params.chat_id", async () => {
  const { db, outbox } = await setup();
  await db.transaction(async (tx) => {
    await outbox.enqueue(tx, "refund:1", {
      method: "refundStarPayment",
      params: { user_id: 7, telegram_payment_charge_id: "ch_1" },
    }, { chatId: 7 });
    await outbox.enqueue(tx, "channel", { method: "sendMessage", params: { chat_id: "@news" } });
  });
  assertEquals((await outbox.get(db, "refund:1"))?.chatId, 7);
  assertEquals((await outbox.get(db, "channel"))?.chatId, null);
  await db.close();
});

Deno.test("enqueue rejects bad ids, methods, params and options with a clear error", async () => {
  const { db, outbox } = await setup();
  await assertRejects(
    () => outbox.enqueue(db, "", message(1, "x")),
    TypeError,
    'item id must be a non-empty string, got ""',
  );
  await assertRejects(
    () => outbox.enqueue(db, "a", { method: "", params: {} }),
    TypeError,
    'method of item "a" must be a Bot API method name',
  );
  await assertRejects(
    () => outbox.enqueue(db, "a", { method: "sendMessage", params: { n: 1n } }),
    TypeError,
    'params of item "a" cannot be stored as JSON',
  );
  await assertRejects(
    () => outbox.enqueue(db, "a", message(1, "x"), { chatId: 1.5 }),
    RangeError,
    "chatId must be an integer, got 1.5",
  );
  await assertRejects(
    () => outbox.enqueue(db, "a", message(1, "x"), { notBefore: -1 }),
    RangeError,
    "notBefore must be a time in whole milliseconds >= 0, got -1",
  );
  assertEquals(await outbox.backlog(db), 0);
  await db.close();
});

Deno.test("due lists pending items whose time has come, in enqueue order", async () => {
  const { db, clock, outbox } = await setup();
  await db.transaction(async (tx) => {
    await outbox.enqueue(tx, "b", message(1, "b"));
    await outbox.enqueue(tx, "a", message(1, "a"));
    await outbox.enqueue(tx, "later", message(1, "later"), { notBefore: 5_000 });
  });
  await clock.advance(10);
  await db.transaction((tx) => outbox.enqueue(tx, "0-newer", message(1, "newer")));
  // Enqueue order, even within one transaction and one millisecond (a receipt before content).
  assertEquals(ids(await outbox.due(db, 10)), ["b", "a", "0-newer"]);
  assertEquals(ids(await outbox.due(db, 2)), ["b", "a"]);
  await clock.advance(3_990);
  // Ordered by when it was enqueued, not by when it became due.
  assertEquals(ids(await outbox.due(db, 10)), ["b", "a", "later", "0-newer"]);
  await assertRejects(() => outbox.due(db, 0), RangeError, "limit must be an integer >= 1, got 0");
  await db.close();
});

Deno.test("dueFirstPerChat lists each chat's oldest due item, in enqueue order", async () => {
  const { db, clock, outbox } = await setup();
  await db.transaction(async (tx) => {
    await outbox.enqueue(tx, "a1", message(1, "first to 1"));
    await outbox.enqueue(tx, "b1", message(2, "first to 2"));
    await outbox.enqueue(tx, "a2", message(1, "second to 1"));
    await outbox.enqueue(tx, "r1", { method: "refundStarPayment", params: { user_id: 7 } });
    await outbox.enqueue(tx, "r2", { method: "refundStarPayment", params: { user_id: 8 } });
    await outbox.enqueue(tx, "c1", message(3, "later to 3"), { notBefore: 5_000 });
  });
  assertEquals(ids(await outbox.dueFirstPerChat(db, 10)), ["a1", "b1", "r1"]);
  assertEquals(ids(await outbox.dueFirstPerChat(db, 2)), ["a1", "b1"]);
  // An item retried later leaves its chat's next one first in line.
  await outbox.markRetry(db, "a1", "502: Bad Gateway", 9_000);
  await outbox.markSent(db, "r1");
  assertEquals(ids(await outbox.dueFirstPerChat(db, 10)), ["b1", "a2", "r2"]);
  await clock.advance(9_000);
  assertEquals(ids(await outbox.dueFirstPerChat(db, 10)), ["a1", "b1", "r2", "c1"]);
  await db.close();
});

Deno.test("nextDueAt is the earliest attempt time among pending items", async () => {
  const { db, outbox } = await setup();
  assertEquals(await outbox.nextDueAt(db), undefined);
  await db.transaction(async (tx) => {
    await outbox.enqueue(tx, "a", message(1, "a"), { notBefore: 9_000 });
    await outbox.enqueue(tx, "b", message(1, "b"), { notBefore: 4_000 });
  });
  assertEquals(await outbox.nextDueAt(db), 4_000);
  await outbox.markFailed(db, "b", "403: Forbidden");
  assertEquals(await outbox.nextDueAt(db), 9_000);
  await outbox.markSent(db, "a");
  assertEquals(await outbox.nextDueAt(db), undefined);
  await db.close();
});

Deno.test("markRetry counts the attempt, records the error and moves the item later", async () => {
  const { db, clock, outbox } = await setup();
  await db.transaction((tx) => outbox.enqueue(tx, "a", message(1, "a")));
  await outbox.markRetry(db, "a", "502: Bad Gateway", 3_000);
  const item = await outbox.get(db, "a");
  assertEquals(
    [item?.attempts, item?.lastError, item?.nextAttemptAt, item?.sentAt, item?.failedAt],
    [1, "502: Bad Gateway", 3_000, null, null],
  );
  assertEquals(await outbox.due(db, 10), []);
  await clock.advance(2_000);
  assertEquals(ids(await outbox.due(db, 10)), ["a"]);
  await db.close();
});

Deno.test("markSent and markFailed are final and take the item out of due and backlog", async () => {
  const { db, clock, outbox } = await setup();
  await db.transaction(async (tx) => {
    for (const id of ["a", "b", "c"]) await outbox.enqueue(tx, id, message(1, id));
  });
  assertEquals(await outbox.backlog(db), 3);
  await clock.advance(5);
  await outbox.markSent(db, "a");
  await outbox.markFailed(db, "b", "400: Bad Request: chat not found");
  const sent = await outbox.get(db, "a");
  const failed = await outbox.get(db, "b");
  assertEquals([sent?.sentAt, sent?.failedAt, sent?.attempts], [1_005, null, 1]);
  assertEquals([failed?.failedAt, failed?.sentAt, failed?.lastError], [
    1_005,
    null,
    "400: Bad Request: chat not found",
  ]);
  assertEquals(ids(await outbox.due(db, 10)), ["c"]);
  assertEquals(await outbox.backlog(db), 1);
  await assertRejects(
    () => outbox.markRetry(db, "a", "x", 9_000),
    Error,
    'item "a" is already sent',
  );
  await assertRejects(() => outbox.markSent(db, "b"), Error, 'item "b" is already failed');
  await assertRejects(() => outbox.markFailed(db, "zzz", "x"), Error, 'there is no item "zzz"');
  await db.close();
});

Deno.test("stored errors never contain a bot token", async () => {
  const { db, outbox } = await setup();
  await db.transaction(async (tx) => {
    await outbox.enqueue(tx, "a", message(1, "a"));
    await outbox.enqueue(tx, "b", message(1, "b"));
  });
  const leak = "fetch https://api.telegram.org/bot123456:AAEabcdefghijklmnopqrstuvwxyz/sendMessage";
  await outbox.markRetry(db, "a", leak, 2_000);
  await outbox.markFailed(db, "b", leak);
  for (const id of ["a", "b"]) {
    assertEquals(
      (await outbox.get(db, id))?.lastError,
      "fetch https://api.telegram.org/bot<redacted>/sendMessage",
    );
  }
  await db.close();
});

Deno.test("tenants do not see each other's items", async () => {
  const { db, clock, outbox } = await setup();
  const other = new Outbox("cafe", clock, redactTokens);
  await db.transaction(async (tx) => {
    await outbox.enqueue(tx, "receipt:1", message(1, "shop"));
    assertEquals(await other.enqueue(tx, "receipt:1", message(1, "cafe")), true);
  });
  await other.markSent(db, "receipt:1");
  assertEquals([await outbox.backlog(db), await other.backlog(db)], [1, 0]);
  assertEquals((await outbox.get(db, "receipt:1"))?.params.text, "shop");
  await db.close();
});
