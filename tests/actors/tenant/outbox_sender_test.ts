import { redactTokens } from "../../../adapters/observability/redact.ts";
import { getLogger, reset } from "@logtape/logtape";
import { GrammyError, HttpError } from "grammy";
import { SendPacer } from "../../../adapters/telegram/send_pacer.ts";
import { CallDeadlineExceeded } from "../../../adapters/telegram/call_deadline.ts";
import { assertEquals, assertStringIncludes, assertTrue } from "../../support/assert.ts";
import { flushMicrotasks, ManualClock } from "../../../actors/kernel/clock.ts";
import { Outbox, type OutboxItem } from "../../../money/delivery/outbox.ts";
import {
  OUTBOX_BACKOFF_POLICY,
  type OutboxSenderOptions,
  startOutboxSender,
} from "../../../actors/tenant/outbox_sender.ts";
import type { Actor } from "../../../actors/kernel/actor.ts";
import type { OutboxSenderMsg } from "../../../actors/tenant/outbox_sender.ts";
import type { Database } from "../../../money/ports.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { captureLogs, renderedLogs } from "../../support/log_capture.ts";

const TOKEN = "123456:AAEabcdefghijklmnopqrstuvwxyz012345";

/** The sender under test logs here, so a test can capture exactly its lines. */
const LOG_CATEGORY = ["test-outbox"];

/**
 * What the fake Bot API does with one call: answer, throw, hang until the call is aborted, or
 * hold until the test releases it (then answer with success).
 */
type Outcome = { result: unknown } | { error: unknown } | "hang" | "hold";

interface Call {
  method: string;
  params: Record<string, unknown>;
  at: number;
}

/** A Bot API that records calls and answers from a script, then with success. */
class FakeBotApi {
  readonly calls: Call[] = [];
  readonly script: Outcome[] = [];
  inFlight = 0;
  maxInFlight = 0;
  readonly #held: (() => void)[] = [];

  constructor(readonly clock: ManualClock) {}

  readonly call = async (
    method: string,
    params: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<unknown> => {
    this.calls.push({ method, params, at: this.clock.now() });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await Promise.resolve();
      const outcome = this.script.shift() ?? { result: { message_id: this.calls.length } };
      if (outcome === "hang") {
        return await new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason), { once: true })
        );
      }
      if (outcome === "hold") {
        await new Promise<void>((resolve) => this.#held.push(resolve));
        return { message_id: this.calls.length };
      }
      if ("error" in outcome) throw outcome.error;
      return outcome.result;
    } finally {
      this.inFlight--;
    }
  };

  /** Lets every held call answer. */
  release(): void {
    for (const resolve of this.#held.splice(0)) resolve();
  }

  get texts(): unknown[] {
    return this.calls.map((c) => c.params.text ?? c.method);
  }
}

function apiError(method: string, code: number, description: string, retryAfter?: number) {
  return new GrammyError(
    `Call to '${method}' failed!`,
    {
      ok: false,
      error_code: code,
      description,
      parameters: retryAfter === undefined ? {} : { retry_after: retryAfter },
    },
    method,
    {},
  );
}

interface Setup {
  db: Database;
  clock: ManualClock;
  outbox: Outbox;
  api: FakeBotApi;
  sent: Array<{ id: string; result: unknown }>;
  start(overrides?: Partial<OutboxSenderOptions>): Actor<OutboxSenderMsg>;
  enqueue(id: string, text: string, notBefore?: number): Promise<void>;
  /** Queues a message to `chatId`. */
  enqueueTo(id: string, chatId: number, text: string): Promise<void>;
}

async function setup(): Promise<Setup> {
  const db = await openDatabase("sqlite::memory:");
  const clock = new ManualClock(0);
  const outbox = new Outbox("shop", clock, redactTokens);
  const api = new FakeBotApi(clock);
  const sent: Array<{ id: string; result: unknown }> = [];
  return {
    db,
    clock,
    outbox,
    api,
    sent,
    start: (overrides = {}) =>
      startOutboxSender({
        tenantId: "shop",
        db,
        outbox,
        clock,
        call: api.call,
        onSent: (item: OutboxItem, result: unknown) => {
          sent.push({ id: item.id, result });
          return Promise.resolve();
        },
        random: () => 0,
        logger: getLogger(LOG_CATEGORY),
        ...overrides,
      }),
    enqueueTo: async (id, chatId, text) => {
      await db.transaction((tx) =>
        outbox.enqueue(tx, id, { method: "sendMessage", params: { chat_id: chatId, text } })
      );
    },
    enqueue: async (id, text, notBefore) => {
      await db.transaction((tx) =>
        outbox.enqueue(tx, id, { method: "sendMessage", params: { chat_id: 1, text } }, {
          notBefore,
        })
      );
    },
  };
}

/** Lets the sender run until `done` holds; fails instead of hanging when it never does. */
async function waitUntil(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await done()) return;
    await flushMicrotasks();
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Moves the clock from timer to timer until `done` holds (the pacer's slots are on it). */
async function advanceUntil(
  clock: ManualClock,
  done: () => boolean,
  what: string,
): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    if (done()) return;
    const next = clock.nextTimerAt();
    await clock.advance(next === undefined ? 0 : Math.max(0, next - clock.now()));
  }
  throw new Error(`timed out waiting until ${what}`);
}

function drain(sender: Actor<OutboxSenderMsg>): Promise<void> {
  return sender.ref.ask<void>((reply) => ({ type: "Drain", reply }), { timeoutMs: 3_600_000 });
}

async function state(s: Setup, id: string) {
  const item = await s.outbox.get(s.db, id);
  return {
    attempts: item?.attempts,
    next: item?.nextAttemptAt,
    sent: item?.sentAt,
    failed: item?.failedAt,
  };
}

Deno.test("one chat's items go in enqueue order, one at a time, and are marked sent", async () => {
  const s = await setup();
  await s.enqueue("b", "first");
  await s.enqueue("a", "second"); // same millisecond as "b": enqueue order decides, not the id
  await s.clock.advance(1);
  await s.enqueue("c", "third");
  const sender = s.start();
  await drain(sender);
  assertEquals(s.api.texts, ["first", "second", "third"]);
  assertEquals(s.api.maxInFlight, 1);
  assertEquals(await s.outbox.backlog(s.db), 0);
  assertEquals(await state(s, "b"), { attempts: 1, next: 0, sent: 1, failed: null });
  await sender.stop();
  await s.db.close();
});

Deno.test("a kick sends items committed while the sender was idle", async () => {
  const s = await setup();
  const sender = s.start();
  await drain(sender); // may be answered before the start-up pass, queued behind it
  await drain(sender);
  await s.enqueue("receipt:1", "thanks");
  assertEquals(s.clock.pendingTimers, 0, "no timer would find the new item");
  assertEquals(s.api.calls, []);
  sender.ref.tell({ type: "Kick" });
  await waitUntil(async () => (await state(s, "receipt:1")).sent === 0, "the kick sends it");
  assertEquals(s.api.texts, ["thanks"]);
  await sender.stop();
  await s.db.close();
});

Deno.test("onSent runs once per sent item, with the call's result", async () => {
  const s = await setup();
  await s.enqueue("a", "first");
  await s.enqueue("b", "second");
  s.api.script.push({ result: { message_id: 77 } });
  const sender = s.start();
  await drain(sender);
  sender.ref.tell({ type: "Kick" });
  await drain(sender);
  assertEquals(s.sent, [{ id: "a", result: { message_id: 77 } }, {
    id: "b",
    result: { message_id: 2 },
  }]);
  await sender.stop();
  await s.db.close();
});

Deno.test("items left from before a restart are sent at start, without a kick", async () => {
  const s = await setup();
  await s.enqueue("receipt:1", "left over");
  const sender = s.start();
  await waitUntil(async () => (await s.outbox.backlog(s.db)) === 0, "the left-over item is sent");
  assertEquals(s.api.texts, ["left over"]);
  await sender.stop();
  await s.db.close();
});

Deno.test("an item enqueued for later is sent when its time comes", async () => {
  const s = await setup();
  await s.enqueue("later", "later", 5_000);
  const sender = s.start();
  await drain(sender);
  assertEquals(s.api.calls, []);
  assertEquals(s.clock.nextTimerAt(), 5_000);
  await s.clock.advance(5_000);
  await waitUntil(() => s.api.calls.length === 1, "the item is sent");
  assertEquals(s.api.calls[0].at, 5_000);
  await sender.stop();
  await s.db.close();
});

Deno.test("a 5xx is retried with growing backoff and does not hold back other items", async () => {
  const s = await setup();
  await s.enqueue("a", "flaky");
  await s.enqueue("b", "fine");
  const bad = () => ({ error: apiError("sendMessage", 502, "Bad Gateway") });
  s.api.script.push(bad(), { result: true }, bad(), bad());
  const sender = s.start();
  await drain(sender);
  // "a" failed at 0 and waits 1 s; "b" went anyway.
  assertEquals(s.api.texts, ["flaky", "fine"]);
  assertEquals(await state(s, "a"), { attempts: 1, next: 1_000, sent: null, failed: null });
  assertStringIncludes((await s.outbox.get(s.db, "a"))!.lastError!, "502: Bad Gateway");

  for (const [retryAt, nextDelay] of [[1_000, 2_000], [3_000, 4_000]]) {
    await s.clock.advance(retryAt - 1 - s.clock.now());
    const before = s.api.calls.length;
    await flushMicrotasks();
    assertEquals(s.api.calls.length, before, `not retried before ${retryAt}`);
    await s.clock.advance(1);
    await waitUntil(() => s.api.calls.length === before + 1, `retried at ${retryAt}`);
    await waitUntil(
      async () => (await state(s, "a")).next === retryAt + nextDelay,
      `next retry set to ${retryAt + nextDelay}`,
    );
  }
  await s.clock.advance(7_000 - s.clock.now());
  await waitUntil(async () => (await state(s, "a")).sent === 7_000, "sent at 7 s");
  assertEquals((await state(s, "a")).attempts, 4);
  assertEquals(s.api.calls.map((c) => c.at), [0, 0, 1_000, 3_000, 7_000]);
  await sender.stop();
  await s.db.close();
});

Deno.test("the default backoff starts at 1 s with up to 20 % jitter and stops at 5 min", async () => {
  assertEquals(
    [OUTBOX_BACKOFF_POLICY.minMs, OUTBOX_BACKOFF_POLICY.maxMs, OUTBOX_BACKOFF_POLICY.factor],
    [1_000, 300_000, 2],
  );
  const s = await setup();
  await s.enqueue("a", "flaky");
  s.api.script.push({ error: apiError("sendMessage", 500, "Internal Server Error") });
  const sender = s.start({ random: () => 1 });
  await drain(sender);
  assertEquals((await state(s, "a")).next, 800);
  await sender.stop();
  await s.db.close();
});

Deno.test("a 429 retries its item after retry_after; the flood hold keeps only its chat waiting", async () => {
  const s = await setup();
  const pacer = new SendPacer({ clock: s.clock, perBotPerSecond: 1_000 });
  await s.enqueueTo("a", 1, "first to 1");
  await s.enqueueTo("b", 1, "second to 1");
  await s.enqueueTo("c", 2, "first to 2");
  s.api.script.push({ error: apiError("sendMessage", 429, "Too Many Requests: retry after 7", 7) });
  const sender = s.start({
    pacer,
    // What the bot's flood_holds transformer does with the 429 it sees.
    call: async (method, params, signal) => {
      try {
        return await s.api.call(method, params, signal);
      } catch (error) {
        if (error instanceof GrammyError) pacer.noteFlood(params.chat_id as number, 7_000);
        throw error;
      }
    },
  });
  await advanceUntil(s.clock, () => s.api.texts.includes("first to 2"), "chat 2 is served");
  assertEquals(s.api.texts, ["first to 1", "first to 2"]);
  assertEquals(await state(s, "a"), { attempts: 1, next: 7_000, sent: null, failed: null });
  assertEquals((await state(s, "b")).attempts, 0, "chat 1's next item waits for the hold");
  await advanceUntil(s.clock, () => s.api.calls.length === 4, "chat 1 after its hold");
  assertEquals(s.api.texts.slice(2), ["first to 1", "second to 1"]);
  assertTrue(s.api.calls.slice(2).every((c) => c.at >= 7_000), "nothing to chat 1 in the hold");
  await sender.stop();
  await s.db.close();
});

Deno.test("a hung call is abandoned at its deadline while the other chats' items go", async () => {
  const s = await setup();
  await s.enqueueTo("receipt:1", 1, "receipt 1");
  await s.enqueueTo("receipt:2", 2, "receipt 2");
  await s.enqueueTo("receipt:3", 3, "receipt 3");
  s.api.script.push("hang");
  const sender = s.start({ callDeadlineMs: 5_000 });
  await waitUntil(() => s.api.texts.length === 3, "the other receipts go");
  assertEquals(s.api.texts, ["receipt 1", "receipt 2", "receipt 3"]);
  assertEquals([(await state(s, "receipt:2")).sent, (await state(s, "receipt:3")).sent], [0, 0]);
  assertEquals(s.api.inFlight, 1, "the first receipt still hangs");
  await s.clock.advance(5_000);
  await waitUntil(async () => (await state(s, "receipt:1")).attempts === 1, "it is abandoned");
  assertEquals(s.api.inFlight, 0, "its call was aborted");
  const abandoned = (await s.outbox.get(s.db, "receipt:1"))!;
  assertEquals([abandoned.nextAttemptAt, abandoned.lastError], [6_000, "no answer within 5000 ms"]);
  await s.clock.advance(1_000);
  await waitUntil(async () => (await state(s, "receipt:1")).sent === 6_000, "sent on retry");
  await sender.stop();
  await s.db.close();
});

Deno.test("a call the client abandoned at its deadline holds back no other item", async () => {
  const s = await setup();
  await s.enqueueTo("a", 1, "slow");
  await s.enqueueTo("b", 2, "fine");
  const deadline = new CallDeadlineExceeded("sendMessage", 10_000);
  s.api.script.push({
    error: new HttpError("Network request for 'sendMessage' failed!", deadline),
  });
  const sender = s.start({ maxInFlight: 1 });
  await drain(sender);
  assertEquals(s.api.texts, ["slow", "fine"]);
  assertEquals(await state(s, "a"), { attempts: 1, next: 1_000, sent: null, failed: null });
  await sender.stop();
  await s.db.close();
});

Deno.test("at most maxInFlight calls run at once, one per chat, each chat in order", async () => {
  const s = await setup();
  for (const [id, chat] of [["a1", 1], ["a2", 1], ["b1", 2], ["c1", 3], ["d1", 4], ["e1", 5]]) {
    await s.enqueueTo(id as string, chat as number, id as string);
  }
  s.api.script.push("hold", "hold", "hold", "hold");
  const sender = s.start();
  await waitUntil(() => s.api.inFlight === 4, "four calls in flight");
  await flushMicrotasks();
  assertEquals(s.api.texts, ["a1", "b1", "c1", "d1"], "a2 waits for a1, e1 for a free slot");
  s.api.release();
  await waitUntil(() => s.api.texts.length === 6, "the rest go");
  assertEquals(s.api.texts.slice(4), ["a2", "e1"]);
  assertEquals(s.api.maxInFlight, 4);
  assertEquals(await s.outbox.backlog(s.db), 0);
  await sender.stop();
  await s.db.close();
});

Deno.test("a 403 gives the item up with a warning and moves on to the next", async () => {
  const logs = await captureLogs(LOG_CATEGORY);
  try {
    const s = await setup();
    await s.enqueue("a", "to a blocker");
    await s.enqueue("b", "to a friend");
    s.api.script.push({
      error: apiError("sendMessage", 403, "Forbidden: bot was blocked by the user"),
    });
    const sender = s.start();
    await drain(sender);
    assertEquals(s.api.texts, ["to a blocker", "to a friend"]);
    assertEquals(await state(s, "a"), { attempts: 1, next: 0, sent: null, failed: 0 });
    assertEquals((await state(s, "b")).sent, 0);
    assertEquals(s.sent.map((x) => x.id), ["b"]);
    assertEquals(s.clock.pendingTimers, 0, "nothing left to retry");
    const warnings = renderedLogs(logs).filter((line) => line.startsWith("warning"));
    assertEquals(warnings.length, 1);
    assertStringIncludes(warnings[0], "Outbox item a (sendMessage) gave up");
    assertStringIncludes(warnings[0], "403: Forbidden: bot was blocked by the user");
    await sender.stop();
    await s.db.close();
  } finally {
    await reset();
  }
});

Deno.test("CHARGE_ALREADY_REFUNDED from refundStarPayment counts as sent", async () => {
  const s = await setup();
  await s.db.transaction(async (tx) => {
    await s.outbox.enqueue(tx, "refund:ch_1", {
      method: "refundStarPayment",
      params: { user_id: 7, telegram_payment_charge_id: "ch_1" },
    });
    // The same answer to another method is an ordinary 400.
    await s.outbox.enqueue(tx, "text", { method: "sendMessage", params: { chat_id: 7 } });
  });
  const already = (method: string) => ({
    error: apiError(method, 400, "Bad Request: CHARGE_ALREADY_REFUNDED"),
  });
  s.api.script.push(already("refundStarPayment"), already("sendMessage"));
  const sender = s.start();
  await drain(sender);
  assertEquals((await state(s, "refund:ch_1")).sent, 0);
  assertEquals((await state(s, "text")).failed, 0);
  assertEquals(s.sent, [{ id: "refund:ch_1", result: true }]);
  await sender.stop();
  await s.db.close();
});

Deno.test("a network failure is retried, holds back the rest and never stores the token", async () => {
  const logs = await captureLogs(LOG_CATEGORY);
  try {
    const s = await setup();
    await s.enqueue("a", "first");
    await s.enqueue("b", "second");
    const cause = new TypeError(
      `error sending request for url (https://api.telegram.org/bot${TOKEN}/sendMessage)`,
    );
    s.api.script.push({
      error: new HttpError(`Network request for 'sendMessage' failed! ${cause.message}`, cause),
    });
    const sender = s.start();
    await drain(sender);
    assertEquals(s.api.texts, ["first"], "the second item waits for the network too");
    assertEquals(await state(s, "a"), { attempts: 1, next: 1_000, sent: null, failed: null });
    const stored = (await s.outbox.get(s.db, "a"))!.lastError!;
    assertStringIncludes(stored, "/bot<redacted>/sendMessage");
    const lines = renderedLogs(logs).join("\n");
    assertStringIncludes(lines, "/bot<redacted>/sendMessage");
    assertTrue(!stored.includes(TOKEN) && !lines.includes(TOKEN), "the token leaked");
    await s.clock.advance(1_000);
    await waitUntil(() => s.api.calls.length === 3, "both go once the retry is due");
    assertEquals(s.api.texts, ["first", "first", "second"]);
    await sender.stop();
    await s.db.close();
  } finally {
    await reset();
  }
});

Deno.test("a revoked token (401) keeps items pending instead of giving them up", async () => {
  const s = await setup();
  await s.enqueue("a", "first");
  await s.enqueue("b", "second");
  s.api.script.push({ error: apiError("sendMessage", 401, "Unauthorized") });
  const sender = s.start();
  await drain(sender);
  assertEquals(s.api.texts, ["first"]);
  assertEquals(await state(s, "a"), { attempts: 1, next: 1_000, sent: null, failed: null });
  assertEquals(await s.outbox.backlog(s.db), 2);
  await sender.stop();
  await s.db.close();
});

Deno.test("an unexpected error is retried with backoff and logged as an error", async () => {
  const logs = await captureLogs(LOG_CATEGORY);
  try {
    const s = await setup();
    await s.enqueue("a", "first");
    s.api.script.push({ error: new TypeError("bot.api.raw.sendMesage is not a function") });
    const sender = s.start();
    await drain(sender);
    assertEquals(await state(s, "a"), { attempts: 1, next: 1_000, sent: null, failed: null });
    const errors = renderedLogs(logs).filter((line) => line.startsWith("error"));
    assertEquals(errors.length, 1);
    assertStringIncludes(errors[0], "is not a function");
    await sender.stop();
    await s.db.close();
  } finally {
    await reset();
  }
});

Deno.test("a failing onSent is logged and the item is still marked sent, not re-sent", async () => {
  const logs = await captureLogs(LOG_CATEGORY);
  try {
    const s = await setup();
    await s.enqueue("a", "first");
    const sender = s.start({ onSent: () => Promise.reject(new Error("payments table locked")) });
    await drain(sender);
    sender.ref.tell({ type: "Kick" });
    await drain(sender);
    assertEquals(s.api.texts, ["first"]);
    assertEquals((await state(s, "a")).sent, 0);
    const errors = renderedLogs(logs).filter((line) => line.startsWith("error"));
    assertEquals(errors.length, 1);
    assertStringIncludes(errors[0], "was sent, but its follow-up failed: payments table locked");
    await sender.stop();
    await s.db.close();
  } finally {
    await reset();
  }
});

Deno.test("stopping mid-call aborts it and leaves the item pending for the next start", async () => {
  const s = await setup();
  await s.enqueue("a", "first");
  s.api.script.push("hang");
  const first = s.start();
  await waitUntil(() => s.api.inFlight === 1, "the call is in flight");
  await first.stop();
  assertEquals(s.api.inFlight, 0, "the call was aborted");
  assertEquals(await state(s, "a"), { attempts: 0, next: 0, sent: null, failed: null });
  assertEquals(s.sent, []);
  assertEquals(s.clock.pendingTimers, 0, "a stopped sender leaves no timer behind");

  const second = s.start();
  await waitUntil(async () => (await state(s, "a")).sent === 0, "sent after the restart");
  assertEquals(s.api.texts, ["first", "first"]);
  assertEquals(s.sent.map((x) => x.id), ["a"]);
  await second.stop();
  await s.db.close();
});

Deno.test("each send first waits for the pacer's slot for its chat", async () => {
  const s = await setup();
  await s.enqueue("a", "first");
  await s.enqueue("b", "second");
  const paced: string[] = [];
  const sender = s.start({
    pacer: {
      readyAt: () => 0,
      take: (chatId) => {
        // The call must not have happened yet when its slot is taken.
        paced.push(`${chatId} after ${s.api.texts.length} sends`);
        return Promise.resolve();
      },
    },
  });
  await drain(sender);
  assertEquals(paced, ["1 after 0 sends", "1 after 1 sends"]);
  assertEquals(s.api.texts, ["first", "second"]);
  await sender.stop();
  await s.db.close();
});
