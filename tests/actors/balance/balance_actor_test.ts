import { reset } from "@logtape/logtape";
import {
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
  assertTrue,
} from "../../support/assert.ts";
import { captureLogs, renderedLogs } from "../../support/log_capture.ts";
import {
  BalanceUnavailableError,
  FloodWaitError,
  type StarBalance,
  UnknownBalanceTenantError,
  UpstreamTimeoutError,
} from "../../../money/bot_stars/types.ts";
import { ActorStoppedError } from "../../../actors/kernel/actor.ts";
import { startBalanceActor } from "../../../actors/balance/balance_actor.ts";
import { BalanceClient } from "../../../actors/balance/balance_client.ts";
import { flushMicrotasks, ManualClock } from "../../../actors/kernel/clock.ts";
import { LAST_BALANCE_KEY, saveLastBalance } from "../../../money/bot_stars/last_balance.ts";
import type { Database, SqlValue } from "../../../money/ports.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { balanceWorld, FakeTenant, Held, settled, START, transaction } from "./balance_fixture.ts";

const STARS = { amount: 1200, nanostarAmount: 5 };

Deno.test("100 concurrent balance asks share one upstream call", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  const held = new Held<{ amount: number }>();
  shop.bot.next(held);
  await world.client.register(shop.tenant({ mtproto: false }));

  const asks = Array.from({ length: 100 }, () => world.client.balance("shop"));
  await flushMicrotasks();
  assertEquals(shop.bot.calls.length, 1);
  held.release({ amount: 77 });
  const answers = await Promise.all(asks);
  assertEquals(new Set(answers.map((answer) => answer.amount)), new Set([77]));
  assertEquals(shop.bot.calls.length, 1);
  await world.close();
});

Deno.test("the balance is cached for the tenant's TTL, then read again", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.bot.next({ value: { amount: 10 } }, { value: { amount: 11 } });
  await world.client.register(shop.tenant({ mtproto: false, cacheTtlMs: 30_000 }));

  const first = await world.client.balance("shop");
  assertEquals([first.amount, first.ageMs, first.stale, first.fetchedAt], [10, 0, false, START]);
  await world.clock.advance(29_999);
  const cached = await world.client.balance("shop");
  assertEquals([cached.amount, cached.ageMs, cached.source], [10, 29_999, "bot_api"]);
  assertEquals(shop.bot.calls.length, 1, "no call before the TTL is over");

  await world.clock.advance(1);
  const fresh = await world.client.balance("shop");
  assertEquals([fresh.amount, fresh.ageMs, fresh.fetchedAt], [11, 0, START + 30_000]);
  assertEquals(shop.bot.calls.length, 2);
  await world.close();
});

Deno.test("invalidate makes the next balance and transactions reads fresh", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.bot.next({ value: { amount: 10 } }, { value: { amount: 60 } });
  shop.transactions.next(
    { value: { transactions: [] } },
    { value: { transactions: [transaction("charge_1", 50)] } },
  );
  await world.client.register(shop.tenant({ mtproto: false }));
  assertEquals((await world.client.balance("shop")).amount, 10);
  assertEquals((await world.client.transactions("shop", 0, 10)).transactions, []);

  await world.client.invalidate("shop");
  assertEquals((await world.client.balance("shop")).amount, 60);
  const page = await world.client.transactions("shop", 0, 10);
  assertEquals(page.transactions.map((t) => t.id), ["charge_1"]);
  assertEquals([shop.bot.calls.length, shop.transactions.calls.length], [2, 2]);
  await world.close();
});

Deno.test("a read running when invalidated answers its askers, but is neither cached nor joined", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  const before = new Held<{ amount: number }>();
  shop.bot.next(before, { value: { amount: 60 } });
  await world.client.register(shop.tenant({ mtproto: false }));

  const early = world.client.balance("shop");
  await flushMicrotasks();
  await world.client.invalidate("shop"); // a payment landed while Telegram was answering
  const late = world.client.balance("shop");
  await flushMicrotasks();
  assertEquals(shop.bot.calls.length, 1, "the second read waits for the first (one in flight)");
  before.release({ amount: 10 });
  assertEquals((await early).amount, 10);
  assertEquals((await late).amount, 60, "the ask after the invalidation gets a fresh read");
  assertEquals((await world.client.balance("shop")).amount, 60, "the fresh read is cached");
  assertEquals(shop.bot.calls.length, 2);
  await world.close();
});

Deno.test("fallback: MTProto self answers first", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.self.next({ value: STARS });
  await world.client.register(shop.tenant());
  const balance = await world.client.balance("shop");
  assertEquals(
    balance,
    {
      amount: 1200,
      nanostarAmount: 5,
      source: "mtproto_self",
      fetchedAt: START,
      ageMs: 0,
      stale: false,
      skipped: [],
    } satisfies StarBalance,
  );
  assertEquals([shop.user.calls.length, shop.bot.calls.length], [0, 0]);
  await world.close();
});

Deno.test("fallback: self fails → MTProto user, with the reason self was skipped", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.self.next({ error: new Error("PEER_ID_INVALID") });
  shop.user.next({ value: STARS });
  await world.client.register(shop.tenant());
  const balance = await world.client.balance("shop");
  assertEquals([balance.source, balance.amount, balance.stale], ["mtproto_user", 1200, false]);
  assertEquals(balance.skipped, [{ source: "mtproto_self", reason: "PEER_ID_INVALID" }]);
  assertEquals(shop.bot.calls.length, 0);
  await world.close();
});

Deno.test("fallback: self and user fail → Bot API", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.self.next({ error: new Error("PEER_ID_INVALID") });
  shop.user.next({ error: new Error("USER_BOT_REQUIRED") });
  shop.bot.next({ value: { amount: 3 } });
  await world.client.register(shop.tenant());
  const balance = await world.client.balance("shop");
  assertEquals([balance.source, balance.amount, balance.nanostarAmount], ["bot_api", 3, 0]);
  assertEquals(balance.skipped, [
    { source: "mtproto_self", reason: "PEER_ID_INVALID" },
    { source: "mtproto_user", reason: "USER_BOT_REQUIRED" },
  ]);
  await world.close();
});

Deno.test("fallback: without MTProto both MTProto steps are skipped with the reason", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.bot.next({ value: { amount: 3 } });
  await world.client.register(shop.tenant({ mtproto: false }));
  const balance = await world.client.balance("shop");
  assertEquals(balance.source, "bot_api");
  assertEquals(balance.skipped, [
    { source: "mtproto_self", reason: "no MTProto credentials" },
    { source: "mtproto_user", reason: "no MTProto credentials" },
  ]);
  assertEquals([shop.self.calls.length, shop.user.calls.length], [0, 0]);
  await world.close();
});

Deno.test("fallback: everything fails → the last known value, stale, with its age", async () => {
  const world = await balanceWorld();
  await saveLastBalance(world.db, "shop", {
    amount: 900,
    nanostarAmount: 0,
    source: "mtproto_user",
    fetchedAt: START - 3_600_000,
  });
  const shop = new FakeTenant(world.clock, "shop");
  shop.self.next({ error: new Error("PEER_ID_INVALID") });
  shop.user.next({ error: new Error("AUTH_KEY_UNREGISTERED") });
  shop.bot.next({ error: new Error("Bad Gateway") });
  await world.client.register(shop.tenant());
  const balance = await world.client.balance("shop");
  assertEquals(
    balance,
    {
      amount: 900,
      nanostarAmount: 0,
      source: "last_known",
      fetchedAt: START - 3_600_000,
      ageMs: 3_600_000,
      stale: true,
      skipped: [
        { source: "mtproto_self", reason: "PEER_ID_INVALID" },
        { source: "mtproto_user", reason: "AUTH_KEY_UNREGISTERED" },
        { source: "bot_api", reason: "Bad Gateway" },
      ],
    } satisfies StarBalance,
  );
  await world.close();
});

Deno.test("fallback: nothing ever known → a clear error listing every step's reason", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.bot.next({ error: new Error("Bad Gateway") });
  await world.client.register(shop.tenant({ mtproto: false }));
  const error = await assertRejects(() => world.client.balance("shop"), BalanceUnavailableError);
  assertEquals(
    error.message,
    'no Stars balance for tenant "shop": mtproto_self: no MTProto credentials; ' +
      "mtproto_user: no MTProto credentials; bot_api: Bad Gateway; " +
      "last_known: no balance was ever read from Telegram",
  );
  assertEquals((error as BalanceUnavailableError).skipped.length, 4);
  await world.close();
});

Deno.test("an answer that is not a valid amount is a failed step, never a balance", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.self.next({ value: { amount: 1.5 } });
  shop.user.next({ value: { amount: 5, nanostarAmount: -1 } });
  shop.bot.next({ value: { amount: 4 } });
  await world.client.register(shop.tenant());
  const balance = await world.client.balance("shop");
  assertEquals(balance.amount, 4);
  assertEquals(balance.skipped.map((step) => step.reason), [
    "payments.getStarsStatus(self): expected an integer amount, got 1.5",
    "payments.getStarsStatus(user): expected amount and nanostarAmount of the same sign, " +
    "got 5 and -1",
  ]);
  await world.close();
});

Deno.test("every skipped step is logged with its reason; bot tokens are redacted", async () => {
  // The category balance_fixture.ts gives the actor's logger.
  const records = await captureLogs(["test-balance"]);
  try {
    const world = await balanceWorld();
    const shop = new FakeTenant(world.clock, "shop");
    shop.bot.next({
      error: new Error("GET /bot123456:AAEabcdefghijklmnopqrstuvwxyz012345/getMyStarBalance: 502"),
    });
    await world.client.register(shop.tenant({ mtproto: false }));
    await assertRejects(() => world.client.balance("shop"), BalanceUnavailableError, "<redacted>");
    const lines = renderedLogs(records);
    assertEquals(lines.filter((line) => line.includes("skipped")), [
      "debug: Balance of shop: skipped mtproto_self: no MTProto credentials",
      "debug: Balance of shop: skipped mtproto_user: no MTProto credentials",
      "info: Balance of shop: skipped bot_api: GET /bot<redacted>/getMyStarBalance: 502",
    ]);
    await world.close();
  } finally {
    await reset();
  }
});

Deno.test("stale-while-error: after the TTL, a failing chain serves the cached value as stale", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.bot.next({ value: { amount: 42 } }, { error: new Error("Bad Gateway") });
  await world.client.register(shop.tenant({ mtproto: false, cacheTtlMs: 60_000 }));
  assertEquals((await world.client.balance("shop")).stale, false);

  await world.clock.advance(90_000);
  const balance = await world.client.balance("shop");
  assertEquals(
    [balance.amount, balance.source, balance.stale, balance.ageMs, balance.fetchedAt],
    [42, "last_known", true, 90_000, START],
  );
  assertEquals(balance.skipped.at(-1), { source: "bot_api", reason: "Bad Gateway" });
  await world.close();
});

Deno.test("stale-while-error: the value cached in memory is served when storing it had failed", async () => {
  const db = await openDatabase("sqlite::memory:");
  // Reads work, writes fail, as when the disk is full.
  const failingWrites: Database = {
    dialect: db.dialect,
    all: <T>(sql: string, params?: readonly SqlValue[]) => db.all<T>(sql, params),
    get: <T>(sql: string, params?: readonly SqlValue[]) => db.get<T>(sql, params),
    run: () => Promise.reject(new Error("disk I/O error")),
    transaction: (fn) => db.transaction(fn),
    close: () => db.close(),
  };
  const world = await balanceWorld({ db: failingWrites });
  const shop = new FakeTenant(world.clock, "shop");
  shop.bot.next({ value: { amount: 42 } }, { error: new Error("Bad Gateway") });
  await world.client.register(shop.tenant({ mtproto: false }));
  assertEquals((await world.client.balance("shop")).amount, 42);
  await world.clock.advance(120_000);
  const balance = await world.client.balance("shop");
  assertEquals([balance.amount, balance.stale, balance.ageMs], [42, true, 120_000]);
  assertEquals(await db.get("SELECT value FROM kv"), undefined, "nothing was stored");
  await world.actor.stop();
  await db.close();
});

Deno.test("the last known balance survives a restart on the same database", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = `sqlite:${dir}/balance.db`;
    const clock = new ManualClock(START);
    const first = await balanceWorld({ db: await openDatabase(url), clock });
    const shop = new FakeTenant(clock, "shop");
    shop.self.next({ value: STARS });
    await first.client.register(shop.tenant());
    assertEquals((await first.client.balance("shop")).source, "mtproto_self");
    const row = await first.db.get<{ value: string }>(
      "SELECT value FROM kv WHERE tenant_id = ? AND key = ?",
      ["shop", LAST_BALANCE_KEY],
    );
    assertEquals(JSON.parse(row!.value), {
      amount: 1200,
      nanostarAmount: 5,
      source: "mtproto_self",
      fetchedAt: START,
    });
    await first.close();

    await clock.advance(5 * 60_000);
    const second = await balanceWorld({ db: await openDatabase(url), clock });
    const restarted = new FakeTenant(clock, "shop"); // every call fails
    await second.client.register(restarted.tenant());
    const balance = await second.client.balance("shop");
    assertEquals(
      [balance.amount, balance.nanostarAmount, balance.source, balance.stale, balance.ageMs],
      [1200, 5, "last_known", true, 5 * 60_000],
    );
    await second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a flood wait on tenant A delays only A; A's next call waits until it is over", async () => {
  const world = await balanceWorld();
  const a = new FakeTenant(world.clock, "a");
  const b = new FakeTenant(world.clock, "b");
  a.bot.next({ error: new FloodWaitError(30, "getMyStarBalance") }, { value: { amount: 1 } });
  b.bot.always({ value: { amount: 2 } });
  await world.client.register(a.tenant({ mtproto: false }));
  await world.client.register(b.tenant({ mtproto: false }));

  const askA = world.client.balance("a");
  await flushMicrotasks();
  const answerB = await world.client.balance("b");
  assertEquals([answerB.amount, answerB.fetchedAt], [2, START], "B is not held up by A");
  assertEquals(await settled(askA), false);

  await world.clock.advance(29_999);
  assertEquals(a.bot.times, [0], "A makes no call during its flood wait");
  await world.clock.advance(1);
  const answerA = await askA;
  assertEquals(a.bot.times, [0, 30_000]);
  assertEquals([answerA.amount, answerA.stale, answerA.fetchedAt], [1, false, START + 30_000]);
  await world.close();
});

Deno.test("a flood wait longer than floodWaitMaxMs fails fast with stale data, and blocks calls until over", async () => {
  const world = await balanceWorld({ floodWaitMaxMs: 60_000 });
  const shop = new FakeTenant(world.clock, "shop");
  shop.bot.next({ value: { amount: 8 } }, { error: new FloodWaitError(300) }, {
    value: { amount: 9 },
  });
  await world.client.register(shop.tenant({ mtproto: false, cacheTtlMs: 1_000 }));
  assertEquals((await world.client.balance("shop")).amount, 8);

  await world.clock.advance(1_000);
  const flooded = await world.client.balance("shop");
  assertEquals([flooded.amount, flooded.stale], [8, true]);
  assertEquals(flooded.skipped.at(-1), {
    source: "bot_api",
    reason: "Telegram asked to wait 300 s before calling again",
  });

  await world.clock.advance(100_000); // 200 s of the wait left: still too long to sleep
  const blocked = await world.client.balance("shop");
  assertEquals(shop.bot.calls.length, 2, "no call while the long flood wait is in force");
  assertEquals(blocked.stale, true);
  assertStringIncludes(blocked.skipped.at(-1)!.reason, "wait 200 s");
  assertStringIncludes(blocked.skipped.at(-1)!.reason, "longer than floodWaitMaxMs");

  await world.clock.advance(150_000); // 50 s left: short enough to sleep
  const waited = world.client.balance("shop");
  await world.clock.advance(49_999);
  assertEquals(shop.bot.calls.length, 2);
  await world.clock.advance(1);
  assertEquals((await waited).amount, 9);
  assertEquals(shop.bot.times, [0, 1_000, 301_000]);
  await world.close();
});

Deno.test("an MTProto flood wait leaves the Bot API free", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.self.next({ error: new FloodWaitError(3_600, "payments.getStarsStatus") });
  shop.bot.next({ value: { amount: 5 } });
  await world.client.register(shop.tenant());
  const balance = await world.client.balance("shop");
  assertEquals([balance.source, balance.amount], ["bot_api", 5]);
  assertEquals(shop.user.calls.length, 0, "the user peer is on the same flood-waiting session");
  assertStringIncludes(balance.skipped[1].reason, "payments.getStarsStatus(user) not called");
  await world.close();
});

Deno.test("an upstream call that hangs times out and its signal is aborted", async () => {
  const world = await balanceWorld({ callTimeoutMs: 10_000 });
  const shop = new FakeTenant(world.clock, "shop");
  shop.bot.next("hang");
  await world.client.register(shop.tenant({ mtproto: false }));
  const ask = world.client.balance("shop");
  await world.clock.advance(9_999);
  assertEquals(await settled(ask), false);
  await world.clock.advance(1);
  const error = await assertRejects(() => ask, BalanceUnavailableError);
  assertStringIncludes(error.message, "bot_api: getMyStarBalance gave no answer within 10000 ms");
  const signal = shop.bot.calls[0].signal;
  assertTrue(signal.aborted && signal.reason instanceof UpstreamTimeoutError);
  await world.close();
});

Deno.test("an MTProto timeout skips the user step instead of spending a second timeout", async () => {
  const world = await balanceWorld({ callTimeoutMs: 10_000 });
  const shop = new FakeTenant(world.clock, "shop");
  shop.self.next("hang");
  shop.bot.next({ value: { amount: 6 } });
  await world.client.register(shop.tenant());
  const ask = world.client.balance("shop");
  await world.clock.advance(10_000);
  const balance = await ask;
  assertEquals([balance.source, balance.amount, balance.fetchedAt], ["bot_api", 6, START + 10_000]);
  assertEquals(shop.user.calls.length, 0);
  assertEquals(balance.skipped[1], {
    source: "mtproto_user",
    reason: "not asked: payments.getStarsStatus(self) gave no answer within 10000 ms",
  });
  await world.close();
});

Deno.test("transaction pages are coalesced, cached by offset and limit, and expire", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  const held = new Held<{ transactions: ReturnType<typeof transaction>[] }>();
  shop.transactions.next(held, { value: { transactions: [transaction("t_2", 5)] } }, {
    value: { transactions: [transaction("t_1b", 7)] },
  });
  await world.client.register(shop.tenant({ mtproto: false, cacheTtlMs: 60_000 }));

  const asks = Array.from({ length: 100 }, () => world.client.transactions("shop", 0, 10));
  await flushMicrotasks();
  assertEquals(shop.transactions.calls.length, 1);
  held.release({ transactions: [transaction("t_1", 3)] });
  for (const page of await Promise.all(asks)) {
    assertEquals([page.offset, page.limit, page.transactions.map((t) => t.id)], [0, 10, ["t_1"]]);
  }

  const second = await world.client.transactions("shop", 10, 10);
  assertEquals(second.transactions.map((t) => t.id), ["t_2"]);
  assertEquals(shop.transactions.calls.map((call) => call.args), [[0, 10], [10, 10]]);

  await world.clock.advance(59_999);
  const cached = await world.client.transactions("shop", 0, 10);
  assertEquals([cached.transactions[0].id, cached.ageMs], ["t_1", 59_999]);
  assertEquals(shop.transactions.calls.length, 2);

  await world.clock.advance(1);
  const refreshed = await world.client.transactions("shop", 0, 10);
  assertEquals([refreshed.transactions[0].id, refreshed.ageMs], ["t_1b", 0]);
  assertEquals(shop.transactions.calls.length, 3);
  await world.close();
});

Deno.test("a failed transactions read rejects with the upstream's error", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.transactions.next({ value: { transactions: [] } }, { error: new Error("Bad Gateway") });
  await world.client.register(shop.tenant({ mtproto: false, cacheTtlMs: 1_000 }));
  await world.client.transactions("shop", 0, 10);
  await world.clock.advance(1_000);
  await assertRejects(() => world.client.transactions("shop", 0, 10), Error, "Bad Gateway");
  await world.close();
});

Deno.test("one upstream call in flight per tenant: a different request waits for the first", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  const other = new FakeTenant(world.clock, "other");
  const held = new Held<{ amount: number }>();
  shop.bot.next(held);
  shop.transactions.next({ value: { transactions: [] } });
  other.transactions.next({ value: { transactions: [] } });
  await world.client.register(shop.tenant({ mtproto: false }));
  await world.client.register(other.tenant({ mtproto: false }));

  const balance = world.client.balance("shop");
  const page = world.client.transactions("shop", 0, 10);
  await world.client.transactions("other", 0, 10); // another tenant is not held up
  assertEquals([shop.bot.calls.length, shop.transactions.calls.length], [1, 0]);
  assertEquals(await settled(page), false);

  held.release({ amount: 1 });
  assertEquals((await balance).amount, 1);
  assertEquals((await page).transactions, []);
  assertEquals(shop.maxInFlight, 1);
  await world.close();
});

Deno.test("an unknown tenant gets a clear error; so do bad page requests", async () => {
  const world = await balanceWorld();
  await assertRejects(
    () => world.client.balance("nope"),
    UnknownBalanceTenantError,
    'balance: tenant "nope" is not registered',
  );
  await assertRejects(() => world.client.transactions("nope", 0, 10), UnknownBalanceTenantError);
  const shop = new FakeTenant(world.clock, "shop");
  await world.client.register(shop.tenant({ mtproto: false }));
  await assertRejects(
    () => world.client.transactions("shop", 0, 101),
    RangeError,
    "transactions limit must be an integer from 1 to 100, got 101",
  );
  await assertRejects(
    () => world.client.transactions("shop", -1, 10),
    RangeError,
    "transactions offset must be an integer >= 0, got -1",
  );
  assertEquals(shop.callCount, 0);
  await world.close();
});

Deno.test("unregistering fails the tenant's waiting requests and aborts its call", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.bot.next(new Held());
  await world.client.register(shop.tenant({ mtproto: false }));
  const balance = world.client.balance("shop");
  const page = world.client.transactions("shop", 0, 10);
  await flushMicrotasks();
  await world.client.unregister("shop");
  await assertRejects(() => balance, UnknownBalanceTenantError, "was unregistered");
  await assertRejects(() => page, UnknownBalanceTenantError, "was unregistered");
  assertTrue(shop.bot.calls[0].signal.aborted);
  await assertRejects(() => world.client.balance("shop"), UnknownBalanceTenantError);
  await world.close();
});

Deno.test("registering again takes the new upstreams and drops the cache", async () => {
  const world = await balanceWorld();
  const before = new FakeTenant(world.clock, "shop");
  const after = new FakeTenant(world.clock, "shop");
  before.bot.next({ value: { amount: 1 } });
  after.bot.next({ value: { amount: 2 } });
  await world.client.register(before.tenant({ mtproto: false }));
  assertEquals((await world.client.balance("shop")).amount, 1);
  await world.client.register(after.tenant({ mtproto: false }));
  assertEquals((await world.client.balance("shop")).amount, 2);
  await world.close();
});

Deno.test("an invalid tenant is refused by the client, and ignored by the actor", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  const broken = { ...shop.tenant(), cacheTtlMs: 0 };
  assertThrows(
    () => world.client.register(broken),
    TypeError,
    'balance tenant "shop": cacheTtlMs must be a finite number of ms > 0, got 0',
  );
  await world.actor.ref.send({ type: "Register", tenant: broken });
  await assertRejects(() => world.client.balance("shop"), UnknownBalanceTenantError);
  await world.close();
});

Deno.test("stopping the actor fails waiting asks and aborts the running call", async () => {
  const world = await balanceWorld();
  const shop = new FakeTenant(world.clock, "shop");
  shop.bot.next(new Held());
  await world.client.register(shop.tenant({ mtproto: false }));
  const balance = world.client.balance("shop");
  await flushMicrotasks();
  await world.actor.stop();
  await assertRejects(() => balance, ActorStoppedError);
  assertTrue(shop.bot.calls[0].signal.aborted);
  await world.db.close();
});

Deno.test("bad actor and client options are refused with the option's name", async () => {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(START);
  assertThrows(
    () => startBalanceActor({ db, clock, callTimeoutMs: 0 }),
    RangeError,
    "callTimeoutMs must be a finite number of ms >= 1, got 0",
  );
  assertThrows(
    () => startBalanceActor({ db, clock, floodWaitMaxMs: -1 }),
    RangeError,
    "floodWaitMaxMs must be a finite number of ms >= 0, got -1",
  );
  const actor = startBalanceActor({ db, clock });
  assertThrows(() => new BalanceClient(actor.ref, Infinity), RangeError, "timeoutMs");
  await actor.stop();
  await db.close();
});
