import { assertEquals } from "../../support/assert.ts";
import {
  DAY,
  issue,
  orderState,
  paymentFixture,
  START,
  subscribe,
  USER,
} from "./payment_fixture.ts";

Deno.test("expireDue expires orders and subscriptions as the clock passes them", async () => {
  const f = await paymentFixture();
  const open = await issue(f, "credits_100");
  await subscribe(f, "club", "ch_c1", START + DAY);
  assertEquals(await f.payments.expireDue(), { orders: 0, subscriptions: 0 });
  await f.clock.advance(600_000);
  assertEquals(await f.payments.expireDue(), { orders: 1, subscriptions: 0 });
  assertEquals(await orderState(f, open), "expired");
  await f.clock.advance(DAY - 600_000);
  assertEquals(await f.payments.expireDue(), { orders: 0, subscriptions: 1 });
  assertEquals((await f.payments.subscriptions.list(USER))[0].state, "expired");
  await f.db.close();
});
