/**
 * End to end: the runtime's supervision of whole tenants against the sandbox. A tenant whose
 * payment update fails crashes and is restarted, and its restart applies the payment; a tenant
 * that dies for good is parked without touching the other tenants of the process.
 */
import type { Database, SqlRunner, SqlValue } from "../../../money/ports.ts";
import { StorageError } from "../../../money/ports.ts";
import { assertEquals, assertStringIncludes } from "../../support/assert.ts";
import {
  inboxState,
  ledgerRows,
  outboxRows,
  paymentRows,
  TenantWorld,
} from "../../support/tenant_world.ts";
import { waitUntil } from "../../support/wait.ts";
import { eachEngine } from "../../support/engines.ts";

/** Restarts in milliseconds, so a crash-and-restart fits in a fast test. */
const quickRestarts = { backoff: { minMs: 10, maxMs: 50 } };

/**
 * A database whose next write matching a pattern fails, as a full disk or a lost connection
 * would fail it; everything else goes to the real database.
 */
class FaultyDatabase implements Database {
  readonly #inner: Database;
  readonly #faults: RegExp[] = [];

  constructor(inner: Database) {
    this.#inner = inner;
  }

  get dialect(): Database["dialect"] {
    return this.#inner.dialect;
  }

  /** Makes the next statement that matches `pattern` fail once. */
  failNextWrite(pattern: RegExp): void {
    this.#faults.push(pattern);
  }

  #run(runner: SqlRunner, sql: string, params?: readonly SqlValue[]) {
    const fault = this.#faults.findIndex((pattern) => pattern.test(sql));
    if (fault === -1) return runner.run(sql, params);
    this.#faults.splice(fault, 1);
    return Promise.reject(new StorageError("disk I/O error (injected by the test)"));
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#inner.all<T>(sql, params);
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.#inner.get<T>(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.#run(this.#inner, sql, params);
  }

  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#inner.transaction((tx) =>
      fn({
        all: (sql, params) => tx.all(sql, params),
        get: (sql, params) => tx.get(sql, params),
        run: (sql, params) => this.#run(tx, sql, params),
      })
    );
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

eachEngine.test("a payment whose update fails stays pending, and the restarted tenant applies it once", async ({ engine }) => {
  let faulty: FaultyDatabase | undefined;
  await using world = await TenantWorld.start({
    engine,
    wrapDb: (db) => faulty = new FaultyDatabase(db),
  });
  const account = world.sandbox.createBot({ username: "shop_bot" });
  const runtime = await world.startRuntime([await world.tenant(account)], quickRestarts);
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  await ann.send(account, "/start buy_credits_100");
  const invoice = await ann.waitForMessage(account, (m) => m.invoice !== undefined);

  faulty!.failNextWrite(/INSERT INTO payments/);
  const paid = await ann.pay(account, invoice);
  if (paid.status !== "paid") throw new Error(`expected a payment, got ${paid.status}`);

  const receipt = await ann.waitForMessage(account, (m) => m.text?.startsWith("✅") ?? false);
  assertStringIncludes(receipt.text!, `Receipt: ${paid.chargeId}`);
  const [status] = runtime.tenants();
  assertEquals([status.id, status.state, status.restarts], ["shop", "running", 1]);
  assertStringIncludes(status.lastError ?? "", `payment update ${paid.updateId} failed`);
  assertStringIncludes(status.lastError ?? "", "disk I/O error (injected by the test)");
  await waitUntil(
    "the payment update marked done",
    async () => await inboxState(world.db, "shop", paid.updateId!) === "done",
  );
  assertEquals(await ledgerRows(world.db, "shop"), [
    {
      userId: ann.id,
      kind: "deposit",
      amount: 100,
      balanceAfter: 100,
      idempotencyKey: `payment:${paid.chargeId}`,
    },
  ]);
  assertEquals((await paymentRows(world.db, "shop")).map((row) => row.chargeId), [paid.chargeId]);
  await waitUntil(
    "the receipt marked sent",
    async () => (await outboxRows(world.db, "shop"))[0]?.sent,
  );
  assertEquals((await outboxRows(world.db, "shop")).map((row) => row.id), [
    `receipt:${paid.chargeId}`,
  ]);
  // One receipt, and no "something went wrong": a payment's failure is retried, not reported.
  assertEquals(ann.messages(account).map((m) => m.text ?? "[invoice]"), [
    "[invoice]",
    receipt.text,
  ]);
  assertEquals(ann.stars, 50);
});

Deno.test("a tenant whose token is revoked is parked; the other tenant keeps serving", async () => {
  await using world = await TenantWorld.start();
  const shop = world.sandbox.createBot({ username: "shop_bot" });
  const quiz = world.sandbox.createBot({ username: "quiz_bot" });
  const runtime = await world.startRuntime(
    [await world.tenant(shop), await world.tenant(quiz)],
    quickRestarts,
  );
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
  for (const account of [shop, quiz]) {
    await ann.send(account, "/start");
    assertStringIncludes((await ann.waitForMessage(account)).text ?? "", "Hello, Ann!");
  }

  // Mid-run: the quiz bot's long poll ends with 401, which no restart can fix.
  world.sandbox.revokeToken(quiz.token);
  const parked = await waitUntil(
    "the quiz tenant parked",
    () => runtime.tenants().find((s) => s.id === "quiz" && s.state === "failed"),
  );
  assertStringIncludes(parked.lastError ?? "", "401");
  assertEquals(parked.restarts, 0, "parked at once, not restarted against a dead token");

  await ann.send(shop, "/start buy_credits_100");
  const invoice = await ann.waitForMessage(shop, (m) => m.invoice !== undefined);
  const paid = await ann.pay(shop, invoice);
  if (paid.status !== "paid") throw new Error(`expected a payment, got ${paid.status}`);
  await ann.waitForMessage(shop, (m) => m.text?.startsWith("✅") ?? false);
  assertEquals((await ledgerRows(world.db, "shop", ann.id)).map((row) => row.balanceAfter), [100]);
  // Reports come sorted by tenant id.
  assertEquals(
    runtime.tenants().map((s) => [s.id, s.state, s.restarts]),
    [["quiz", "failed", 0], ["shop", "running", 0]],
  );
});

Deno.test("a tenant whose Bot API cannot be reached does not hold up the others", async () => {
  await using world = await TenantWorld.start();
  const shop = world.sandbox.createBot({ username: "shop_bot" });
  const lost = world.sandbox.createBot({ username: "lost_bot" });
  // Port 1 on loopback: nothing listens there, every call fails at once.
  const unreachable = { ...await world.tenant(lost), apiRoot: "http://127.0.0.1:1" };
  const runtime = await world.startRuntime([unreachable, await world.tenant(shop)], quickRestarts);
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  await ann.send(shop, "/start");
  assertStringIncludes((await ann.waitForMessage(shop)).text ?? "", "Hello, Ann!");
  const lostReport = await waitUntil(
    "the unreachable tenant retried",
    () => runtime.tenants().find((t) => t.id === "lost" && t.restarts > 0),
  );
  assertStringIncludes(lostReport.lastError ?? "", "Network request for 'getMe' failed");
});
