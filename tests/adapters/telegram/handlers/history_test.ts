import { assertEquals } from "../../../support/assert.ts";
import { formatHistoryDate } from "../../../../adapters/telegram/handlers/history.ts";
import { buttonData, type Harness, START, startHarness } from "./harness.ts";

/** 21 deposits of 1..21 credits a minute apart, then a charge and an adjustment: 23 entries. */
async function fillLedger(h: Harness, userId: number): Promise<void> {
  for (let i = 1; i <= 21; i++) {
    await h.db.transaction((tx) =>
      h.ledger.deposit(tx, userId, i, { idempotencyKey: `gift:${i}`, reason: `gift ${i}` })
    );
    await h.clock.advance(60_000);
  }
  await h.db.transaction((tx) =>
    h.ledger.deduct(tx, userId, 30, { idempotencyKey: "use:1", reason: "image" })
  );
  await h.clock.advance(60_000);
  await h.db.transaction((tx) =>
    h.ledger.adjust(tx, userId, -5, { idempotencyKey: "fix:1", reason: "correction" })
  );
}

Deno.test("history dates are UTC, YYYY-MM-DD HH:MM", () => {
  assertEquals(formatHistoryDate(Date.UTC(2025, 0, 31, 9, 5, 59)), "2025-01-31 09:05");
  assertEquals(formatHistoryDate(START), "2025-01-01 00:00");
});

Deno.test("/history pages the ledger newest first, and its buttons page in place", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  await fillLedger(h, ann.id);
  await ann.send(h.account, "/history");
  await h.pump();
  const page1 = ann.lastMessage(h.account)!;
  const lines = page1.text!.split("\n");
  assertEquals(lines.length, 11);
  assertEquals(lines.slice(0, 4), [
    "History, page 1 of 3:",
    "2025-01-01 00:22: −5 credits (correction) → 196",
    "2025-01-01 00:21: −30 credits (image) → 201",
    "2025-01-01 00:20: +21 credits (gift 21) → 231",
  ]);
  assertEquals(buttonData(page1), [["stars:history:2"]]);
  assertEquals(page1.reply_markup?.inline_keyboard[0][0].text, "Older ▶");

  assertEquals(await h.click(ann, page1, "stars:history:2"), { answered: true });
  const page2 = ann.lastMessage(h.account)!;
  assertEquals(page2.message_id, page1.message_id, "the page is edited, not sent anew");
  assertEquals(page2.text!.split("\n").slice(0, 2), [
    "History, page 2 of 3:",
    "2025-01-01 00:12: +13 credits (gift 13) → 91",
  ]);
  assertEquals(buttonData(page2), [["stars:history:1", "stars:history:3"]]);

  await h.click(ann, page2, "stars:history:3");
  const page3 = ann.lastMessage(h.account)!;
  assertEquals(page3.text!.split("\n"), [
    "History, page 3 of 3:",
    "2025-01-01 00:02: +3 credits (gift 3) → 6",
    "2025-01-01 00:01: +2 credits (gift 2) → 3",
    "2025-01-01 00:00: +1 credit (gift 1) → 1",
  ]);
  assertEquals(buttonData(page3), [["stars:history:2"]]);
  await h.click(ann, page3, "stars:history:2");
  assertEquals(ann.lastMessage(h.account)!.text!.split("\n")[0], "History, page 2 of 3:");
  assertEquals(ann.messages(h.account).length, 1);
});

Deno.test("the menu's history button opens the history as a new message", async () => {
  await using h = await startHarness();
  const olga = h.user({ firstName: "Ольга", languageCode: "ru" });
  await fillLedger(h, olga.id);
  await olga.send(h.account, "/stars");
  await h.pump();
  const menu = olga.lastMessage(h.account)!;
  await h.click(olga, menu, "stars:history:1");
  const [menuAfter, history] = olga.messages(h.account);
  assertEquals(menuAfter.text, menu.text, "the menu stays as it was");
  assertEquals(history.text!.split("\n").slice(0, 2), [
    "История, страница 1 из 3:",
    "2025-01-01 00:22: −5 кредитов (correction) → 196",
  ]);
  assertEquals(history.reply_markup?.inline_keyboard[0][0].text, "Старше ▶");
});

Deno.test("an empty history says so, without buttons", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  await ann.send(h.account, "/history");
  await h.pump();
  assertEquals(ann.lastMessage(h.account)?.text, "No history yet.");
  assertEquals(ann.lastMessage(h.account)?.reply_markup, undefined);
});

Deno.test("a button for a page that does not exist is answered as stale", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  const old = await h.buttonMessage(ann, "stars:history:9");
  assertEquals(await h.click(ann, old, "stars:history:9"), {
    answered: true,
    text: "This button is no longer valid.",
  });
  assertEquals(ann.lastMessage(h.account)?.text, "A message with a button");
});

Deno.test("long reasons are clipped so a page stays a valid message", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en" });
  for (let i = 1; i <= 10; i++) {
    await h.db.transaction((tx) =>
      h.ledger.deposit(tx, ann.id, 1, { idempotencyKey: `k:${i}`, reason: "x".repeat(1000) })
    );
  }
  await ann.send(h.account, "/history");
  await h.pump();
  const lines = ann.lastMessage(h.account)!.text!.split("\n");
  assertEquals(lines.length, 11);
  assertEquals(lines[1], `2025-01-01 00:00: +1 credit (${"x".repeat(199)}…) → 10`);
});
