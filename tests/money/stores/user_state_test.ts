import { assertEquals } from "../../support/assert.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { UserState } from "../../../money/stores/user_state.ts";

Deno.test("the low-balance notice is claimed once until cleared", async () => {
  const db = await openDatabase("sqlite::memory:");
  const users = new UserState("shop");
  assertEquals(await users.lowBalanceNotified(db, 7), false);
  assertEquals(await users.claimLowBalanceNotice(db, 7), true);
  assertEquals(await users.claimLowBalanceNotice(db, 7), false);
  assertEquals(await users.lowBalanceNotified(db, 7), true);
  assertEquals(await users.lowBalanceNotified(db, 8), false, "per user");
  await users.clearLowBalanceNotice(db, 7);
  assertEquals(await users.lowBalanceNotified(db, 7), false);
  assertEquals(await users.claimLowBalanceNotice(db, 7), true);
  await db.close();
});

Deno.test("the language is remembered, and an unknown one keeps the last", async () => {
  const db = await openDatabase("sqlite::memory:");
  const users = new UserState("shop");
  assertEquals(await users.language(db, 7), undefined);
  await users.rememberLanguage(db, 7, "ru");
  await users.rememberLanguage(db, 7, undefined);
  assertEquals(await users.language(db, 7), "ru");
  await users.rememberLanguage(db, 7, "en-GB");
  assertEquals(await users.language(db, 7), "en-GB");
  await db.close();
});

Deno.test("the flag and the language do not overwrite each other, nor other tenants", async () => {
  const db = await openDatabase("sqlite::memory:");
  const users = new UserState("shop");
  await users.rememberLanguage(db, 7, "ru");
  await users.claimLowBalanceNotice(db, 7);
  await users.rememberLanguage(db, 7, "en");
  assertEquals([await users.lowBalanceNotified(db, 7), await users.language(db, 7)], [true, "en"]);
  await users.clearLowBalanceNotice(db, 7);
  assertEquals(await users.language(db, 7), "en");
  const other = new UserState("other");
  assertEquals([await other.lowBalanceNotified(db, 7), await other.language(db, 7)], [
    false,
    undefined,
  ]);
  await db.close();
});
