import { assertEquals } from "../../support/assert.ts";
import {
  createPaymentParts,
  findProduct,
  formatMoment,
  messageCall,
} from "../../../money/payments/parts.ts";
import { FakePaymentsApi, shopTenant } from "./payment_fixture.ts";
import { paymentServicesOptions } from "../../support/payment_world.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";

Deno.test("formatMoment writes UTC to the minute", () => {
  assertEquals(formatMoment(Date.UTC(2025, 0, 31, 12, 5, 59)), "2025-01-31 12:05 UTC");
  assertEquals(formatMoment(0), "1970-01-01 00:00 UTC");
});

Deno.test("messageCall builds a sendMessage, with a keyboard only when given", () => {
  assertEquals(messageCall(7, "Hi"), { method: "sendMessage", params: { chat_id: 7, text: "Hi" } });
  const keyboard = { inline_keyboard: [[{ text: "Top up", callback_data: "stars:products" }]] };
  assertEquals(messageCall(7, "Hi", keyboard), {
    method: "sendMessage",
    params: { chat_id: 7, text: "Hi", reply_markup: keyboard },
  });
});

Deno.test("findProduct finds configured products by id", () => {
  const tenant = shopTenant();
  assertEquals(findProduct(tenant, "wallpapers")?.title, "Wallpaper pack");
  assertEquals(findProduct(tenant, "nope"), undefined);
});

Deno.test("committed calls onCommitted and survives it throwing", async () => {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(0);
  const tenant = shopTenant();
  let calls = 0;
  const parts = createPaymentParts({
    ...paymentServicesOptions({ tenant, db, clock, api: new FakePaymentsApi() }),
    onCommitted: () => {
      calls++;
      throw new Error("sender stopped");
    },
  });
  parts.committed();
  parts.committed();
  assertEquals(calls, 2);
  await db.close();
});
