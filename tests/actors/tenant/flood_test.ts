/**
 * Flood control measured at the sandbox: one tenant's outbox holds many receipts and notices,
 * and the call log's timestamps (real time, milliseconds) must show Telegram's limits kept —
 * at most 30 messages in any second with no burst at the start, about one a second for a single
 * chat after a short burst, and a 429 holding back its chat (or, when it hits several chats at
 * once, the whole bot) for `retry_after`.
 */
import { Api } from "grammy";
import { assertEquals, assertTrue } from "../../support/assert.ts";
import { TenantWorld } from "../../support/tenant_world.ts";
import { waitUntil } from "../../support/wait.ts";
import { Outbox } from "../../../money/delivery/outbox.ts";
import { messageCall } from "../../../money/payments/parts.ts";
import { systemClock } from "../../../actors/kernel/clock.ts";
import { redactTokens } from "../../../adapters/observability/redact.ts";
import type { CallRecord, SandboxBot } from "../../../sandbox/mod.ts";

/** A world with a bot and `users` users who opened their chat with it. */
async function openChats(users: number) {
  const world = await TenantWorld.start();
  const account = world.sandbox.createBot({ username: "shop_bot" });
  const chats: number[] = [];
  for (let i = 0; i < users; i++) {
    const user = world.sandbox.createUser({ firstName: `User ${i}` });
    await user.send(account, "/start"); // a bot cannot write first
    chats.push(user.id);
  }
  // The /starts are consumed here, so the tenant's replies do not mix with what is measured.
  const api = new Api(account.token, { apiRoot: world.sandbox.apiRoot });
  const updates = await api.getUpdates({ timeout: 0 });
  await api.getUpdates({ offset: updates.at(-1)!.update_id + 1, timeout: 0 });
  return { world, account, chats };
}

/** Queues one notice per entry of `to` (a chat id), oldest first, as the payment paths do. */
async function queueNotices(world: TenantWorld, to: number[]): Promise<void> {
  const outbox = new Outbox("shop", systemClock, redactTokens);
  await world.db.transaction(async (tx) => {
    for (const [i, chatId] of to.entries()) {
      await outbox.enqueue(tx, `notice:${i}`, messageCall(chatId, `Notice ${i}`));
    }
  });
}

/** The notices' calls as the sandbox saw them, in order. */
function noticeCalls(account: SandboxBot): CallRecord[] {
  return account.callsTo("sendMessage").filter((call) =>
    String(call.params.text).startsWith("Notice")
  );
}

/** Waits until `count` notices were accepted. */
function allSent(account: SandboxBot, count: number): Promise<unknown> {
  return waitUntil(
    `${count} notices sent`,
    () => noticeCalls(account).filter((call) => call.ok).length === count,
    20_000,
  );
}

/** The most calls in any window of `windowMs` that starts at a call. */
function mostInWindow(times: number[], windowMs: number): number {
  return Math.max(
    ...times.map((start) => times.filter((t) => t >= start && t < start + windowMs).length),
  );
}

Deno.test("proactive sends: at most 30 a second, no burst; one chat about 1 a second after 3", async () => {
  const { world, account, chats } = await openChats(60);
  await using _ = world;
  const [busy] = chats;
  // Six notices to one chat first, then one to each of the others.
  await queueNotices(world, [...Array(6).fill(busy), ...chats.slice(1)]);
  await world.startTenant(await world.tenant(account));
  await allSent(account, 65);

  const calls = noticeCalls(account);
  const times = calls.map((call) => call.at);
  assertTrue(mostInWindow(times, 1_000) <= 30, `${mostInWindow(times, 1_000)} in one second`);
  const first = times[0];
  assertTrue(
    times.filter((t) => t < first + 1_000).length <= 30,
    "no burst above 30 in the first second",
  );
  const toBusy = calls.filter((call) => call.params.chat_id === busy).map((call) => call.at);
  assertEquals(toBusy.length, 6);
  assertTrue(toBusy[2] - toBusy[0] < 500, "a receipt, its item and a notice arrive together");
  // Then about one a second: six sends take three seconds. Measured where Telegram would
  // measure, so a send that travelled slower than the next may shift a window by a few tens of
  // milliseconds; hence the tolerance.
  assertTrue(mostInWindow(toBusy, 1_000) <= 4, `${mostInWindow(toBusy, 1_000)} in one second`);
  const sixth = toBusy[5] - toBusy[0];
  assertTrue(sixth >= 2_900, `the sixth went ${sixth} ms after the first, not about 3 s`);
  // The other chats did not wait for the busy one: they were done long before its sixth.
  const others = calls.filter((call) => call.params.chat_id !== busy).map((call) => call.at);
  assertTrue(Math.max(...others) < toBusy[5], "other chats go while one chat is paced");
});

Deno.test("a 429 holds back its chat for retry_after; the other chats go on", async () => {
  const { world, account, chats } = await openChats(20);
  await using _ = world;
  const [held] = chats;
  await queueNotices(world, [held, held, ...chats.slice(1)]);
  world.sandbox.failNext(account.token, "sendMessage", {
    error_code: 429,
    description: "Too Many Requests: retry after 1",
    parameters: { retry_after: 1 },
  });
  await world.startTenant(await world.tenant(account));
  await allSent(account, 21);

  const calls = noticeCalls(account);
  const refused = calls.find((call) => !call.ok)!;
  assertEquals(refused.params.chat_id, held);
  const later = calls.filter((call) => call.params.chat_id === held && call.at > refused.at);
  assertEquals(later.length, 2, "the refused notice again, then the chat's next");
  for (const call of later) {
    assertTrue(call.at - refused.at >= 995, `sent ${call.at - refused.at} ms into the hold`);
  }
  const duringHold = calls.filter((call) =>
    call.params.chat_id !== held && call.at > refused.at && call.at < refused.at + 1_000
  );
  assertTrue(duringHold.length > 0, "one chat's 429 does not stop the others");
});

Deno.test("429s on several chats at once hold the whole bot's proactive sends", async () => {
  const { world, account, chats } = await openChats(30);
  await using _ = world;
  await queueNotices(world, chats);
  world.sandbox.failNext(account.token, "sendMessage", {
    error_code: 429,
    description: "Too Many Requests: retry after 2",
    parameters: { retry_after: 2 },
  }, 2);
  await world.startTenant(await world.tenant(account));
  await allSent(account, 30);

  const calls = noticeCalls(account);
  const refused = calls.filter((call) => !call.ok);
  assertEquals(refused.length, 2);
  const refusedChats = refused.map((call) => call.params.chat_id);
  const holdStart = refused[1].at;
  // Calls already on their way when the second 429 came back may still arrive just after it.
  const inHold = calls.filter((call) =>
    !refusedChats.includes(call.params.chat_id) && call.at > holdStart + 50 &&
    call.at < holdStart + 2_000
  );
  assertEquals(inHold.map((call) => call.at - holdStart), [], "sent inside the bot's hold");
  const times = calls.map((call) => call.at);
  assertTrue(mostInWindow(times, 1_000) <= 30, "and no burst when the hold ends");
});
