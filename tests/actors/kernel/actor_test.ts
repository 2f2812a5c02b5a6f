import assert from "node:assert/strict";
import {
  Actor,
  type ActorRef,
  ActorStoppedError,
  type AskOptions,
  AskTimeoutError,
  type Reply,
} from "../../../actors/kernel/actor.ts";
import { flushMicrotasks, ManualClock } from "../../../actors/kernel/clock.ts";
import {
  type DeadLetter,
  DeadLetters,
  globalDeadLetters,
} from "../../../actors/kernel/dead_letters.ts";
import { track } from "../../support/track_promise.ts";

type TestMsg =
  | { type: "Add"; n: number }
  | { type: "Get"; reply: Reply<number> }
  | { type: "Hold"; until: Promise<void>; onStart: (signal: AbortSignal) => void }
  | { type: "Stash"; reply: Reply<number> }
  | { type: "Twice"; reply: Reply<number> }
  | { type: "Boom"; error: Error; async: boolean; reply?: Reply<number> };

interface HarnessOptions {
  capacity?: number;
  preStart?: (incarnation: number) => void | Promise<void>;
  postStop?: (incarnation: number) => void;
}

/**
 * A counter actor on a manual clock with its own dead letters. `events` records lifecycle calls
 * and handled messages tagged with the incarnation, so tests can see which behavior did what.
 */
function harness(options: HarnessOptions = {}) {
  const clock = new ManualClock(0);
  const deadLetters = new DeadLetters();
  const letters: DeadLetter[] = [];
  deadLetters.subscribe((letter) => letters.push(letter));
  const events: string[] = [];
  const stashed: Reply<number>[] = [];
  let incarnations = 0;
  const actor = Actor.spawn<TestMsg>("counter", () => {
    const incarnation = ++incarnations;
    let total = 0;
    return {
      preStart() {
        events.push(`preStart#${incarnation}`);
        return options.preStart?.(incarnation);
      },
      receive(msg, ctx) {
        switch (msg.type) {
          case "Add":
            total += msg.n;
            events.push(`add ${msg.n}#${incarnation}`);
            return;
          case "Get":
            events.push(`get#${incarnation}`);
            msg.reply(total);
            return;
          case "Hold":
            msg.onStart(ctx.signal);
            return msg.until;
          case "Stash":
            stashed.push(msg.reply);
            return;
          case "Twice":
            msg.reply(1);
            msg.reply(2);
            return;
          case "Boom":
            if (msg.async) return Promise.reject(msg.error);
            throw msg.error;
        }
      },
      postStop() {
        events.push(`postStop#${incarnation}`);
        options.postStop?.(incarnation);
      },
    };
  }, { mailboxCapacity: options.capacity ?? 10, clock, deadLetters });
  const get = () =>
    actor.ref.ask<number>((reply) => ({ type: "Get", reply }), { timeoutMs: 60_000 });
  return { actor, clock, deadLetters, letters, events, stashed, get };
}

/** Makes the actor busy until `release` is called; resolves once the handler has started. */
async function hold(ref: ActorRef<TestMsg>) {
  const gate = Promise.withResolvers<void>();
  const started = Promise.withResolvers<AbortSignal>();
  assert.equal(ref.tell({ type: "Hold", until: gate.promise, onStart: started.resolve }), true);
  const signal = await started.promise;
  return { signal, release: () => gate.resolve() };
}

Deno.test("Actor handles one message at a time, in order, even with async handlers", async () => {
  type Msg = { type: "Work"; n: number } | { type: "Log"; reply: Reply<number[]> };
  let active = 0;
  let maxActive = 0;
  const log: number[] = [];
  const actor = Actor.spawn<Msg>("serial", () => ({
    async receive(msg) {
      if (msg.type === "Log") return msg.reply([...log]);
      active++;
      maxActive = Math.max(maxActive, active);
      await flushMicrotasks(); // a real macrotask gap in which an overlapping handler could run
      log.push(msg.n);
      active--;
    },
  }), { clock: new ManualClock(0), deadLetters: new DeadLetters() });
  for (let n = 0; n < 20; n++) assert.equal(actor.ref.tell({ type: "Work", n }), true);
  const seen = await actor.ref.ask<number[]>((reply) => ({ type: "Log", reply }), {
    timeoutMs: 1_000,
  });
  assert.deepEqual(seen, Array.from({ length: 20 }, (_, n) => n));
  assert.equal(maxActive, 1);
  await actor.stop();
});

Deno.test("Actor ask resolves with the reply, ignores a second reply and clears its timer", async () => {
  const { actor, clock, get } = harness();
  actor.ref.tell({ type: "Add", n: 2 });
  actor.ref.tell({ type: "Add", n: 3 });
  assert.equal(await get(), 5);
  const twice = await actor.ref.ask<number>((reply) => ({ type: "Twice", reply }), {
    timeoutMs: 50,
  });
  assert.equal(twice, 1);
  assert.equal(clock.pendingTimers, 0, "answered asks leave no timer behind");
  await actor.stop();
});

Deno.test("Actor ask times out on the injected clock and ignores a late reply", async () => {
  const { actor, clock, stashed } = harness();
  const asked = track(
    actor.ref.ask<number>((reply) => ({ type: "Stash", reply }), { timeoutMs: 1_000 }),
  );
  await clock.advance(999);
  assert.equal(asked.settled, false);
  await clock.advance(1);
  assert.equal(asked.settled, true);
  assert.ok(asked.error instanceof AskTimeoutError);
  assert.match(asked.error.message, /"counter"/);
  assert.match(asked.error.message, /1000 ms/);
  assert.equal(stashed.length, 1);
  stashed[0](42);
  await flushMicrotasks();
  assert.equal(asked.value, undefined, "the late reply changed nothing");
  await actor.stop();
});

Deno.test("Actor ask that times out while waiting for mailbox room is never delivered", async () => {
  const { actor, clock, events, get } = harness({ capacity: 1 });
  const busy = await hold(actor.ref);
  assert.equal(actor.ref.tell({ type: "Add", n: 1 }), true);
  const waiting = assert.rejects(
    actor.ref.ask<number>((reply) => ({ type: "Get", reply }), { timeoutMs: 100 }),
    AskTimeoutError,
  );
  await clock.advance(100);
  await waiting;
  assert.equal(actor.mailboxSize, 1);
  busy.release();
  assert.equal(await get(), 1);
  assert.deepEqual(events.filter((event) => event.startsWith("get")), ["get#1"]);
  await actor.stop();
});

Deno.test("Actor ask rejects with the signal's reason on abort", async () => {
  const { actor, events } = harness();
  const controller = new AbortController();
  const asked = actor.ref.ask<number>((reply) => ({ type: "Stash", reply }), {
    timeoutMs: 60_000,
    signal: controller.signal,
  });
  const reason = new Error("user left");
  controller.abort(reason);
  await assert.rejects(asked, (error) => error === reason);

  let made = false;
  const preAborted = actor.ref.ask<number>((reply) => {
    made = true;
    return { type: "Get", reply };
  }, { timeoutMs: 60_000, signal: AbortSignal.abort(reason) });
  await assert.rejects(preAborted, (error) => error === reason);
  assert.equal(made, false, "an ask aborted up front builds and sends nothing");
  await actor.stop();
  assert.deepEqual(events.filter((event) => event.startsWith("get")), []);
});

Deno.test("Actor ask without a valid timeoutMs throws a TypeError and sends nothing", async () => {
  const { actor } = harness();
  for (const timeoutMs of [undefined, 0, -5, Number.NaN, Infinity, "100"]) {
    assert.throws(
      () =>
        actor.ref.ask<number>(
          (reply) => ({ type: "Get", reply }),
          { timeoutMs } as unknown as AskOptions,
        ),
      (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /timeoutMs/);
        return true;
      },
    );
  }
  assert.throws(
    () => actor.ref.ask((reply) => ({ type: "Get", reply }), undefined as unknown as AskOptions),
    TypeError,
  );
  assert.equal(actor.mailboxSize, 0);
  await actor.stop();
});

Deno.test("Actor fails when a handler throws: the ask gets the error, the rest is dead", async () => {
  const { actor, deadLetters, letters, events, get } = harness();
  const busy = await hold(actor.ref);
  const error = new Error("boom");
  const boom = actor.ref.ask<number>(
    (reply) => ({ type: "Boom", error, async: false, reply }),
    { timeoutMs: 60_000 },
  );
  const queuedAsk = get();
  assert.equal(actor.ref.tell({ type: "Add", n: 1 }), true);
  busy.release();

  await assert.rejects(boom, (thrown) => thrown === error);
  await assert.rejects(queuedAsk, ActorStoppedError);
  assert.deepEqual(await actor.done, { kind: "failure", error });
  assert.ok(events.includes("postStop#1"), "postStop still ran");
  assert.ok(busy.signal.aborted, "the context signal is aborted when the actor ends");
  assert.equal(deadLetters.count("counter"), 2);
  assert.deepEqual(
    letters.map((letter) => [letter.reason, (letter.message as TestMsg).type]),
    [["stopped", "Get"], ["stopped", "Add"]],
  );
  assert.equal(actor.ref.tell({ type: "Add", n: 1 }), false);
  assert.equal(deadLetters.count("counter"), 3);
});

Deno.test("Actor fails the same way when a handler rejects asynchronously", async () => {
  const { actor, events } = harness();
  const error = new Error("async boom");
  assert.equal(actor.ref.tell({ type: "Boom", error, async: true }), true);
  assert.deepEqual(await actor.done, { kind: "failure", error });
  assert.deepEqual(events, ["preStart#1", "postStop#1"]);
});

Deno.test("Actor ends with failure when preStart throws; early messages become dead", async () => {
  const error = new Error("cannot open storage");
  const { actor, deadLetters, events } = harness({
    preStart: () => {
      throw error;
    },
  });
  assert.equal(actor.ref.tell({ type: "Add", n: 1 }), true, "accepted before the failure");
  assert.deepEqual(await actor.done, { kind: "failure", error });
  assert.deepEqual(events, ["preStart#1", "postStop#1"]);
  assert.equal(deadLetters.count("counter"), 1);
  assert.equal(actor.ref.tell({ type: "Add", n: 2 }), false);
  await assert.rejects(actor.restart(), ActorStoppedError);
});

Deno.test("Actor tell returns false and records a dead letter when the mailbox is full", async () => {
  const { actor, deadLetters, letters } = harness({ capacity: 2 });
  const busy = await hold(actor.ref);
  assert.equal(actor.ref.tell({ type: "Add", n: 1 }), true);
  assert.equal(actor.ref.tell({ type: "Add", n: 2 }), true);
  assert.equal(actor.ref.tell({ type: "Add", n: 3 }), false);
  assert.equal(actor.mailboxSize, 2);
  assert.equal(deadLetters.count("counter"), 1);
  assert.deepEqual(letters, [
    { actor: "counter", message: { type: "Add", n: 3 }, reason: "mailbox-full" },
  ]);
  busy.release();
  await actor.stop();
});

Deno.test("Actor send waits for room (backpressure) and is then handled", async () => {
  const { actor, get } = harness({ capacity: 1 });
  const busy = await hold(actor.ref);
  assert.equal(actor.ref.tell({ type: "Add", n: 1 }), true);
  const sent = track(actor.ref.send({ type: "Add", n: 10 }));
  await flushMicrotasks();
  assert.equal(sent.settled, false, "send waits while the mailbox is full");
  busy.release();
  assert.equal(await get(), 11);
  assert.equal(sent.settled, true);
  assert.equal(sent.error, undefined);
  await actor.stop();
});

Deno.test("Actor after stop: done is normal, and tell, send and ask are refused", async () => {
  const { actor, deadLetters, letters, events } = harness();
  await actor.stop("test over");
  assert.deepEqual(await actor.done, { kind: "normal" });
  assert.deepEqual(events, ["preStart#1", "postStop#1"]);
  assert.equal(actor.ref.tell({ type: "Add", n: 1 }), false);
  await assert.rejects(actor.ref.send({ type: "Add", n: 2 }), ActorStoppedError);
  await assert.rejects(
    actor.ref.ask<number>((reply) => ({ type: "Get", reply }), { timeoutMs: 1_000 }),
    ActorStoppedError,
  );
  assert.equal(deadLetters.count("counter"), 3);
  assert.ok(letters.every((letter) => letter.reason === "stopped"));
  await actor.stop(); // idempotent
  await assert.rejects(actor.restart(), ActorStoppedError);
  assert.deepEqual(events, ["preStart#1", "postStop#1"], "postStop ran once");
});

Deno.test("Actor stop jumps ahead of a full mailbox and aborts ctx.signal at once", async () => {
  const { actor, deadLetters, events } = harness({ capacity: 3 });
  const busy = await hold(actor.ref);
  for (let n = 1; n <= 3; n++) assert.equal(actor.ref.tell({ type: "Add", n }), true);
  assert.equal(actor.ref.tell({ type: "Add", n: 4 }), false);
  const blockedSend = actor.ref.send({ type: "Add", n: 5 });

  const stopping = track(actor.stop("shutdown"));
  assert.equal(busy.signal.aborted, true, "the running handler can see the stop at once");
  assert.ok(busy.signal.reason instanceof ActorStoppedError);
  await assert.rejects(blockedSend, ActorStoppedError);
  await flushMicrotasks();
  assert.equal(stopping.settled, false, "the message being handled finishes first");

  busy.release();
  await actor.stop();
  assert.deepEqual(await actor.done, { kind: "normal" });
  assert.deepEqual(events, ["preStart#1", "postStop#1"], "no queued message was handled");
  assert.equal(deadLetters.count("counter"), 5, "1 full + 1 blocked send + 3 left in the mailbox");
});

Deno.test("Actor restart makes a fresh behavior via the factory and keeps the mailbox", async () => {
  const { actor, events, get } = harness();
  actor.ref.tell({ type: "Add", n: 5 });
  assert.equal(await get(), 5);

  const busy = await hold(actor.ref);
  assert.equal(actor.ref.tell({ type: "Add", n: 2 }), true);
  const restarting = track(actor.restart("reload config"));
  assert.equal(busy.signal.aborted, true, "the old behavior's signal is aborted at once");
  await flushMicrotasks();
  assert.equal(restarting.settled, false);
  busy.release();
  await actor.restart(); // already queued one answers too once the restart is done
  assert.equal(restarting.settled, true);
  assert.equal(restarting.error, undefined);

  assert.equal(await get(), 2, "state started over and the queued Add was kept");
  assert.deepEqual(events, [
    "preStart#1",
    "add 5#1",
    "get#1",
    "postStop#1",
    "preStart#2",
    "add 2#2",
    "get#2",
  ]);

  await flushMicrotasks(); // let the actor settle into waiting on its empty mailbox
  await actor.restart("while idle"); // must wake that wait
  assert.equal(await get(), 0);
  await actor.stop();
  assert.deepEqual(await actor.done, { kind: "normal" });
  assert.deepEqual(events.slice(-3), ["preStart#3", "get#3", "postStop#3"]);
});

Deno.test("Actor restart rejects and the actor fails when the new preStart throws", async () => {
  const error = new Error("second start fails");
  const { actor, events } = harness({
    preStart: (incarnation) => {
      if (incarnation === 2) throw error;
    },
  });
  await assert.rejects(actor.restart(), (thrown) => thrown === error);
  assert.deepEqual(await actor.done, { kind: "failure", error });
  assert.deepEqual(events, ["preStart#1", "postStop#1", "preStart#2", "postStop#2"]);
});

Deno.test("Actor stop requested during a restart wins over the restart", async () => {
  const { actor, events } = harness();
  const busy = await hold(actor.ref);
  const restarting = actor.restart();
  const stopping = actor.stop();
  busy.release();
  await assert.rejects(restarting, ActorStoppedError);
  await stopping;
  assert.deepEqual(await actor.done, { kind: "normal" });
  assert.deepEqual(events, ["preStart#1", "postStop#1"]);
});

Deno.test("Actor stop ends with failure when postStop throws, so the error is not lost", async () => {
  const error = new Error("could not flush");
  const { actor } = harness({
    postStop: () => {
      throw error;
    },
  });
  await actor.stop();
  assert.deepEqual(await actor.done, { kind: "failure", error });
});

Deno.test("Actor stop fails asks a behavior set aside without answering", async () => {
  const { actor, get } = harness();
  const stashedAsk = actor.ref.ask<number>((reply) => ({ type: "Stash", reply }), {
    timeoutMs: 60_000,
  });
  await get(); // the Stash message has been handled
  await actor.stop();
  await assert.rejects(stashedAsk, ActorStoppedError);
});

Deno.test("Actor.spawn validates its name and mailbox capacity", () => {
  const behavior = () => ({ receive() {} });
  assert.throws(() => Actor.spawn("", behavior), TypeError);
  assert.throws(() => Actor.spawn("bad", behavior, { mailboxCapacity: 0 }), (error: unknown) => {
    assert.ok(error instanceof RangeError);
    assert.match(error.message, /mailboxCapacity of actor "bad" .* got 0/);
    return true;
  });
});

Deno.test("Actor records dead letters in globalDeadLetters by default", async () => {
  const name = `global-default-${crypto.randomUUID()}`;
  const actor = Actor.spawn<string>(name, () => ({ receive() {} }));
  await actor.stop();
  assert.equal(actor.ref.tell("late"), false);
  assert.equal(globalDeadLetters.count(name), 1);
});

Deno.test("DeadLetters counts per actor, snapshots, and unsubscribes", () => {
  const deadLetters = new DeadLetters();
  const seen: string[] = [];
  const unsubscribe = deadLetters.subscribe((letter) =>
    seen.push(`${letter.actor}:${letter.reason}`)
  );
  deadLetters.record("a", 1, "mailbox-full");
  const snapshot = deadLetters.byActor();
  deadLetters.record("a", 2, "stopped");
  unsubscribe();
  deadLetters.record("b", 3, "stopped");
  assert.equal(deadLetters.count(), 3);
  assert.equal(deadLetters.count("a"), 2);
  assert.equal(deadLetters.count("b"), 1);
  assert.equal(deadLetters.count("nobody"), 0);
  assert.deepEqual([...snapshot], [["a", 1]], "an earlier snapshot does not change");
  assert.deepEqual([...deadLetters.byActor()], [["a", 2], ["b", 1]]);
  assert.deepEqual(seen, ["a:mailbox-full", "a:stopped"]);
});
