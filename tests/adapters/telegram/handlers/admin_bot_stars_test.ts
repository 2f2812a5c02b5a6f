import { assertEquals } from "../../../support/assert.ts";
import { ADMIN_ID, buttonData, type Harness, startHarness } from "./harness.ts";
import { buyCredits, ScriptedUpstream, withdrawal } from "./stars_purchases.ts";
import type { SandboxUser } from "../../../../sandbox/mod.ts";

/** Sends `text` as `user` and returns the bot's answer. */
async function ask(h: Harness, user: SandboxUser, text: string): Promise<string | undefined> {
  await user.send(h.account, text);
  await h.pump();
  return user.lastMessage(h.account)?.text;
}

Deno.test("/revenue shows the bot's Stars with source and age, fresh after each purchase", async () => {
  await using h = await startHarness({ botStars: { cacheTtlMs: 10 * 60_000 } });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  assertEquals(
    await ask(h, admin, "/revenue"),
    `⭐ The bot's balance: 0 Stars.\nSource: Telegram's Bot API, read 0 s ago.`,
  );

  await buyCredits(h, ann);
  assertEquals(
    await ask(h, admin, "/revenue"),
    `⭐ The bot's balance: 50 Stars.\nSource: Telegram's Bot API, read 0 s ago.`,
    "the purchase dropped the cached balance",
  );
  const reads = h.account.callsTo("getMyStarBalance").length;

  await h.clock.advance(150_000);
  assertEquals(
    await ask(h, admin, "/revenue"),
    `⭐ The bot's balance: 50 Stars.\nSource: Telegram's Bot API, read 2 min ago.`,
  );
  assertEquals(h.account.callsTo("getMyStarBalance").length, reads, "served from the cache");

  await h.clock.advance(10 * 60_000);
  h.sandbox.failNext(h.account.token, "getMyStarBalance", {
    error_code: 500,
    description: "Internal Server Error",
  });
  // In plain words: which source answered, when, and that it is stale; never the internal
  // names of the sources that gave nothing (they are logged for the operator).
  assertEquals((await ask(h, admin, "/revenue"))!.split("\n"), [
    "⭐ The bot's balance: 50 Stars.",
    "Source: the last value Telegram gave, read 12 min ago.",
    "⚠️ Stale: Telegram could not be asked just now; this is the last known value.",
  ]);
});

Deno.test("/revenue says so when no balance was ever read", async () => {
  await using h = await startHarness({ botStars: {} });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "ru" });
  h.sandbox.failNext(h.account.token, "getMyStarBalance", {
    error_code: 500,
    description: "Internal Server Error",
  });
  const text = await ask(h, admin, "/revenue");
  assertEquals(
    text?.startsWith('Баланс Stars бота недоступен: no Stars balance for tenant "shop": '),
    true,
    text,
  );
});

Deno.test("/transactions lists Telegram's transactions newest first, with who and the id", async () => {
  await using h = await startHarness({ botStars: {} });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  const ann = h.user({ firstName: "Ann", lastName: "Lee", languageCode: "en", stars: 100 });
  const first = await buyCredits(h, ann);
  await h.clock.advance(60_000);
  const second = await buyCredits(h, ann);
  await h.clock.advance(60_000);
  ann.refundByTelegram(h.account, first.chargeId);
  await h.pump();

  assertEquals(
    await ask(h, admin, "/transactions"),
    [
      "Stars transactions, newest first — page 1 of 1:",
      `2025-01-01 00:02: −50 ⭐ Ann Lee (${ann.id}) — ${first.chargeId}`,
      `2025-01-01 00:01: +50 ⭐ Ann Lee (${ann.id}) for “100 credits” — ${second.chargeId}`,
      `2025-01-01 00:00: +50 ⭐ Ann Lee (${ann.id}) for “100 credits” — ${first.chargeId}`,
    ].join("\n"),
  );
  // The payment not refunded has a Refund button; the refunded one has none.
  assertEquals(buttonData(admin.lastMessage(h.account)), [[`stars:rf:ask:${second.chargeId}`]]);
});

Deno.test("/transactions pages ten at a time, newest first, with Newer / Older buttons", async () => {
  const script = new ScriptedUpstream(
    Array.from({ length: 250 }, (_, i) => withdrawal(`w_${i}`, i + 1)),
  );
  await using h = await startHarness({ botStars: { upstream: () => script } });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  const line = (i: number) => `2025-01-01 00:00: −${i + 1} ⭐ fragment — w_${i}`;
  const lines = (from: number, to: number) => {
    const result = [];
    for (let i = from; i >= to; i--) result.push(line(i));
    return result;
  };

  assertEquals(
    await ask(h, admin, "/transactions"),
    ["Stars transactions, newest first — page 1 of 25:", ...lines(249, 240)].join("\n"),
  );
  const page = admin.lastMessage(h.account)!;
  assertEquals(page.reply_markup?.inline_keyboard, [[
    { text: "Older ▶", callback_data: "stars:tx:2" },
  ]]);

  assertEquals(await h.click(admin, page, "stars:tx:2"), { answered: true });
  const second = admin.messages(h.account).find((m) => m.message_id === page.message_id)!;
  assertEquals(
    second.text,
    ["Stars transactions, newest first — page 2 of 25:", ...lines(239, 230)].join("\n"),
  );
  assertEquals(buttonData(second), [["stars:tx:1", "stars:tx:3"]]);

  assertEquals(
    await ask(h, admin, "/transactions 25"),
    ["Stars transactions, newest first — page 25 of 25:", ...lines(9, 0)].join("\n"),
  );
  assertEquals(buttonData(admin.lastMessage(h.account)), [["stars:tx:24"]]);
  // Counting found the end in three reads; every page since came from the cached blocks.
  assertEquals(script.pages, [[0, 100], [100, 100], [200, 100]]);

  assertEquals(
    await ask(h, admin, "/transactions 26"),
    "There is no page 26: the list has 25 pages.",
  );
  assertEquals(
    await ask(h, admin, "/transactions last"),
    "Usage: /transactions [page], where page 1 is the newest.",
  );
  const stale = await h.buttonMessage(admin, "stars:tx:26");
  assertEquals(await h.click(admin, stale, "stars:tx:26"), {
    answered: true,
    text: "This button is no longer valid.",
  });
});

Deno.test("/transactions says when Telegram cannot be read", async () => {
  const script = new ScriptedUpstream();
  script.failPage(0, new Error("Telegram is down"));
  await using h = await startHarness({ botStars: { upstream: () => script } });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  assertEquals(
    await ask(h, admin, "/transactions"),
    "Telegram's list of transactions could not be read: Telegram is down",
  );
  assertEquals(await ask(h, admin, "/transactions"), "The bot has no Stars transactions yet.");
});

Deno.test("/reconcile runs the reconciliation now and reports what it found", async () => {
  await using h = await startHarness({ botStars: {} });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  await buyCredits(h, ann, { lost: true });
  assertEquals(
    await ask(h, admin, "/reconcile"),
    "Reconciliation done: 1 transactions checked; 1 lost payments applied, 0 refunds applied, " +
      "0 unmatched, 0 already known.",
  );
  assertEquals(await h.payments.credits.balance(ann.id), 100);
  assertEquals(
    await ask(h, admin, "/reconcile"),
    "Reconciliation done: 0 transactions checked; 0 lost payments applied, 0 refunds applied, " +
      "0 unmatched, 0 already known.",
  );
});

Deno.test("/reconcile reports a failed run", async () => {
  const script = new ScriptedUpstream();
  script.failPage(0, new Error("Telegram is down"));
  await using h = await startHarness({ botStars: { upstream: () => script } });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "ru" });
  assertEquals(await ask(h, admin, "/reconcile"), "Сверка не удалась: Telegram is down");
});

Deno.test("the admin commands refuse everyone else and look nothing up", async () => {
  await using h = await startHarness({ botStars: {} });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const olga = h.user({ firstName: "Ольга", languageCode: "ru" });
  for (const command of ["/transactions", "/revenue", "/reconcile", "/transactions 2"]) {
    assertEquals(
      await ask(h, ann, command),
      "Only this bot's administrators can use this command.",
    );
  }
  assertEquals(await ask(h, olga, "/revenue"), "Эта команда доступна только администраторам бота.");
  const button = await h.buttonMessage(ann, "stars:tx:2");
  assertEquals(await h.click(ann, button, "stars:tx:2"), {
    answered: true,
    text: "Only this bot's administrators can use this command.",
  });
  assertEquals(h.account.callsTo("getMyStarBalance").length, 0);
  assertEquals(h.account.callsTo("getStarTransactions").length, 0);
});

Deno.test("without the balance service the admin commands say they are not set up", async () => {
  await using h = await startHarness();
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  for (const command of ["/transactions", "/revenue", "/reconcile"]) {
    assertEquals(await ask(h, admin, command), "This command is not set up for this bot.");
  }
  const button = await h.buttonMessage(admin, "stars:tx:2");
  assertEquals(await h.click(admin, button, "stars:tx:2"), {
    answered: true,
    text: "This command is not set up for this bot.",
  });
});
