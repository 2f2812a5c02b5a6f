import { assertEquals, assertRejects } from "../../support/assert.ts";
import {
  loadReconcileOffset,
  RECONCILE_OFFSET_KEY,
  saveReconcileOffset,
} from "../../../money/reconciliation/checkpoint.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";

Deno.test("the checkpoint starts at 0, is kept per tenant and replaced on save", async () => {
  const db = await openDatabase("sqlite::memory:");
  assertEquals(await loadReconcileOffset(db, "shop"), 0);
  await saveReconcileOffset(db, "shop", 100);
  await saveReconcileOffset(db, "shop", 205);
  await saveReconcileOffset(db, "cafe", 3);
  assertEquals(await loadReconcileOffset(db, "shop"), 205);
  assertEquals(await loadReconcileOffset(db, "cafe"), 3);
  await db.close();
});

Deno.test("a checkpoint that is not a count is refused, naming the tenant and the value", async () => {
  const db = await openDatabase("sqlite::memory:");
  await assertRejects(() => saveReconcileOffset(db, "shop", -1), RangeError, "got -1");
  await assertRejects(() => saveReconcileOffset(db, "shop", 1.5), RangeError, "got 1.5");
  for (const value of ["", "12a", "-3", "1e3"]) {
    await db.run(
      `INSERT INTO kv (tenant_id, key, value) VALUES ('shop', ?, ?)
       ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value`,
      [RECONCILE_OFFSET_KEY, value],
    );
    await assertRejects(
      () => loadReconcileOffset(db, "shop"),
      RangeError,
      `stored reconcile:offset of tenant "shop" must be an integer >= 0, got ${
        JSON.stringify(value)
      }`,
    );
  }
  await db.close();
});
