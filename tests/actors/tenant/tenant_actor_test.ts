/**
 * End to end: one whole tenant (actor, poller, durable inbox, per-user lanes, outbox sender,
 * payment service and handlers) against the sandbox. Each test drives a sandbox user and checks
 * what really happened: the messages the user received, their Stars wallet, and the ledger,
 * payment and outbox rows. The payment tests run on each storage engine (`engines.ts`).
 */
import type { Message } from "grammy/types";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import type { PaymentOutcome, SandboxBot, SandboxUser } from "../../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes, assertTrue } from "../../support/assert.ts";
import {
  GATE_PLUGIN,
  Gates,
  inboxState,
  ledgerRows,
  outboxRows,
  paymentRows,
  PLUGIN_START_WAIT_MS,
  TenantWorld,
  type TestTenantOptions,
} from "../../support/tenant_world.ts";
import { waitUntil } from "../../support/wait.ts";
import { eachEngine } from "../../support/engines.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Starts the `shop` tenant on a fresh bot account. */
async function startShop(world: TenantWorld, options: TestTenantOptions = {}) {
  const account = world.sandbox.createBot({ username: "shop_bot", firstName: "Shop" });
  const config = await world.tenant(account, options);
  await world.startTenant(config);
  return account;
}

/** `user` opens the deep link of `productId`; returns the invoice the bot sent. */
async function requestInvoice(user: SandboxUser, account: SandboxBot, productId: string) {
  await user.send(account, `/start buy_${productId}`);
  return await user.waitForMessage(account, (m) => m.invoice !== undefined);
}

function expectPaid(outcome: PaymentOutcome): Extract<PaymentOutcome, { status: "paid" }> {
  if (outcome.status !== "paid") throw new Error(`expected a payment, got ${outcome.status}`);
  return outcome;
}

/** What the user sees of each bot message: its text, or `[invoice <title>]`. */
function shown(messages: readonly Message[]): string[] {
  return messages.map((m) => m.text ?? (m.invoice ? `[invoice ${m.invoice.title}]` : "[other]"));
}

const creditsReceipt = (chargeId: string, balance: number) =>
  `✅ Payment received: 50 ⭐ for “100 credits”. 100 credits added; your balance is ${balance}.` +
  `\nReceipt: ${chargeId}`;

/** `2025-01-31 12:00 UTC`, the way receipts show a moment. */
function moment(unixSeconds: number): string {
  const iso = new Date(unixSeconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

eachEngine.test("a purchase: deep link, invoice, payment, the receipt delivered, credits once", async ({ engine }) => {
  await using world = await TenantWorld.start({ engine });
  const account = await startShop(world);
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 120 });

  const invoice = await requestInvoice(ann, account, "credits_100");
  assertEquals(invoice.invoice?.total_amount, 50);
  assertEquals(invoice.invoice?.currency, "XTR");
  const { chargeId } = expectPaid(await ann.pay(account, invoice));

  const receipt = await ann.waitForMessage(account, (m) => m.text?.startsWith("✅") ?? false);
  assertEquals(receipt.text, creditsReceipt(chargeId, 100));
  await waitUntil(
    "the receipt marked sent",
    async () => (await outboxRows(world.db, "shop"))[0]?.sent,
  );
  assertEquals(await outboxRows(world.db, "shop"), [
    { id: `receipt:${chargeId}`, method: "sendMessage", attempts: 1, sent: true, failed: false },
  ]);
  assertEquals(await ledgerRows(world.db, "shop"), [
    {
      userId: ann.id,
      kind: "deposit",
      amount: 100,
      balanceAfter: 100,
      idempotencyKey: `payment:${chargeId}`,
    },
  ]);
  assertEquals(await paymentRows(world.db, "shop"), [
    {
      chargeId,
      userId: ann.id,
      productId: "credits_100",
      amount: 50,
      kind: "credits",
      refunded: false,
    },
  ]);
  assertEquals(shown(ann.messages(account)), ["[invoice 100 credits]", receipt.text]);
  assertEquals(ann.stars, 70);
  assertEquals(account.starBalance, 50);
  assertEquals(account.callsTo("answerPreCheckoutQuery").map((c) => c.params.ok), [true]);
});

eachEngine.test("the same successful_payment delivered twice credits once and sends one receipt", async ({ engine }) => {
  await using world = await TenantWorld.start({ engine });
  const account = await startShop(world);
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 120 });
  const paid = expectPaid(
    await ann.pay(account, await requestInvoice(ann, account, "credits_100")),
  );
  await ann.waitForMessage(account, (m) => m.text?.startsWith("✅") ?? false);

  // A new update_id with the same content: only the charge id can tell it is the same money.
  const duplicate = world.sandbox.redeliver(account.token, paid.updateId!);
  await waitUntil(
    "the redelivered payment handled",
    async () => await inboxState(world.db, "shop", duplicate.update_id) === "done",
  );

  assertEquals((await ledgerRows(world.db, "shop")).map((row) => row.balanceAfter), [100]);
  assertEquals((await paymentRows(world.db, "shop")).map((row) => row.chargeId), [paid.chargeId]);
  assertEquals((await outboxRows(world.db, "shop")).map((row) => row.id), [
    `receipt:${paid.chargeId}`,
  ]);
  assertEquals(shown(ann.messages(account)), [
    "[invoice 100 credits]",
    creditsReceipt(paid.chargeId, 100),
  ]);
  assertEquals(ann.stars, 70);
});

eachEngine.test("paying one order twice credits once and refunds the second charge by itself", async ({ engine }) => {
  await using world = await TenantWorld.start({ engine });
  const account = await startShop(world);
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  const invoice = await requestInvoice(ann, account, "credits_100");
  // Pay tapped on two devices at once: both pre-checkout queries arrive before either payment,
  // so both are approved and Telegram takes both payments.
  let approved = 0;
  let bothApproved = () => {};
  const both = new Promise<void>((resolve) => (bothApproved = resolve));
  const afterApproval = () => {
    if (++approved === 2) bothApproved();
    return both;
  };
  const outcomes = await Promise.all([
    ann.pay(account, invoice, { afterApproval }),
    ann.pay(account, invoice, { afterApproval }),
  ]);
  const charges = outcomes.map((outcome) => expectPaid(outcome).chargeId);

  const notice = await ann.waitForMessage(
    account,
    (m) => m.text?.startsWith("This order was already paid") ?? false,
  );
  const payments = await waitUntil("the second charge refunded", async () => {
    const rows = await paymentRows(world.db, "shop");
    return rows.some((row) => row.refunded) && rows;
  });
  const credited = payments.find((row) => row.kind === "credits")!;
  const duplicate = payments.find((row) => row.kind === "duplicate")!;
  assertEquals([credited.chargeId, duplicate.chargeId].sort(), [...charges].sort());
  assertEquals([credited.refunded, duplicate.refunded], [false, true]);
  assertEquals(
    notice.text,
    "This order was already paid, so your second payment of 50 ⭐ is being refunded." +
      `\nCharge: ${duplicate.chargeId}`,
  );
  assertEquals(await ledgerRows(world.db, "shop"), [
    {
      userId: ann.id,
      kind: "deposit",
      amount: 100,
      balanceAfter: 100,
      idempotencyKey: `payment:${credited.chargeId}`,
    },
  ]);
  // 100 - 50 - 50, and the second 50 back.
  assertEquals(ann.stars, 50);
  assertEquals(account.starBalance, 50);
  const refunds = account.callsTo("refundStarPayment");
  assertEquals(refunds.map((c) => [c.ok, c.params.telegram_payment_charge_id]), [
    [true, duplicate.chargeId],
  ]);
  assertEquals(shown(ann.messages(account)), [
    "[invoice 100 credits]",
    creditsReceipt(credited.chargeId, 100),
    notice.text,
  ]);
});

eachEngine.test("an item purchase delivers the receipt, then the content", async ({ engine }) => {
  await using world = await TenantWorld.start({ engine });
  const account = await startShop(world);
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 30 });
  const paid = expectPaid(await ann.pay(account, await requestInvoice(ann, account, "wallpapers")));

  await ann.waitForMessage(account, (m) => m.text?.startsWith("Your wallpapers") ?? false);
  assertEquals(shown(ann.messages(account)), [
    "[invoice Wallpaper pack]",
    `✅ Payment received: 25 ⭐ for “Wallpaper pack”.\nReceipt: ${paid.chargeId}`,
    "Your wallpapers: https://example.com/w/1",
  ]);
  await waitUntil(
    "both outbox items marked sent",
    async () => (await outboxRows(world.db, "shop")).every((row) => row.sent),
  );
  assertEquals((await outboxRows(world.db, "shop")).map((row) => row.id), [
    `receipt:${paid.chargeId}`,
    `content:${paid.chargeId}`,
  ]);
  assertEquals((await paymentRows(world.db, "shop")).map((row) => row.kind), ["item"]);
  assertEquals(await ledgerRows(world.db, "shop"), []);
  assertEquals(ann.stars, 5);
});

eachEngine.test("a subscription: link, payment, active; Telegram's renewal a month later extends it", async ({ engine }) => {
  // Only the sandbox runs on the manual clock: it jumps a month ahead to renew, while the
  // tenant's timers (housekeeping, outbox retries) keep real time. The sandbox starts at the
  // real time so the tenant's expiry sweep sees the subscription as running.
  const sandboxClock = new ManualClock(Date.now());
  await using world = await TenantWorld.start({ sandboxClock, engine });
  const account = await startShop(world);
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 400 });

  await ann.send(account, "/start buy_monthly");
  const offer = await ann.waitForMessage(account, (m) => m.reply_markup !== undefined);
  assertEquals(offer.text, "Subscribe to “Monthly membership” for 150 ⭐ a month:");
  const button = offer.reply_markup!.inline_keyboard[0][0];
  assertTrue("url" in button, "the offer's button is the subscription link");
  const first = expectPaid(await ann.pay(account, button.url));
  const firstEnd = first.message.successful_payment!.subscription_expiration_date!;
  const active = await ann.waitForMessage(account, (m) => m.text?.startsWith("✅") ?? false);
  assertEquals(
    active.text,
    `✅ Subscription “Monthly membership” is active until ${moment(firstEnd)}.` +
      `\nReceipt: ${first.chargeId}`,
  );
  assertEquals(await subscriptionRow(world, ann.id), {
    state: "active",
    first_charge_id: first.chargeId,
    last_charge_id: first.chargeId,
    expires_at: firstEnd * 1000,
  });

  await world.sandbox.advance(30 * DAY_MS);
  const renewed = await ann.waitForMessage(account, (m) => m.text?.startsWith("🔁") ?? false);
  const renewal = (await paymentRows(world.db, "shop")).find((row) => row.kind === "renewal");
  assertTrue(renewal !== undefined, "the renewal charge is recorded");
  const secondEnd = firstEnd + 30 * 24 * 60 * 60;
  assertEquals(
    renewed.text,
    `🔁 Subscription “Monthly membership” renewed until ${moment(secondEnd)}.` +
      `\nReceipt: ${renewal.chargeId}`,
  );
  assertEquals(await subscriptionRow(world, ann.id), {
    state: "active",
    first_charge_id: first.chargeId,
    last_charge_id: renewal.chargeId,
    expires_at: secondEnd * 1000,
  });
  assertEquals((await ledgerRows(world.db, "shop")).map((row) => [row.amount, row.balanceAfter]), [
    [300, 300],
    [300, 600],
  ]);
  assertEquals(ann.stars, 100);
  assertEquals(account.starBalance, 300);
});

/** The state of the user's `monthly` subscription. */
function subscriptionRow(world: TenantWorld, userId: number) {
  return world.db.get(
    `SELECT state, first_charge_id, last_charge_id, expires_at FROM subscriptions
     WHERE tenant_id = 'shop' AND user_id = ? AND product_id = 'monthly'`,
    [userId],
  );
}

Deno.test("one user's updates run in order, a slow one delays nobody else, pre-checkout skips the queue", async () => {
  await using world = await TenantWorld.start();
  using gates = Gates.of(world);
  const account = await startShop(world, { plugin: GATE_PLUGIN });
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  const bob = world.sandbox.createUser({ firstName: "Bob", languageCode: "en" });
  const invoice = await requestInvoice(ann, account, "credits_100");

  await ann.send(account, "/slow a");
  await ann.waitForMessage(account, (message) => message.text === "Slow task a started.", {
    timeoutMs: PLUGIN_START_WAIT_MS, // the plugin's worker starts now
  });
  await ann.send(account, "/balance");
  // Bob is served while Ann's handler waits.
  await bob.send(account, "/start");
  assertStringIncludes((await bob.waitForMessage(account)).text ?? "", "Hello, Bob!");
  // Ann's pre-checkout query is answered although her lane is busy: the payment goes through.
  const paid = expectPaid(await ann.pay(account, invoice));
  await waitUntil(
    "the payment recorded in the inbox",
    async () => await inboxState(world.db, "shop", paid.updateId!) === "pending",
  );
  assertEquals(await paymentRows(world.db, "shop"), [], "queued behind /slow, not applied yet");
  assertEquals(shown(ann.messages(account)), ["[invoice 100 credits]", "Slow task a started."]);

  gates.open("a");
  await ann.waitForMessage(account, (m) => m.text?.startsWith("✅") ?? false);
  assertEquals(shown(ann.messages(account)), [
    "[invoice 100 credits]",
    "Slow task a started.",
    "Slow task a done.",
    "Your balance: 0 credits.",
    creditsReceipt(paid.chargeId, 100),
  ]);
});
