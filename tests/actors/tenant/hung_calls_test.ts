/**
 * Bot API calls that never answer, against a whole tenant: the sandbox hangs the call, and the
 * tenant's deadlines (shortened here, so the test takes seconds) must get it going again.
 */
import { Api } from "grammy";
import { assertEquals, assertTrue } from "../../support/assert.ts";
import { outboxRows, TenantWorld } from "../../support/tenant_world.ts";
import { waitUntil } from "../../support/wait.ts";
import { Outbox } from "../../../money/delivery/outbox.ts";
import { messageCall } from "../../../money/payments/parts.ts";
import { systemClock } from "../../../actors/kernel/clock.ts";
import { redactTokens } from "../../../adapters/observability/redact.ts";
import type { SandboxBot, SandboxUser } from "../../../sandbox/mod.ts";

/** Deadlines short enough for a test: a long poll of 1 s gets 0.5 s more, any other call 1 s. */
const botApiDeadlines = { callMs: 1_000, longPollMarginMs: 500 };

Deno.test("a tenant whose getUpdates never answers recovers within the long poll's deadline", async () => {
  await using world = await TenantWorld.start();
  const account = world.sandbox.createBot({ username: "shop_bot" });
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  world.sandbox.hangNext(account.token, "getUpdates");
  await world.startTenant(await world.tenant(account), { botApiDeadlines });
  await waitUntil("the first long poll", () => account.callsTo("getUpdates").length === 1);
  const sentAt = Date.now();
  await ann.send(account, "/start");

  const reply = await ann.waitForMessage(account);
  assertTrue(reply.text?.startsWith("Hello, Ann!"), reply.text);
  // The long poll's 1 s, the 0.5 s margin, then the poller's first backoff (1 s ± 20 %).
  const waited = Date.now() - sentAt;
  assertTrue(waited < 4_000, `recovered after ${waited} ms`);
  assertEquals(account.callsTo("getUpdates")[0].fault, "hang");
});

/** Users who opened their chat with the bot, their `/start` already consumed. */
async function openChats(account: SandboxBot, users: SandboxUser[], apiRoot: string) {
  for (const user of users) await user.send(account, "/start");
  const api = new Api(account.token, { apiRoot });
  const updates = await api.getUpdates({ timeout: 0 });
  await api.getUpdates({ offset: updates.at(-1)!.update_id + 1, timeout: 0 });
}

Deno.test("a receipt whose send hangs holds up only itself; the others still go", async () => {
  await using world = await TenantWorld.start();
  const account = world.sandbox.createBot({ username: "shop_bot" });
  const users = ["Ann", "Bob", "Cy"].map((firstName) => world.sandbox.createUser({ firstName }));
  await openChats(account, users, world.sandbox.apiRoot);
  const outbox = new Outbox("shop", systemClock, redactTokens);
  await world.db.transaction(async (tx) => {
    for (const user of users) {
      await outbox.enqueue(tx, `receipt:${user.id}`, messageCall(user.id, `Receipt ${user.id}`));
    }
  });
  world.sandbox.hangNext(account.token, "sendMessage");
  await world.startTenant(await world.tenant(account), { botApiDeadlines });

  // Ann's receipt is the first call, and hangs; Bob's and Cy's go meanwhile.
  await users[1].waitForMessage(account);
  await users[2].waitForMessage(account);
  assertEquals(users[0].messages(account), []);
  // Abandoned at its deadline, it goes again after the outbox's backoff.
  const receipt = await users[0].waitForMessage(account, undefined, { timeoutMs: 8_000 });
  assertEquals(receipt.text, `Receipt ${users[0].id}`);
  const toAnn = () =>
    account.callsTo("sendMessage").filter((call) => call.params.chat_id === users[0].id);
  await waitUntil("Ann's receipt sent twice", () => toAnn().length === 2);
  assertEquals(toAnn().map((call) => call.fault), ["hang", undefined]);
  await waitUntil(
    "every receipt recorded as sent",
    async () => (await outboxRows(world.db, "shop")).every((row) => row.sent),
  );
});
