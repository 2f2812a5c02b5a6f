import { assertEquals, assertRejects } from "../../support/assert.ts";
import {
  type BalanceReading,
  LAST_BALANCE_KEY,
  loadLastBalance,
  saveLastBalance,
} from "../../../money/bot_stars/last_balance.ts";
import type { Database } from "../../../money/ports.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";

const READING: BalanceReading = {
  amount: -3,
  nanostarAmount: -500,
  source: "mtproto_user",
  fetchedAt: 1_735_689_600_000,
};

async function storeRaw(db: Database, tenantId: string, value: string): Promise<void> {
  await db.run("INSERT INTO kv (tenant_id, key, value) VALUES (?, ?, ?)", [
    tenantId,
    LAST_BALANCE_KEY,
    value,
  ]);
}

Deno.test("a saved balance loads back; the newest save wins; tenants are separate", async () => {
  const db = await openDatabase("sqlite::memory:");
  assertEquals(await loadLastBalance(db, "shop"), undefined);
  await saveLastBalance(db, "shop", { ...READING, amount: 1, nanostarAmount: 0 });
  await saveLastBalance(db, "shop", READING);
  await saveLastBalance(db, "cafe", { ...READING, amount: 50, nanostarAmount: 0 });
  assertEquals(await loadLastBalance(db, "shop"), READING);
  assertEquals((await loadLastBalance(db, "cafe"))?.amount, 50);
  assertEquals(await db.get("SELECT COUNT(*) AS n FROM kv WHERE tenant_id = ?", ["shop"]), {
    n: 1,
  });
  await db.close();
});

Deno.test("a stored value that is not a reading is refused with what is wrong", async () => {
  const db = await openDatabase("sqlite::memory:");
  const cases: [string, string][] = [
    ["{not json", 'stored balance:last of tenant "t0" is not JSON'],
    [
      JSON.stringify({ ...READING, amount: "12" }),
      'stored balance:last of tenant "t1": expected an integer amount, got "12"',
    ],
    [
      JSON.stringify({ ...READING, source: "last_known" }),
      'stored balance:last of tenant "t2" has source "last_known", expected one of ' +
      "mtproto_self, mtproto_user, bot_api",
    ],
    [
      JSON.stringify({ ...READING, fetchedAt: null }),
      'stored balance:last of tenant "t3" has fetchedAt null, expected an integer time',
    ],
  ];
  for (const [index, [value, message]] of cases.entries()) {
    await storeRaw(db, `t${index}`, value);
    await assertRejects(() => loadLastBalance(db, `t${index}`), Error, message);
  }
  await db.close();
});
