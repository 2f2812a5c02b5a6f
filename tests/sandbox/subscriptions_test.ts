import assert from "node:assert/strict";
import { Api } from "grammy";
import { ManualClock } from "../../actors/kernel/clock.ts";
import { Sandbox } from "../../sandbox/mod.ts";
import { UpdateReader } from "./api_helpers.ts";

const START = 1_700_000_000_000;
const PERIOD = 2_592_000;
const DAY_MS = 86_400_000;

async function subscribed(stars: number) {
  const clock = new ManualClock(START);
  const sandbox = await Sandbox.start({ clock });
  const bot = sandbox.createBot({ username: "club_bot" });
  const ann = sandbox.createUser({ firstName: "Ann", stars });
  const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
  const reader = new UpdateReader(api);
  const link = await api.createInvoiceLink("VIP", "Monthly VIP", "vip", "", "XTR", [
    { label: "VIP", amount: 100 },
  ], { subscription_period: PERIOD });
  const paying = ann.pay(bot, link);
  await api.answerPreCheckoutQuery((await reader.next()).pre_checkout_query!.id, true);
  const outcome = await paying;
  assert.ok(outcome.status === "paid");
  const first = (await reader.next()).message!.successful_payment!;
  return { sandbox, bot, ann, api, reader, chargeId: outcome.chargeId, first };
}

Deno.test("a subscription's first payment is recurring, first, and states its expiration", async () => {
  const { sandbox, first, chargeId, ann } = await subscribed(250);
  await using _ = sandbox;
  assert.deepEqual(first, {
    currency: "XTR",
    total_amount: 100,
    invoice_payload: "vip",
    telegram_payment_charge_id: chargeId,
    provider_payment_charge_id: "",
    subscription_expiration_date: START / 1000 + PERIOD,
    is_recurring: true,
    is_first_recurring: true,
  });
  assert.equal(ann.stars, 150);
});

Deno.test("at expiration the subscription renews: new charge, new expiration, wallet debited", async () => {
  const { sandbox, bot, ann, api, reader, chargeId } = await subscribed(250);
  await using _ = sandbox;
  await sandbox.advance(30 * DAY_MS - 1);
  assert.deepEqual(await reader.pending(), [], "not yet");
  await sandbox.advance(1);

  const renewal = (await reader.next()).message!.successful_payment!;
  assert.equal(renewal.is_recurring, true);
  assert.equal(renewal.is_first_recurring, undefined);
  assert.notEqual(renewal.telegram_payment_charge_id, chargeId);
  assert.equal(renewal.subscription_expiration_date, START / 1000 + 2 * PERIOD);
  assert.equal(ann.stars, 50);
  assert.equal(bot.starBalance, 200);

  const { transactions } = await api.getStarTransactions();
  assert.deepEqual(
    transactions.map((t) => t.source?.type === "user" && t.source.subscription_period),
    [
      PERIOD,
      PERIOD,
    ],
  );
  assert.equal(transactions[1].date, START / 1000 + PERIOD);
});

Deno.test("a renewal the wallet cannot cover ends the subscription with a failed update", async () => {
  const { sandbox, bot, ann, reader } = await subscribed(150);
  await using _ = sandbox;
  await sandbox.advance(30 * DAY_MS);
  assert.deepEqual((await reader.next()).subscription, {
    user: ann.toUser(),
    invoice_payload: "vip",
    state: "failed",
  });
  assert.deepEqual(await reader.pending(), [], "no successful_payment");
  assert.equal(ann.stars, 50);
  ann.topUp(500);
  await sandbox.advance(30 * DAY_MS);
  assert.deepEqual(await reader.pending(), [], "an ended subscription stays ended");
  assert.equal(bot.starBalance, 100);
});

Deno.test("the bot can cancel extension and later let the user re-enable it", async () => {
  const { sandbox, ann, api, reader, chargeId } = await subscribed(500);
  await using _ = sandbox;
  assert.equal(await api.editUserStarSubscription(ann.id, chargeId, true), true);
  const bot = sandbox.createBot(); // a different bot knows nothing of the charge
  const foreign = await new Api(bot.token, { apiRoot: sandbox.apiRoot })
    .editUserStarSubscription(ann.id, chargeId, true).catch((e) => e);
  assert.equal(foreign.description, "Bad Request: CHARGE_NOT_FOUND");

  await api.editUserStarSubscription(ann.id, chargeId, false);
  await sandbox.advance(30 * DAY_MS);
  assert.deepEqual(await reader.pending(), [], "allowed, but the user has not re-enabled yet");
  assert.equal(ann.stars, 400);
});

Deno.test("re-enabled before expiration, a bot-canceled subscription renews", async () => {
  const { sandbox, bot, ann, api, reader, chargeId } = await subscribed(500);
  await using _ = sandbox;
  await api.editUserStarSubscription(ann.id, chargeId, true);
  assert.throws(() => ann.renewSubscription(bot, chargeId), /canceled by the bot/);
  await api.editUserStarSubscription(ann.id, chargeId, false);
  ann.renewSubscription(bot, chargeId);
  assert.equal((await reader.next()).subscription?.state, "active");
  await sandbox.advance(30 * DAY_MS);
  assert.equal((await reader.next()).message?.successful_payment?.is_recurring, true);
  assert.equal(ann.stars, 300);
});

Deno.test("the user's cancel reaches the bot once, and the canceled subscription does not renew", async () => {
  const { sandbox, bot, ann, reader, chargeId } = await subscribed(500);
  await using _ = sandbox;
  ann.cancelSubscription(bot, chargeId);
  assert.deepEqual((await reader.next()).subscription, {
    user: ann.toUser(),
    invoice_payload: "vip",
    state: "canceled",
  });
  ann.cancelSubscription(bot, chargeId);
  assert.deepEqual(await reader.pending(), [], "canceling again changes nothing");
  await sandbox.advance(60 * DAY_MS);
  assert.deepEqual(await reader.pending(), [], "no renewal, and an expiry is no failure");
  assert.equal(ann.stars, 400);
  assert.throws(() => ann.renewSubscription(bot, chargeId), /has ended/);
});

Deno.test("the user re-enabling their canceled subscription sends active, and it renews", async () => {
  const { sandbox, bot, ann, reader, chargeId } = await subscribed(500);
  await using _ = sandbox;
  ann.cancelSubscription(bot, chargeId);
  assert.equal((await reader.next()).subscription?.state, "canceled");
  ann.renewSubscription(bot, chargeId);
  assert.deepEqual((await reader.next()).subscription, {
    user: ann.toUser(),
    invoice_payload: "vip",
    state: "active",
  });
  ann.renewSubscription(bot, chargeId);
  assert.deepEqual(await reader.pending(), [], "re-enabling a renewing one changes nothing");
  await sandbox.advance(30 * DAY_MS);
  assert.equal((await reader.next()).message?.successful_payment?.is_recurring, true);
  assert.equal(ann.stars, 300);
});

Deno.test("the bot's own cancel and allow send nothing, nor does a moot user cancel", async () => {
  const { sandbox, bot, ann, api, reader, chargeId } = await subscribed(500);
  await using _ = sandbox;
  await api.editUserStarSubscription(ann.id, chargeId, true);
  ann.cancelSubscription(bot, chargeId);
  await api.editUserStarSubscription(ann.id, chargeId, false);
  ann.cancelSubscription(bot, chargeId);
  assert.deepEqual(await reader.pending(), []);
  await sandbox.advance(30 * DAY_MS);
  assert.deepEqual(await reader.pending(), [], "not renewing at expiry: it ends without failing");
});

Deno.test("subscription updates obey allowed_updates: default set or an explicit listing", async () => {
  const { sandbox, bot, ann, api, reader, chargeId } = await subscribed(500);
  await using _ = sandbox;
  await api.getUpdates({ allowed_updates: ["message", "pre_checkout_query"], timeout: 0 });
  ann.cancelSubscription(bot, chargeId);
  assert.deepEqual(await reader.pending(), [], "not listed, not delivered");

  await api.getUpdates({ allowed_updates: ["message", "subscription"], timeout: 0 });
  ann.renewSubscription(bot, chargeId);
  assert.equal((await reader.next()).subscription?.state, "active");

  await api.getUpdates({ allowed_updates: [], timeout: 0 }); // back to the default set
  ann.cancelSubscription(bot, chargeId);
  assert.equal((await reader.next()).subscription?.state, "canceled");
});
