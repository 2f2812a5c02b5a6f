import { assertEquals, assertStringIncludes, assertTrue } from "../../../support/assert.ts";
import type { SandboxUser } from "../../../../sandbox/mod.ts";
import { ADMIN_ID, type Harness, startHarness } from "./harness.ts";
import { eachEngine } from "../../../support/engines.ts";

/** `user` buys 100 credits for 50 Stars; returns the charge id. */
async function buyCredits(h: Harness, user: SandboxUser): Promise<string> {
  await user.send(h.account, "/start buy_credits_100");
  await h.pump();
  const outcome = await h.pay(user, user.lastMessage(h.account)!);
  if (outcome.status !== "paid") throw new Error(`payment failed: ${outcome.status}`);
  return outcome.chargeId;
}

async function ledgerSize(h: Harness, userId: number): Promise<number> {
  return (await h.payments.credits.history(userId)).total;
}

eachEngine.test("an admin's /refund refunds once; the second time says it already was", async ({ engine }) => {
  await using h = await startHarness({ engine });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  const chargeId = await buyCredits(h, ann);
  assertEquals(await h.payments.credits.balance(ann.id), 100);
  assertEquals(ann.stars, 50);

  await admin.send(h.account, `/refund ${chargeId}`);
  await h.pump(); // the command, then Telegram's refunded_payment for the same charge
  assertEquals(
    admin.lastMessage(h.account)?.text,
    `Refunded 50 ⭐ to user ${ann.id} (charge ${chargeId}); 100 credits reversed.`,
  );
  assertEquals(ann.stars, 100, "the Stars are back in Ann's wallet");
  assertEquals(await h.payments.credits.balance(ann.id), 0);
  const entries = await ledgerSize(h, ann.id);
  assertEquals(entries, 2);
  assertTrue((await h.outbox()).some((row) => row.id === `refunded:${chargeId}`));

  await admin.send(h.account, `/refund ${chargeId}`);
  await h.pump();
  assertEquals(
    admin.lastMessage(h.account)?.text,
    `Charge ${chargeId} was already refunded; nothing changed.`,
  );
  assertEquals(h.account.callsTo("refundStarPayment").length, 1);
  assertEquals(await ledgerSize(h, ann.id), entries);
  assertEquals(await h.payments.credits.balance(ann.id), 0);
});

Deno.test("/refund by someone who is not an admin is refused and changes nothing", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "ru", stars: 100 });
  const chargeId = await buyCredits(h, ann);
  const entries = await ledgerSize(h, ann.id);
  await ann.send(h.account, `/refund ${chargeId}`);
  await h.pump();
  assertEquals(
    ann.lastMessage(h.account)?.text,
    "Возвращать платежи могут только администраторы бота.",
  );
  assertEquals(h.account.callsTo("refundStarPayment").length, 0);
  assertEquals(await h.payments.credits.balance(ann.id), 100);
  assertEquals(await ledgerSize(h, ann.id), entries);
  assertEquals(ann.stars, 50);
});

Deno.test("/refund without exactly one charge id shows the usage", async () => {
  await using h = await startHarness();
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  await admin.send(h.account, "/refund");
  await admin.send(h.account, "/refund a b");
  await h.pump();
  assertEquals(admin.messages(h.account).map((m) => m.text), [
    "Usage: /refund <charge_id>",
    "Usage: /refund <charge_id>",
  ]);
  assertEquals(h.account.callsTo("refundStarPayment").length, 0);
});

Deno.test("/refund of an unknown charge says so without asking Telegram", async () => {
  await using h = await startHarness();
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  await admin.send(h.account, "/refund stxNoSuchCharge");
  await h.pump();
  assertEquals(
    admin.lastMessage(h.account)?.text,
    "No payment with charge id stxNoSuchCharge is known here.",
  );
  assertEquals(h.account.callsTo("refundStarPayment").length, 0);
});

Deno.test("a refund Telegram refuses is reported with its error and changes nothing", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  const chargeId = await buyCredits(h, ann);
  h.sandbox.failNext(h.account.token, "refundStarPayment", {
    error_code: 400,
    description: "Bad Request: REFUND_NOT_ALLOWED",
  });
  await admin.send(h.account, `/refund ${chargeId}`);
  await h.pump();
  assertEquals(
    admin.lastMessage(h.account)?.text,
    `Telegram refused the refund of ${chargeId}: Bad Request: REFUND_NOT_ALLOWED`,
  );
  assertEquals(await h.payments.credits.balance(ann.id), 100);
  assertEquals(ann.stars, 50);
});

/** Runs the queued updates, moving the harness clock while a handler waits on it. */
async function pumpOnClock(h: Harness): Promise<void> {
  let done = false;
  const pumped = h.pump().finally(() => (done = true));
  while (!done) await h.clock.advance(100);
  await pumped;
}

Deno.test("a refund whose answer was lost is asked again, and the admin told it was made", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  const chargeId = await buyCredits(h, ann);
  h.sandbox.loseAnswerNext(h.account.token, "refundStarPayment");

  await admin.send(h.account, `/refund ${chargeId}`);
  await h.pump(); // the command, then Telegram's refunded_payment for the same charge
  assertEquals(
    admin.lastMessage(h.account)?.text,
    `Refunded 50 ⭐ to user ${ann.id} (charge ${chargeId}); 100 credits reversed.`,
  );
  // The first ask was made and its answer lost; the second hears it was done.
  assertEquals(
    h.account.callsTo("refundStarPayment").map((c) => c.error?.description ?? c.fault),
    ["lose_answer", "Bad Request: CHARGE_ALREADY_REFUNDED"],
  );
  assertEquals(ann.stars, 100);
  assertEquals(await h.payments.credits.balance(ann.id), 0);
  assertEquals(await ledgerSize(h, ann.id), 2, "the credits were reversed once");
});

Deno.test("a refund Telegram never answers is settled by its transactions", async () => {
  await using h = await startHarness({ botStars: {} });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  const chargeId = await buyCredits(h, ann);
  // The refund is made but its answer lost; every ask after that goes unanswered too.
  h.sandbox.loseAnswerNext(h.account.token, "refundStarPayment");
  h.sandbox.dropNext(h.account.token, "refundStarPayment", 2);

  await admin.send(h.account, `/refund ${chargeId}`);
  await pumpOnClock(h);
  assertEquals(
    admin.lastMessage(h.account)?.text,
    `Refunded 50 ⭐ to user ${ann.id} (charge ${chargeId}); 100 credits reversed.`,
  );
  assertEquals(h.account.callsTo("refundStarPayment").length, 3);
  assertEquals(await h.payments.credits.balance(ann.id), 0);
  await h.pump(); // Telegram's refunded_payment changes nothing more
  assertEquals(await ledgerSize(h, ann.id), 2, "the credits were reversed once");
});

Deno.test("a refund never answered and absent from Telegram's transactions is 'not made'", async () => {
  await using h = await startHarness({ botStars: {} });
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  const chargeId = await buyCredits(h, ann);
  h.sandbox.dropNext(h.account.token, "refundStarPayment", 3);

  await admin.send(h.account, `/refund ${chargeId}`);
  await pumpOnClock(h);
  assertStringIncludes(
    admin.lastMessage(h.account)!.text!,
    `Telegram did not answer the refund of ${chargeId}, and its transactions show no such refund`,
  );
  assertEquals(ann.stars, 50);
  assertEquals(await h.payments.credits.balance(ann.id), 100);
});

Deno.test("without Telegram's transactions, an unanswered refund is reported as not known", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const admin = h.user({ id: ADMIN_ID, firstName: "Boss", languageCode: "en" });
  const chargeId = await buyCredits(h, ann);
  h.sandbox.dropNext(h.account.token, "refundStarPayment", 3);

  await admin.send(h.account, `/refund ${chargeId}`);
  await pumpOnClock(h);
  const told = admin.lastMessage(h.account)!.text!;
  assertStringIncludes(told, `Telegram did not answer the refund of ${chargeId}`);
  assertStringIncludes(told, "not known yet");
  assertEquals(await h.payments.credits.balance(ann.id), 100);
});
