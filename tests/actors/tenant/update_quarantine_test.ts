/**
 * Poison updates against a whole runtime and the sandbox, by polling: malformed updates are
 * rejected and confirmed without stopping the tenant, a malformed payment is set aside as a
 * dead letter while reconciliation still credits the money, and a payment update that keeps
 * failing is set aside after three tries, its admins told once, and runs again when retried.
 */
import type { Message } from "grammy/types";
import { Runtime, type RuntimeOptions } from "../../../actors/runtime/runtime.ts";
import { createMetrics } from "../../../adapters/observability/metrics.ts";
import { secrets } from "../../../adapters/observability/redact.ts";
import { Inbox } from "../../../money/delivery/inbox.ts";
import type { Database, SqlRunner } from "../../../money/ports.ts";
import type { SandboxBot, SandboxUser } from "../../../sandbox/mod.ts";
import { assertEquals, assertStringIncludes, assertTrue } from "../../support/assert.ts";
import { sampleValue } from "../../support/prometheus_text.ts";
import { SHOP_PRODUCTS } from "../../support/shop_products.ts";
import { parseTestTenant } from "../../support/tenant_configs.ts";
import { ledgerRows, TenantWorld } from "../../support/tenant_world.ts";
import { waitUntil } from "../../support/wait.ts";

const isReceipt = (m: Message) => m.text?.startsWith("✅") ?? false;
const isDeadLetterNotice = (m: Message) => m.text?.startsWith("⚠️ Update") ?? false;

/** A runtime with the `shop` tenant on `account`, its metrics, and a way to stop it. */
async function startShop(
  world: TenantWorld,
  account: SandboxBot,
  admins: number[],
  supervision?: RuntimeOptions["supervision"],
) {
  const config = parseTestTenant(
    { apiRoot: world.sandbox.apiRoot, products: SHOP_PRODUCTS, admins },
    { token: account.token },
  );
  const metrics = createMetrics();
  const runtime = await Runtime.start({
    tenants: [config],
    db: world.db,
    metrics,
    supervision,
    pollTimeoutSeconds: 1,
    redactor: secrets,
    // The periodic reconciliation starts a minute in, after these tests: only /reconcile runs it.
    random: () => 0.999,
  });
  return { runtime, metrics };
}

/** `user` asks for the 100-credit pack by deep link and pays for it. */
async function buyCredits(user: SandboxUser, account: SandboxBot) {
  await user.send(account, "/start buy_credits_100");
  const invoice = await user.waitForMessage(account, (m) => m.invoice !== undefined);
  const outcome = await user.pay(account, invoice);
  if (outcome.status !== "paid") throw new Error(`the payment ended ${outcome.status}`);
  return outcome;
}

async function balanceOf(db: SqlRunner, userId: number): Promise<number | undefined> {
  return (await ledgerRows(db, "shop", userId)).at(-1)?.balanceAfter;
}

Deno.test("malformed updates are rejected and confirmed, counted, never replayed; the tenant serves on", async () => {
  await using world = await TenantWorld.start();
  const account = world.sandbox.createBot({ username: "shop_bot" });
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  const first = await startShop(world, account, []);
  try {
    world.sandbox.deliverRaw(account.token, { message: "hi" });
    world.sandbox.deliverRaw(account.token, {
      message: { message_id: 1, date: 0, text: "/start" },
    });
    await ann.send(account, "/start");
    assertStringIncludes((await ann.waitForMessage(account)).text ?? "", "Hello, Ann!");
    await waitUntil("every update confirmed", () => account.pendingUpdateCount === 0);

    const inbox = new Inbox("shop", world.sandbox.clock);
    const reasons = (await inbox.rejected(world.db)).map((rejected) => rejected.reason).sort();
    assertEquals(reasons, ["message must be an object, got a string", "message.chat is missing"]);
    const text = await first.metrics.render();
    assertEquals(sampleValue(text, "constellation_updates_rejected_total", { tenant: "shop" }), 2);
    const errors = sampleValue(text, "constellation_handler_errors_total", { tenant: "shop" });
    assertEquals(errors ?? 0, 0);
  } finally {
    await first.runtime.stop();
  }

  const second = await startShop(world, account, []);
  try {
    await ann.send(account, "/balance");
    assertEquals((await ann.waitForMessage(account)).text, "Your balance: 0 credits.");
    const inbox = new Inbox("shop", world.sandbox.clock);
    await waitUntil("no update pending", async () => (await inbox.pending(world.db)).length === 0);
    const text = await second.metrics.render();
    const rejected = sampleValue(text, "constellation_updates_rejected_total", { tenant: "shop" });
    assertEquals(rejected ?? 0, 0, "nothing delivered again");
    assertEquals(second.runtime.tenants()[0].restarts, 0);
  } finally {
    await second.runtime.stop();
  }
});

Deno.test("a payment update without `from` is set aside, admins told; the tenant serves on and reconciliation credits the payment", async () => {
  await using world = await TenantWorld.start();
  const account = world.sandbox.createBot({ username: "shop_bot" });
  const boss = world.sandbox.createUser({ firstName: "Boss", languageCode: "en" });
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  const bob = world.sandbox.createUser({ firstName: "Bob", languageCode: "en", stars: 100 });
  const { runtime, metrics } = await startShop(world, account, [boss.id]);
  try {
    await boss.send(account, "/start"); // so that the bot may write to its admin
    await boss.waitForMessage(account);

    // Ann really pays, but what arrives is a poison copy of her payment: no payer.
    world.sandbox.dropNextSuccessfulPayment(account.token);
    const paid = await buyCredits(ann, account);
    const { from: _payer, ...withoutPayer } = paid.message;
    const poison = world.sandbox.deliverRaw(account.token, { message: withoutPayer });

    const notice = await boss.waitForMessage(account, isDeadLetterNotice);
    assertEquals(
      notice.text,
      `⚠️ Update ${poison.update_id} (successful_payment) was set aside: malformed: ` +
        "message.from is missing (a payment names its payer). The bot goes on with the next " +
        "updates; an operator can retry or discard it (/status lists it).\nIt carries a " +
        "payment: reconciliation (/reconcile) credits it from Telegram's transactions.",
    );
    const [letter] = await runtime.deadLetters();
    assertEquals(
      [letter.tenantId, letter.updateId, letter.kind, letter.movesMoney, letter.attempts],
      ["shop", poison.update_id, "successful_payment", true, 0],
    );

    // A later, legitimate payment is credited as usual: the tenant never stopped.
    await buyCredits(bob, account);
    await bob.waitForMessage(account, isReceipt);
    assertEquals(await balanceOf(world.db, bob.id), 100);
    assertEquals(await balanceOf(world.db, ann.id), undefined, "nothing credited from the poison");

    // Telegram lists Ann's payment: reconciliation applies it.
    await boss.send(account, "/reconcile");
    const report = await boss.waitForMessage(
      account,
      (m) => m.text?.startsWith("Reconcil") ?? false,
    );
    assertStringIncludes(report.text ?? "", "1 lost payments applied");
    const receipt = await ann.waitForMessage(account, isReceipt);
    assertStringIncludes(receipt.text ?? "", paid.chargeId);
    assertEquals(await balanceOf(world.db, ann.id), 100);

    const text = await metrics.render();
    assertEquals(
      sampleValue(text, "constellation_updates_dead_lettered_total", { tenant: "shop" }),
      1,
    );
    assertEquals(sampleValue(text, "constellation_update_dead_letters", { tenant: "shop" }), 1);
    assertEquals(runtime.tenants()[0].restarts, 0);
    assertEquals(boss.messages(account).filter(isDeadLetterNotice).length, 1);
  } finally {
    await runtime.stop();
  }
});

/** `db`, whose statements recording a payment fail while `refusing.on`: a storage fault. */
function refusingPayments(db: Database, refusing: { on: boolean }): Database {
  const guard = (runner: SqlRunner): SqlRunner => ({
    all: (sql, params) => runner.all(sql, params),
    get: (sql, params) => runner.get(sql, params),
    run: (sql, params) =>
      refusing.on && /^\s*INSERT INTO payments\b/.test(sql)
        ? Promise.reject(new Error("disk I/O error"))
        : runner.run(sql, params),
  });
  return {
    ...guard(db),
    dialect: db.dialect,
    transaction: (fn) => db.transaction((tx) => fn(guard(tx))),
    close: () => db.close(),
  };
}

Deno.test("a payment update failing three times is set aside, admins told once; retried, it is credited", async () => {
  const refusing = { on: true };
  await using world = await TenantWorld.start({ wrapDb: (db) => refusingPayments(db, refusing) });
  const account = world.sandbox.createBot({ username: "shop_bot" });
  const boss = world.sandbox.createUser({ firstName: "Boss", languageCode: "en" });
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  const bob = world.sandbox.createUser({ firstName: "Bob", languageCode: "en" });
  const { runtime } = await startShop(world, account, [boss.id], {
    backoff: { minMs: 20, maxMs: 100, jitter: 0 },
  });
  try {
    await boss.send(account, "/start");
    await boss.waitForMessage(account);

    const paid = await buyCredits(ann, account);
    const notice = await boss.waitForMessage(account, isDeadLetterNotice);
    assertStringIncludes(notice.text ?? "", `Update ${paid.updateId} (successful_payment)`);
    assertStringIncludes(notice.text ?? "", "failed 3 times: disk I/O error");
    const attempts = await world.db.get<{ attempts: number; done_at: number | null }>(
      "SELECT attempts, done_at FROM inbox WHERE tenant_id = 'shop' AND update_id = ?",
      [paid.updateId!],
    );
    assertEquals(Number(attempts?.attempts), 3);
    assertTrue(attempts?.done_at !== null, "no longer pending");
    await waitUntil("the tenant running", () => runtime.tenants()[0].state === "running");
    assertEquals(runtime.tenants()[0].restarts, 2, "restarted for the first two failures only");

    // The tenant goes on with the next updates.
    await bob.send(account, "/start");
    assertStringIncludes((await bob.waitForMessage(account)).text ?? "", "Hello, Bob!");

    // Storage is fixed; an operator retries: the payment is applied once, the admin told once.
    refusing.on = false;
    assertEquals(await runtime.retryDeadLetter("shop", 424242), "not_found");
    assertEquals(await runtime.retryDeadLetter("nobody", paid.updateId!), "not_found");
    assertEquals(await runtime.retryDeadLetter("shop", paid.updateId!), "retried");
    const receipt = await ann.waitForMessage(account, isReceipt);
    assertStringIncludes(receipt.text ?? "", paid.chargeId);
    assertEquals(await balanceOf(world.db, ann.id), 100);
    assertEquals(await runtime.deadLetters(), []);
    assertEquals(boss.messages(account).filter(isDeadLetterNotice).length, 1);
  } finally {
    await runtime.stop();
  }
});
