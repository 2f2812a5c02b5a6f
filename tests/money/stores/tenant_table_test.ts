import { assertEquals, assertThrows } from "../../support/assert.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { knownValue, TenantTable } from "../../../money/stores/tenant_table.ts";

type KvRow = { key: string; value: string };

Deno.test("insert, find and update stay within the tenant", async () => {
  const db = await openDatabase("sqlite::memory:");
  const shop = new TenantTable<KvRow>("kv", "shop", ["key", "value"]);
  const other = new TenantTable<KvRow>("kv", "other", ["key", "value"]);
  assertEquals(shop.columns, "key, value");
  assertEquals(await shop.insert(db, { key: "greeting", value: "hi" }), 1);
  assertEquals(await shop.find(db, { key: "greeting" }), { key: "greeting", value: "hi" });
  assertEquals(await other.find(db, { key: "greeting" }), undefined);
  assertEquals(await other.update(db, { value: "hello" }, { key: "greeting" }), 0);
  assertEquals(await shop.update(db, { value: "hello" }, { key: "greeting" }), 1);
  assertEquals((await shop.find(db, { key: "greeting" }))?.value, "hello");
  await db.close();
});

Deno.test("a conflict clause is appended to the insert", async () => {
  const db = await openDatabase("sqlite::memory:");
  const shop = new TenantTable<KvRow>("kv", "shop", ["key", "value"]);
  await shop.insert(db, { key: "k", value: "first" });
  assertEquals(await shop.insert(db, { key: "k", value: "second" }, "ON CONFLICT DO NOTHING"), 0);
  assertEquals((await shop.find(db, { key: "k" }))?.value, "first");
  await db.close();
});

Deno.test("a null in the key matches IS NULL, so an update can be made once", async () => {
  const db = await openDatabase("sqlite::memory:");
  type Row = { charge_id: string; user_id: number; amount: number; kind: string; paid_at: number };
  const payments = new TenantTable<Row & { refunded_at: number | null }>("payments", "shop", [
    "charge_id",
    "user_id",
    "amount",
    "kind",
    "paid_at",
    "refunded_at",
  ]);
  const paid = { charge_id: "ch_1", user_id: 7, amount: 50, kind: "item", paid_at: 1_000 };
  await payments.insert(db, { ...paid, refunded_at: null });
  const once = { charge_id: "ch_1", refunded_at: null };
  assertEquals(await payments.update(db, { refunded_at: 2_000 }, once), 1);
  assertEquals(await payments.update(db, { refunded_at: 3_000 }, once), 0);
  assertEquals(await payments.find(db, once), undefined);
  assertEquals(await payments.find(db, { charge_id: "ch_1" }), { ...paid, refunded_at: 2_000 });
  await db.close();
});

Deno.test("knownValue passes a known value and names an unknown one", () => {
  const states = ["issued", "paid"] as const;
  assertEquals(knownValue(states, "paid", "order o1 has an unknown state"), "paid");
  assertThrows(
    () => knownValue(states, "gift", "order o1 has an unknown state"),
    Error,
    'order o1 has an unknown state "gift"',
  );
});
