import { assertEquals, assertTrue } from "../../support/assert.ts";
import { buildTenant } from "../../../actors/tenant/tenant_build.ts";
import { systemClock } from "../../../actors/kernel/clock.ts";
import { GramjsStarsUpstream } from "../../../adapters/mtproto/gramjs_upstream.ts";
import { TenantWorld } from "../../support/tenant_world.ts";

Deno.test("a tenant with MTProto credentials gets a GramJS upstream; one without, none", async () => {
  await using world = await TenantWorld.start();
  const shop = world.sandbox.createBot({ username: "shop_bot" });
  const plain = await world.tenant(shop);
  // Built, never used: GramJS connects lazily, so nothing here reaches for Telegram.
  const withMtproto = {
    ...plain,
    mtproto: { apiId: 12345, apiHash: "0123456789abcdef0123456789abcdef" },
  };
  const env = { clock: systemClock, db: world.db };
  const bare = await buildTenant(plain, env);
  assertEquals(bare.balanceTenant.mtproto, undefined);
  const built = await buildTenant(withMtproto, env);
  assertTrue(built.balanceTenant.mtproto instanceof GramjsStarsUpstream);
  await built.close();
  await bare.close();
});
