import { assertEquals, assertRejects } from "../../support/assert.ts";
import { BalanceActorDownError, BalanceRegistry } from "../../../actors/balance/registry.ts";
import { Supervisor } from "../../../actors/kernel/supervisor.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { FakeTenant, START } from "./balance_fixture.ts";

Deno.test("the client refuses clearly while no balance actor runs", async () => {
  const registry = new BalanceRegistry();
  await assertRejects(() => registry.client.balance("shop"), BalanceActorDownError, "not running");
});

Deno.test("after a restart of the actor, registered tenants are registered again", async () => {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(START);
  const registry = new BalanceRegistry(3_600_000);
  const supervisor = new Supervisor("root", [registry.spec({ db, clock })], {
    clock,
    random: () => 0,
  });
  await supervisor.start();
  const shop = new FakeTenant(clock, "shop");
  shop.bot.next({ value: { amount: 5 } });
  await registry.register(shop.tenant({ mtproto: false }));
  assertEquals((await registry.client.balance("shop")).amount, 5);

  // Stop the actor as a crash would end it; the supervisor starts a new one after its backoff.
  await supervisor.restartChild("balance");
  shop.bot.next({ value: { amount: 7 } });
  assertEquals((await registry.client.balance("shop")).amount, 7);

  await registry.unregister("shop");
  await assertRejects(() => registry.client.balance("shop"), Error, "shop");
  await supervisor.stop();
  await assertRejects(() => registry.client.balance("shop"), BalanceActorDownError);
  await db.close();
});

Deno.test("every read reports whether the cache answered it", async () => {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(START);
  const lookups: string[] = [];
  const registry = new BalanceRegistry(3_600_000);
  const supervisor = new Supervisor("root", [
    registry.spec({ db, clock, onCacheLookup: (id, hit) => lookups.push(`${id} ${hit}`) }),
  ], { clock });
  await supervisor.start();
  const shop = new FakeTenant(clock, "shop");
  shop.bot.next({ value: { amount: 5 } });
  await registry.register(shop.tenant({ mtproto: false }));
  await registry.client.balance("shop");
  await registry.client.balance("shop");
  assertEquals(lookups, ["shop false", "shop true"]);
  await supervisor.stop();
  await db.close();
});
