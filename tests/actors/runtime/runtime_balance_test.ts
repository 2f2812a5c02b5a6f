/**
 * The bots' own Stars through the whole runtime: the BalanceActor under the root supervisor,
 * tenants registered with it, invalidation after payments, and reconciliation of a payment whose
 * update Telegram never delivered.
 */
import type { Message } from "grammy/types";
import { assertEquals, assertStringIncludes } from "../../support/assert.ts";
import { ledgerRows, TenantWorld } from "../../support/tenant_world.ts";

const ADMIN = 9001;

/** The shop tenant in a runtime, with its admin and a customer holding 200 Stars. */
async function shopWithAdmin(world: TenantWorld) {
  const shop = world.sandbox.createBot({ username: "shop_bot" });
  await world.startRuntime([{ ...await world.tenant(shop), admins: [ADMIN] }]);
  return {
    shop,
    admin: world.sandbox.createUser({ id: ADMIN, firstName: "Olga", languageCode: "en" }),
    ann: world.sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 200 }),
  };
}

Deno.test("admins read the bot's balance and transactions; payments refresh it", async () => {
  await using world = await TenantWorld.start();
  const { shop, admin, ann } = await shopWithAdmin(world);
  const ask = async (text: string) => {
    const reply = admin.waitForMessage(shop);
    await admin.send(shop, text);
    return (await reply).text ?? "";
  };

  const before = await ask("/revenue");
  assertStringIncludes(before, "0 Stars");
  assertStringIncludes(before, "Bot API");

  await ann.send(shop, "/start buy_credits_100");
  const invoice = await ann.waitForMessage(shop, (m: Message) => m.invoice !== undefined);
  const paid = await ann.pay(shop, invoice);
  assertEquals(paid.status, "paid");
  await ann.waitForMessage(shop, (m) => m.text?.startsWith("✅") ?? false);

  // Within the cache TTL, yet fresh: the payment invalidated the cached balance.
  assertStringIncludes(await ask("/revenue"), `${shop.starBalance} Stars`);
  assertEquals(shop.starBalance, 50);
  const transactions = await ask("/transactions");
  assertStringIncludes(transactions, "+50");
  assertStringIncludes(transactions, paid.status === "paid" ? paid.chargeId : "");
});

Deno.test("a payment whose update was lost is credited by /reconcile, exactly once", async () => {
  await using world = await TenantWorld.start();
  const { shop, admin, ann } = await shopWithAdmin(world);

  await ann.send(shop, "/start buy_credits_100");
  const invoice = await ann.waitForMessage(shop, (m: Message) => m.invoice !== undefined);
  world.sandbox.dropNextSuccessfulPayment(shop.token);
  const paid = await ann.pay(shop, invoice);
  assertEquals([paid.status, paid.status === "paid" && paid.updateId], ["paid", undefined]);
  assertEquals(await ledgerRows(world.db, "shop", ann.id), []);

  // The first run applies the lost payment; the second starts from the checkpoint after it.
  for (const expected of ["1 lost payments applied", "0 transactions checked"]) {
    const report = admin.waitForMessage(shop);
    await admin.send(shop, "/reconcile");
    assertStringIncludes((await report).text ?? "", expected);
  }
  await ann.waitForMessage(shop, (m) => m.text?.includes("100 credits added") ?? false);
  const rows = await ledgerRows(world.db, "shop", ann.id);
  assertEquals(rows.map((row) => row.balanceAfter), [100]);
  assertEquals(
    ann.messages(shop).filter((m) => m.text?.includes("100 credits added")).length,
    1,
  );
});
