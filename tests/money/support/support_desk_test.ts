import { assertEquals, assertStringIncludes } from "../../support/assert.ts";
import { TenantWorld } from "../../support/tenant_world.ts";

const ADMIN = 4242;

Deno.test("a ticket and its copies outlive restarts; the answer reaches the buyer once", async () => {
  await using world = await TenantWorld.start();
  const account = world.sandbox.createBot({ username: "shop_bot" });
  const config = { ...await world.tenant(account), admins: [ADMIN] };
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  const admin = world.sandbox.createUser({ id: ADMIN, firstName: "Boss", languageCode: "en" });

  let tenant = await world.startTenant(config);
  await admin.send(account, "/start");
  await admin.waitForMessage(account);
  await ann.send(account, "/paysupport");
  await ann.waitForMessage(account, (m) => m.text?.includes("Payment support") ?? false);
  await tenant.stop();

  tenant = await world.startTenant(config);
  await ann.send(account, "My payment went through twice.");
  await ann.waitForMessage(account, (m) => m.text?.startsWith("✉️ Sent to support") ?? false);
  const copy = await admin.waitForMessage(account, (m) => m.text?.includes("twice") ?? false);
  assertStringIncludes(copy.text!, `Support request from Ann (id ${ann.id})`);
  await tenant.stop();

  await world.startTenant(config);
  await admin.send(account, "The second one is refunded.", { replyTo: copy });
  await admin.waitForMessage(account, (m) => m.text === "✅ Sent to the buyer.");
  const answer = await ann.waitForMessage(account, (m) => m.text?.startsWith("💬") ?? false);
  assertEquals(answer.text, "💬 Support answers:\nThe second one is refunded.");
  // The buyer may answer back: the ticket is open again.
  await ann.send(account, "Thank you!");
  await admin.waitForMessage(account, (m) => m.text?.includes("Thank you!") ?? false);
  const answers = ann.messages(account).filter((m) => m.text?.startsWith("💬 Support answers"));
  assertEquals(answers.length, 1);
});
