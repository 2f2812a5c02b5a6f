import assert from "node:assert/strict";
import { type Child, type ExitReason, FatalError } from "../../../actors/kernel/child.ts";
import { flushMicrotasks, ManualClock } from "../../../actors/kernel/clock.ts";
import {
  type ChildSpec,
  type ChildState,
  DEFAULT_INTENSITY,
  DEFAULT_PARKED_RETRY_MS,
  type RestartPolicy,
  Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
} from "../../../actors/kernel/supervisor.ts";

/** One running instance; the test decides when and how it ends. */
class FakeChild implements Child {
  readonly done: Promise<ExitReason>;
  readonly #settle: (reason: ExitReason) => void;
  /** When set, stop() is acknowledged but the child never ends (a stuck shutdown). */
  ignoresStop = false;
  /** When set, stop() rejects with it (the child still ends). */
  stopRejectsWith?: Error;

  constructor(readonly id: string, readonly journal: string[]) {
    const { promise, resolve } = Promise.withResolvers<ExitReason>();
    this.done = promise;
    this.#settle = resolve;
  }

  crash(error: unknown): void {
    this.#settle({ kind: "failure", error });
  }

  finish(): void {
    this.#settle({ kind: "normal" });
  }

  stop(_reason?: string): Promise<void> {
    this.journal.push(`stop ${this.id}`);
    if (this.stopRejectsWith) {
      this.#settle({ kind: "normal" });
      return Promise.reject(this.stopRejectsWith);
    }
    if (!this.ignoresStop) this.#settle({ kind: "normal" });
    return this.done.then(() => {});
  }
}

/** Produces the instances of one child id and records every start() call. */
class FakeFactory {
  readonly instances: FakeChild[] = [];
  /** Consumed one per start() call: an error to throw, or `undefined` to succeed. */
  readonly startErrors: unknown[] = [];
  /** When set, start() waits for it before creating the instance. */
  gate?: Promise<void>;
  startCalls = 0;

  constructor(readonly id: string, readonly journal: string[] = []) {}

  get latest(): FakeChild {
    const child = this.instances.at(-1);
    if (!child) throw new Error(`no instance of ${this.id} was started`);
    return child;
  }

  spec(restart: RestartPolicy = "permanent", shutdownMs = 1_000): ChildSpec {
    return { id: this.id, restart, shutdownMs, start: () => this.#start() };
  }

  async #start(): Promise<Child> {
    this.startCalls++;
    this.journal.push(`start ${this.id}`);
    if (this.gate) await this.gate;
    const error = this.startErrors.shift();
    if (error !== undefined) throw error;
    const child = new FakeChild(this.id, this.journal);
    this.instances.push(child);
    return child;
  }
}

// No jitter and round numbers, so every expected time below is exact.
const POLICY = { minMs: 100, maxMs: 1_000, factor: 2, jitter: 0, resetAfterMs: 5_000 };
const PARKED_RETRY_MS = 60_000;

function setup(specs: ChildSpec[], options: SupervisorOptions = {}) {
  const clock = new ManualClock(0);
  const events: SupervisorEvent[] = [];
  const sup = new Supervisor("test", specs, {
    clock,
    random: () => 0,
    backoff: POLICY,
    intensity: { maxRestarts: 100, withinMs: 10_000 },
    parkedRetryMs: PARKED_RETRY_MS,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { clock, events, sup };
}

function stateOf(sup: Supervisor, id: string): ChildState | undefined {
  return sup.status().find((child) => child.id === id)?.state;
}

function ofType<T extends SupervisorEvent["type"]>(
  events: SupervisorEvent[],
  type: T,
): Extract<SupervisorEvent, { type: T }>[] {
  return events.filter((event): event is Extract<SupervisorEvent, { type: T }> =>
    event.type === type
  );
}

Deno.test("start() starts children in order, each after the previous one has started", async () => {
  const journal: string[] = [];
  const a = new FakeFactory("a", journal);
  const b = new FakeFactory("b", journal);
  const gate = Promise.withResolvers<void>();
  a.gate = gate.promise;
  const { sup } = setup([a.spec(), b.spec()]);
  const started = sup.start();
  await flushMicrotasks();
  assert.deepEqual(journal, ["start a"], "b must wait until a has started");
  assert.equal(stateOf(sup, "a"), "starting");
  assert.equal(stateOf(sup, "b"), "stopped");
  gate.resolve();
  await started;
  assert.deepEqual(journal, ["start a", "start b"]);
  assert.deepEqual(sup.status().map((c) => [c.id, c.state]), [["a", "running"], ["b", "running"]]);
  await sup.stop();
});

Deno.test("with startConcurrency, starts begin in order and overlap up to the limit", async () => {
  const journal: string[] = [];
  const factories = ["a", "b", "c"].map((id) => new FakeFactory(id, journal));
  const gates = factories.map((factory) => {
    const gate = Promise.withResolvers<void>();
    factory.gate = gate.promise;
    return gate;
  });
  const { sup } = setup(factories.map((f) => f.spec()), { startConcurrency: 2 });
  let resolved = false;
  const started = sup.start().then(() => (resolved = true));
  await flushMicrotasks();
  assert.deepEqual(journal, ["start a", "start b"], "c waits for a free slot");
  gates[1].resolve();
  await flushMicrotasks();
  assert.deepEqual(journal, ["start a", "start b", "start c"], "b's slot goes to c");
  assert.deepEqual(sup.status().map((c) => c.state), ["starting", "running", "starting"]);
  gates[2].resolve();
  await flushMicrotasks();
  assert.equal(resolved, false, "start() waits for every child");
  gates[0].resolve();
  await started;
  assert.deepEqual(sup.status().map((c) => c.state), ["running", "running", "running"]);
  await sup.stop();
  assert.deepEqual(journal.slice(3), ["stop c", "stop b", "stop a"], "stops stay in reverse order");
});

Deno.test("startConcurrency must be a whole number of at least 1", () => {
  for (const bad of [0, 1.5, -2, Number.NaN]) {
    assert.throws(
      () => new Supervisor("tenants", [], { startConcurrency: bad }),
      /startConcurrency must be an integer >= 1/,
    );
  }
});

Deno.test("restart policy decides what follows each kind of exit", async (t) => {
  const cases: [RestartPolicy, "normal" | "failure", ChildState][] = [
    ["permanent", "normal", "backoff"],
    ["permanent", "failure", "backoff"],
    ["transient", "normal", "stopped"],
    ["transient", "failure", "backoff"],
    ["temporary", "normal", "stopped"],
    ["temporary", "failure", "stopped"],
  ];
  for (const [restart, exit, expected] of cases) {
    await t.step(`${restart} child, ${exit} exit → ${expected}`, async () => {
      const w = new FakeFactory("w");
      const { clock, sup, events } = setup([w.spec(restart)]);
      await sup.start();
      if (exit === "normal") w.latest.finish();
      else w.latest.crash(new Error("boom"));
      await flushMicrotasks();
      assert.equal(stateOf(sup, "w"), expected);
      assert.equal(ofType(events, "child-exited").length, 1);
      await clock.advance(10 * POLICY.maxMs);
      const restarted = expected === "backoff";
      assert.equal(w.startCalls, restarted ? 2 : 1);
      assert.equal(stateOf(sup, "w"), restarted ? "running" : "stopped");
      assert.equal(sup.status()[0].lastError, exit === "failure" ? "Error: boom" : undefined);
      if (!restarted) assert.equal(ofType(events, "child-stopped").length, 1);
      await sup.stop();
    });
  }
});

Deno.test("a permanent child that exits normally is restarted after minMs, not at once", async () => {
  const w = new FakeFactory("w");
  const { clock, sup, events } = setup([w.spec("permanent")]);
  await sup.start();
  w.latest.finish();
  await clock.advance(POLICY.minMs - 1);
  assert.equal(w.startCalls, 1);
  await clock.advance(1);
  assert.equal(w.startCalls, 2);
  assert.deepEqual(ofType(events, "restart-scheduled").map((e) => [e.delayMs, e.attempt]), [
    [100, 0],
  ]);
  await sup.stop();
});

Deno.test("restarts wait for the backoff delay, which doubles up to maxMs", async () => {
  const w = new FakeFactory("w");
  const { clock, sup, events } = setup([w.spec()]);
  await sup.start();
  const expected = [100, 200, 400, 800, 1_000, 1_000];
  for (const [i, delay] of expected.entries()) {
    w.latest.crash(new Error(`crash ${i}`));
    await clock.advance(delay - 1);
    assert.equal(w.startCalls, i + 1, `restart ${i + 1} must not happen before ${delay} ms`);
    assert.equal(stateOf(sup, "w"), "backoff");
    assert.equal(sup.status()[0].nextRetryAt, clock.now() + 1);
    await clock.advance(1);
    assert.equal(w.startCalls, i + 2, `restart ${i + 1} must happen at ${delay} ms`);
    assert.equal(stateOf(sup, "w"), "running");
  }
  assert.deepEqual(ofType(events, "restart-scheduled").map((e) => e.delayMs), expected);
  assert.deepEqual(ofType(events, "restart-scheduled").map((e) => e.attempt), [0, 1, 2, 3, 4, 5]);
  assert.equal(sup.status()[0].restarts, expected.length);
  await sup.stop();
});

Deno.test("the injected random jitters the delay within its bounds", async () => {
  const w = new FakeFactory("w");
  const { clock, sup, events } = setup([w.spec()], {
    backoff: { ...POLICY, jitter: 0.2 },
    random: () => 0.5,
  });
  await sup.start();
  w.latest.crash(new Error("boom"));
  await clock.advance(89);
  assert.equal(w.startCalls, 1);
  await clock.advance(1);
  assert.equal(w.startCalls, 2);
  assert.deepEqual(ofType(events, "restart-scheduled").map((e) => e.delayMs), [90]);
  await sup.stop();
});

Deno.test("a child that ran for resetAfterMs starts again from minMs", async () => {
  const w = new FakeFactory("w");
  const { clock, sup, events } = setup([w.spec()]);
  await sup.start();
  for (const delay of [100, 200, 400]) {
    w.latest.crash(new Error("flaky"));
    await clock.advance(delay);
  }
  // Just short of resetAfterMs: still the same streak, so the delay keeps growing.
  await clock.advance(POLICY.resetAfterMs - 1);
  w.latest.crash(new Error("flaky"));
  await clock.advance(800);
  // A full resetAfterMs of clean running ends the streak.
  await clock.advance(POLICY.resetAfterMs);
  w.latest.crash(new Error("new incident"));
  await flushMicrotasks();
  assert.deepEqual(ofType(events, "restart-scheduled").map((e) => e.delayMs), [
    100,
    200,
    400,
    800,
    100,
  ]);
  await sup.stop();
});

Deno.test("more than maxRestarts within withinMs parks the child as failed", async () => {
  const w = new FakeFactory("w");
  const other = new FakeFactory("other");
  const { clock, sup, events } = setup([w.spec(), other.spec()], {
    intensity: { maxRestarts: 3, withinMs: 10_000 },
  });
  await sup.start();
  for (const delay of [100, 200, 400]) {
    w.latest.crash(new Error("boom"));
    await clock.advance(delay);
  }
  assert.equal(w.startCalls, 4);
  w.latest.crash(new Error("boom 4"));
  await flushMicrotasks();
  const parkedAt = clock.now();
  assert.deepEqual(sup.status()[0], {
    id: "w",
    state: "failed",
    restarts: 3,
    lastError: "Error: boom 4",
    since: parkedAt,
    nextRetryAt: parkedAt + PARKED_RETRY_MS,
  });
  assert.deepEqual(ofType(events, "child-parked").map((e) => [e.cause, e.error, e.retryInMs]), [
    ["intensity", "Error: boom 4", PARKED_RETRY_MS],
  ]);
  await clock.advance(PARKED_RETRY_MS - 1);
  assert.equal(w.startCalls, 4, "no fast retries once parked");
  assert.equal(stateOf(sup, "other"), "running", "other children are not affected");
  assert.equal(sup.status()[1].restarts, 0);
  await sup.stop();
});

Deno.test("restarts spread wider than withinMs never exhaust the intensity", async () => {
  const w = new FakeFactory("w");
  const { clock, sup, events } = setup([w.spec()], {
    intensity: { maxRestarts: 2, withinMs: 1_000 },
  });
  await sup.start();
  for (let i = 0; i < 6; i++) {
    await clock.advance(1_000); // runs 1 s (less than resetAfterMs) before each crash
    w.latest.crash(new Error("slow flake"));
    await clock.advance(POLICY.maxMs);
  }
  assert.equal(ofType(events, "child-parked").length, 0);
  assert.equal(w.startCalls, 7);
  await sup.stop();
});

Deno.test("a parked child is retried on the slow schedule until a retry runs stably", async () => {
  const w = new FakeFactory("w");
  const { clock, sup, events } = setup([w.spec()], {
    intensity: { maxRestarts: 1, withinMs: 10_000 },
  });
  await sup.start();
  w.latest.crash(new Error("down"));
  await clock.advance(100);
  w.latest.crash(new Error("down"));
  await flushMicrotasks();
  assert.equal(stateOf(sup, "w"), "failed");

  await clock.advance(PARKED_RETRY_MS - 1);
  assert.equal(w.startCalls, 2);
  await clock.advance(1);
  assert.equal(w.startCalls, 3, "slow retry after parkedRetryMs");
  assert.equal(stateOf(sup, "w"), "running");

  // The retry fails before running stably: parked again, no fast retries.
  await clock.advance(1_000);
  w.latest.crash(new Error("still down"));
  await flushMicrotasks();
  assert.equal(stateOf(sup, "w"), "failed");
  assert.equal(sup.status()[0].lastError, "Error: still down");

  // A retry whose start() throws also counts as a failed retry.
  w.startErrors.push(new Error("connect refused"));
  await clock.advance(PARKED_RETRY_MS);
  assert.equal(stateOf(sup, "w"), "failed");
  assert.equal(sup.status()[0].lastError, "Error: connect refused");

  // This retry runs stably, so its next failure goes through normal backoff again.
  await clock.advance(PARKED_RETRY_MS);
  assert.equal(stateOf(sup, "w"), "running");
  await clock.advance(POLICY.resetAfterMs);
  w.latest.crash(new Error("unrelated"));
  await flushMicrotasks();
  assert.equal(stateOf(sup, "w"), "backoff");
  assert.deepEqual(ofType(events, "child-parked").map((e) => e.cause), [
    "intensity",
    "retry-failed",
    "retry-failed",
  ]);
  assert.deepEqual(ofType(events, "restart-scheduled").map((e) => e.delayMs), [100, 100]);
  assert.equal(sup.status()[0].restarts, 4);
  await sup.stop();
});

Deno.test("a FatalError exit parks the child at once, without fast retries", async () => {
  const w = new FakeFactory("w");
  const { clock, sup, events } = setup([w.spec("transient")]);
  await sup.start();
  await clock.advance(2_000);
  w.latest.crash(new FatalError("401 Unauthorized"));
  await flushMicrotasks();
  assert.deepEqual(sup.status()[0], {
    id: "w",
    state: "failed",
    restarts: 0,
    lastError: "FatalError: 401 Unauthorized",
    since: 2_000,
    nextRetryAt: 2_000 + PARKED_RETRY_MS,
  });
  assert.equal(ofType(events, "restart-scheduled").length, 0);
  assert.deepEqual(ofType(events, "child-parked").map((e) => e.cause), ["fatal"]);
  await clock.advance(PARKED_RETRY_MS - 1);
  assert.equal(w.startCalls, 1);
  await clock.advance(1);
  assert.equal(w.startCalls, 2);
  await sup.stop();
});

Deno.test("a start() that throws FatalError parks the child at once", async () => {
  const w = new FakeFactory("w");
  w.startErrors.push(new FatalError("token rejected"));
  const { sup, events } = setup([w.spec()]);
  await sup.start();
  assert.equal(stateOf(sup, "w"), "failed");
  assert.equal(sup.status()[0].lastError, "FatalError: token rejected");
  assert.equal(ofType(events, "child-start-failed").length, 1);
  assert.equal(ofType(events, "restart-scheduled").length, 0);
  await sup.stop();
});

Deno.test("a child whose start() throws goes to backoff and does not block later children", async () => {
  const journal: string[] = [];
  const a = new FakeFactory("a", journal);
  const b = new FakeFactory("b", journal);
  const c = new FakeFactory("c", journal);
  b.startErrors.push(new Error("port in use"), new Error("port in use"));
  const { clock, sup, events } = setup([a.spec(), b.spec(), c.spec()]);
  await sup.start();
  assert.deepEqual(journal, ["start a", "start b", "start c"]);
  assert.deepEqual(sup.status().map((s) => s.state), ["running", "backoff", "running"]);
  assert.equal(sup.status()[1].lastError, "Error: port in use");
  await clock.advance(100);
  assert.equal(stateOf(sup, "b"), "backoff", "the second start failure grows the delay");
  await clock.advance(199);
  assert.equal(b.startCalls, 2);
  await clock.advance(1);
  assert.equal(stateOf(sup, "b"), "running");
  assert.deepEqual(ofType(events, "restart-scheduled").map((e) => e.delayMs), [100, 200]);
  await sup.stop();
});

Deno.test("a start() that resolves to something that is not a Child counts as a failure", async () => {
  const { sup, events } = setup([{
    id: "odd",
    restart: "permanent",
    shutdownMs: 100,
    start: () => Promise.resolve({} as Child),
  }]);
  await sup.start();
  assert.equal(stateOf(sup, "odd"), "backoff");
  assert.match(String(sup.status()[0].lastError), /start\(\) must resolve to a Child/);
  assert.equal(ofType(events, "child-start-failed").length, 1);
  await sup.stop();
});

Deno.test("stop() stops children in reverse start order and resolves done as normal", async () => {
  const journal: string[] = [];
  const factories = ["a", "b", "c"].map((id) => new FakeFactory(id, journal));
  const { sup, events } = setup(factories.map((f) => f.spec()));
  await sup.start();
  journal.length = 0;
  await sup.stop();
  assert.deepEqual(journal, ["stop c", "stop b", "stop a"]);
  assert.deepEqual(await sup.done, { kind: "normal" });
  assert.deepEqual(sup.status().map((s) => s.state), ["stopped", "stopped", "stopped"]);
  assert.deepEqual(ofType(events, "child-stopped").map((e) => e.id), ["c", "b", "a"]);
  assert.equal(sup.stop(), sup.stop(), "stop() is idempotent");
});

Deno.test("a child that does not stop within shutdownMs is abandoned and stop moves on", async () => {
  const journal: string[] = [];
  const a = new FakeFactory("a", journal);
  const b = new FakeFactory("b", journal);
  const { clock, sup, events } = setup([a.spec(), b.spec("permanent", 500)]);
  await sup.start();
  b.latest.ignoresStop = true;
  journal.length = 0;
  let stopped = false;
  const stopping = sup.stop().then(() => stopped = true);
  await clock.advance(499);
  assert.deepEqual(journal, ["stop b"], "a waits while b still has time");
  assert.equal(stateOf(sup, "b"), "stopping");
  assert.equal(stopped, false);
  await clock.advance(1);
  await stopping;
  assert.deepEqual(journal, ["stop b", "stop a"]);
  assert.deepEqual(ofType(events, "stop-timeout").map((e) => [e.id, e.shutdownMs]), [["b", 500]]);
  assert.deepEqual(sup.status().map((s) => s.state), ["stopped", "stopped"]);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("a child whose stop() rejects is reported and still counted as stopped", async () => {
  const w = new FakeFactory("w");
  const { sup, events } = setup([w.spec()]);
  await sup.start();
  w.latest.stopRejectsWith = new Error("already closing");
  await sup.stop();
  assert.deepEqual(ofType(events, "stop-error").map((e) => String(e.error)), [
    "Error: already closing",
  ]);
  assert.equal(stateOf(sup, "w"), "stopped");
});

Deno.test("stop() cancels pending restarts and slow retries", async () => {
  const w = new FakeFactory("w");
  const fatal = new FakeFactory("fatal");
  fatal.startErrors.push(new FatalError("bad token"));
  const { clock, sup } = setup([w.spec(), fatal.spec()]);
  await sup.start();
  w.latest.crash(new Error("boom"));
  await flushMicrotasks();
  assert.equal(stateOf(sup, "w"), "backoff");
  assert.equal(stateOf(sup, "fatal"), "failed");
  await sup.stop();
  assert.equal(clock.pendingTimers, 0);
  await clock.advance(10 * PARKED_RETRY_MS);
  assert.equal(w.startCalls, 1);
  assert.equal(fatal.startCalls, 1);
  assert.deepEqual(sup.status().map((s) => [s.state, s.nextRetryAt]), [
    ["stopped", undefined],
    ["stopped", undefined],
  ]);
});

Deno.test("no restart fires while stop() waits for a slow child further down", async () => {
  const a = new FakeFactory("a");
  const slow = new FakeFactory("slow");
  const { clock, sup } = setup([a.spec(), slow.spec("permanent", 5_000)]);
  await sup.start();
  a.latest.crash(new Error("boom"));
  await flushMicrotasks();
  slow.latest.ignoresStop = true;
  const stopping = sup.stop();
  await clock.advance(5_000); // a's 100 ms backoff falls inside slow's shutdown window
  await stopping;
  assert.equal(a.startCalls, 1);
  assert.equal(stateOf(sup, "a"), "stopped");
});

Deno.test("stop() during a start waits for it and stops the instance it produces", async () => {
  const w = new FakeFactory("w");
  const gate = Promise.withResolvers<void>();
  w.gate = gate.promise;
  const { sup } = setup([w.spec()]);
  const started = sup.start();
  await flushMicrotasks();
  const stopping = sup.stop();
  assert.equal(stateOf(sup, "w"), "stopping");
  gate.resolve();
  await Promise.all([started, stopping]);
  assert.deepEqual(w.journal, ["start w", "stop w"]);
  assert.equal(stateOf(sup, "w"), "stopped");
});

Deno.test("an instance whose start() outlives shutdownMs is stopped once it arrives", async () => {
  const w = new FakeFactory("w");
  const gate = Promise.withResolvers<void>();
  w.gate = gate.promise;
  const { clock, sup, events } = setup([w.spec("permanent", 300)]);
  const started = sup.start();
  await flushMicrotasks();
  const stopping = sup.stop();
  await clock.advance(300);
  await Promise.all([started, stopping]);
  assert.deepEqual(ofType(events, "stop-timeout").map((e) => e.id), ["w"]);
  assert.deepEqual(w.journal, ["start w"]);
  gate.resolve();
  await flushMicrotasks();
  assert.deepEqual(w.journal, ["start w", "stop w"], "the late instance must not leak");
  assert.equal(stateOf(sup, "w"), "stopped");
});

Deno.test("addChild starts the child at once and appends it to the start order", async () => {
  const journal: string[] = [];
  const a = new FakeFactory("a", journal);
  const b = new FakeFactory("b", journal);
  const { sup } = setup([a.spec()]);
  await sup.start();
  await sup.addChild(b.spec());
  assert.deepEqual(sup.status().map((s) => [s.id, s.state]), [["a", "running"], ["b", "running"]]);
  journal.length = 0;
  await sup.stop();
  assert.deepEqual(journal, ["stop b", "stop a"]);
});

Deno.test("addChild before start() only registers; start() then starts it in order", async () => {
  const journal: string[] = [];
  const a = new FakeFactory("a", journal);
  const b = new FakeFactory("b", journal);
  const { sup } = setup([a.spec()]);
  await sup.addChild(b.spec());
  assert.deepEqual(journal, []);
  await sup.start();
  assert.deepEqual(journal, ["start a", "start b"]);
  await sup.stop();
});

Deno.test("a duplicate child id is a clear error, at construction and in addChild", async () => {
  const a = new FakeFactory("a");
  assert.throws(
    () => setup([a.spec(), a.spec()]),
    /Supervisor "test": a child with id "a" already exists/,
  );
  const { sup } = setup([a.spec()]);
  await sup.start();
  await assert.rejects(sup.addChild(a.spec()), /a child with id "a" already exists/);
  assert.equal(a.startCalls, 1);
  await sup.stop();
  await assert.rejects(
    sup.addChild(new FakeFactory("late").spec()),
    /Supervisor "test": cannot addChild, it is stopped/,
  );
});

Deno.test("removeChild stops the child within shutdownMs and forgets it", async () => {
  const a = new FakeFactory("a");
  const b = new FakeFactory("b");
  const { clock, sup, events } = setup([a.spec(), b.spec()]);
  await sup.start();
  const first = a.latest;
  await sup.removeChild("a");
  assert.deepEqual(await first.done, { kind: "normal" });
  assert.deepEqual(sup.status().map((s) => s.id), ["b"]);
  assert.deepEqual(ofType(events, "child-removed").map((e) => e.id), ["a"]);
  await clock.advance(10 * POLICY.maxMs);
  assert.equal(a.startCalls, 1, "a removed child is never restarted");
  await assert.rejects(sup.removeChild("a"), /Supervisor "test": no child with id "a"/);
  await sup.addChild(a.spec());
  assert.equal(stateOf(sup, "a"), "running", "its id is free again");
  await sup.stop();
});

Deno.test("removeChild of a child waiting in backoff cancels its restart", async () => {
  const a = new FakeFactory("a");
  const { clock, sup } = setup([a.spec()]);
  await sup.start();
  a.latest.crash(new Error("boom"));
  await flushMicrotasks();
  await sup.removeChild("a");
  assert.equal(clock.pendingTimers, 0);
  assert.deepEqual(sup.status(), []);
  await sup.stop();
});

Deno.test("restartChild replaces a running instance now", async () => {
  const w = new FakeFactory("w");
  const { clock, sup } = setup([w.spec()]);
  await sup.start();
  const old = w.latest;
  await clock.advance(1_000);
  await sup.restartChild("w");
  assert.deepEqual(await old.done, { kind: "normal" });
  assert.equal(w.instances.length, 2);
  assert.deepEqual(sup.status()[0], { id: "w", state: "running", restarts: 1, since: 1_000 });
  await assert.rejects(sup.restartChild("nope"), /no child with id "nope"/);
  await sup.stop();
  await assert.rejects(sup.restartChild("w"), /restartChild\("w"\) needs a running supervisor/);
});

Deno.test("stop() during a restartChild waits for the old instance to stop", async () => {
  const w = new FakeFactory("w");
  const { clock, sup } = setup([w.spec("permanent", 500)]);
  await sup.start();
  w.latest.ignoresStop = true;
  const restarting = sup.restartChild("w");
  await flushMicrotasks();
  let stopped = false;
  const stopping = sup.stop().then(() => stopped = true);
  await clock.advance(499);
  assert.equal(stopped, false, "the old instance still has time to stop");
  await clock.advance(1);
  await Promise.all([restarting, stopping]);
  assert.equal(w.instances.length, 1, "stop() wins: no new instance");
  assert.equal(stateOf(sup, "w"), "stopped");
});

Deno.test("restartChild resets the backoff and intensity history", async () => {
  const w = new FakeFactory("w");
  const { clock, sup, events } = setup([w.spec()], {
    intensity: { maxRestarts: 3, withinMs: 10_000 },
  });
  await sup.start();
  for (const delay of [100, 200, 400]) {
    w.latest.crash(new Error("boom"));
    await clock.advance(delay);
  }
  await sup.restartChild("w");
  // Without the reset this crash would be the 4th restart (parked) with an 800 ms delay.
  w.latest.crash(new Error("boom"));
  await flushMicrotasks();
  assert.equal(stateOf(sup, "w"), "backoff");
  assert.deepEqual(ofType(events, "restart-scheduled").map((e) => e.delayMs), [100, 200, 400, 100]);
  await sup.stop();
});

Deno.test("restartChild retries a parked child at once", async () => {
  const w = new FakeFactory("w");
  w.startErrors.push(new FatalError("token rejected"));
  const { clock, sup } = setup([w.spec()]);
  await sup.start();
  assert.equal(stateOf(sup, "w"), "failed");
  await sup.restartChild("w");
  assert.equal(stateOf(sup, "w"), "running");
  assert.equal(clock.pendingTimers, 0, "the slow retry is cancelled");
  await sup.stop();
});

Deno.test("status() reports state, restarts, since, lastError and nextRetryAt", async () => {
  const a = new FakeFactory("a");
  const b = new FakeFactory("b");
  const { clock, sup } = setup([a.spec(), b.spec()]);
  assert.deepEqual(sup.status(), [
    { id: "a", state: "stopped", restarts: 0, since: 0 },
    { id: "b", state: "stopped", restarts: 0, since: 0 },
  ]);
  await clock.advance(10);
  await sup.start();
  await clock.advance(40);
  b.latest.crash("a string reason");
  await flushMicrotasks();
  assert.deepEqual(sup.status(), [
    { id: "a", state: "running", restarts: 0, since: 10 },
    {
      id: "b",
      state: "backoff",
      restarts: 0,
      lastError: "a string reason",
      since: 50,
      nextRetryAt: 150,
    },
  ]);
  await clock.advance(100);
  assert.deepEqual(sup.status()[1], {
    id: "b",
    state: "running",
    restarts: 1,
    lastError: "a string reason",
    since: 150,
  });
  await sup.stop();
});

Deno.test("a supervisor supervises a nested supervisor like any other child", async () => {
  const journal: string[] = [];
  const x = new FakeFactory("x", journal);
  const y = new FakeFactory("y", journal);
  const z = new FakeFactory("z", journal);
  const clock = new ManualClock(0);
  const inners: Supervisor[] = [];
  const options = { clock, random: () => 0, backoff: POLICY };
  const outer = new Supervisor("outer", [
    {
      id: "tenant",
      restart: "permanent",
      shutdownMs: 5_000,
      start: async () => {
        const inner = new Supervisor("tenant", [x.spec(), y.spec()], options);
        inners.push(inner);
        await inner.start();
        return inner;
      },
    },
    z.spec(),
  ], options);
  await outer.start();
  assert.deepEqual(journal, ["start x", "start y", "start z"]);

  // A crash deep in the tree is handled by the inner supervisor alone.
  x.latest.crash(new Error("boom"));
  await clock.advance(POLICY.minMs);
  assert.equal(x.startCalls, 2);
  assert.deepEqual(inners[0].status().map((s) => [s.id, s.state]), [
    ["x", "running"],
    ["y", "running"],
  ]);
  assert.deepEqual(outer.status().map((s) => [s.id, s.state, s.restarts]), [
    ["tenant", "running", 0],
    ["z", "running", 0],
  ]);

  // The inner supervisor ending by itself is a normal exit; it is permanent, so it comes back.
  await inners[0].stop();
  await clock.advance(POLICY.minMs);
  assert.equal(inners.length, 2);
  assert.deepEqual(outer.status().map((s) => [s.id, s.state, s.restarts]), [
    ["tenant", "running", 1],
    ["z", "running", 0],
  ]);

  journal.length = 0;
  await outer.stop();
  assert.deepEqual(journal, ["stop z", "stop y", "stop x"]);
  assert.deepEqual(await inners[1].done, { kind: "normal" });
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("a stopped supervisor cannot be started; stop() before start() just ends it", async () => {
  const w = new FakeFactory("w");
  const { sup } = setup([w.spec()]);
  await sup.stop();
  assert.deepEqual(await sup.done, { kind: "normal" });
  await assert.rejects(sup.start(), /Supervisor "test": start\(\) called when already stopped/);
  assert.equal(w.startCalls, 0);

  const again = setup([]).sup;
  await again.start();
  await assert.rejects(again.start(), /start\(\) called when already running/);
  await again.stop();
});

Deno.test("an onEvent that throws is logged and does not break supervision", async () => {
  const w = new FakeFactory("w");
  const logged: unknown[][] = [];
  const originalError = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  try {
    const { clock, sup } = setup([w.spec()], {
      onEvent: () => {
        throw new Error("logger down");
      },
    });
    await sup.start();
    w.latest.crash(new Error("boom"));
    await clock.advance(POLICY.minMs);
    assert.equal(stateOf(sup, "w"), "running");
    await sup.stop();
  } finally {
    console.error = originalError;
  }
  assert.ok(logged.length > 0);
  assert.match(String(logged[0][0]), /Supervisor "test": onEvent threw on child-started/);
});

Deno.test("defaults are the documented values", () => {
  assert.deepEqual(DEFAULT_INTENSITY, { maxRestarts: 10, withinMs: 300_000 });
  assert.equal(DEFAULT_PARKED_RETRY_MS, 300_000);
});

Deno.test("bad specs and options are rejected with a message naming the problem", () => {
  const ok = new FakeFactory("ok").spec();
  const cases: [() => unknown, RegExp][] = [
    [() => new Supervisor("", []), /name must be a non-empty string/],
    [() => new Supervisor("s", [{ ...ok, id: "" }]), /child spec id must be a non-empty string/],
    [
      () => new Supervisor("s", [{ ...ok, restart: "always" as RestartPolicy }]),
      /child spec "ok": restart must be one of permanent, transient, temporary, got always/,
    ],
    [
      () => new Supervisor("s", [{ ...ok, shutdownMs: -1 }]),
      /child spec "ok": shutdownMs must be a finite number >= 0, got -1/,
    ],
    [
      () => new Supervisor("s", [{ ...ok, start: undefined as unknown as ChildSpec["start"] }]),
      /child spec "ok": start must be a function/,
    ],
    [
      () => new Supervisor("s", [], { intensity: { maxRestarts: -1, withinMs: 1 } }),
      /intensity.maxRestarts must be an integer >= 0, got -1/,
    ],
    [
      () => new Supervisor("s", [], { intensity: { maxRestarts: 1, withinMs: 0 } }),
      /intensity.withinMs must be a finite number > 0, got 0/,
    ],
    [
      () => new Supervisor("s", [], { parkedRetryMs: 0 }),
      /parkedRetryMs must be a finite number > 0/,
    ],
    [() => new Supervisor("s", [], { backoff: { jitter: 3 } }), /jitter must be between 0 and 1/],
  ];
  for (const [build, message] of cases) assert.throws(build, message);
});

Deno.test("stateOf answers one child's state, and undefined for an unknown id", async () => {
  const clock = new ManualClock(0);
  const sup = new Supervisor("one", [{
    id: "a",
    start: () => {
      const { promise, resolve } = Promise.withResolvers<ExitReason>();
      const child: Child = {
        done: promise,
        stop: () => Promise.resolve(resolve({ kind: "normal" })),
      };
      return Promise.resolve(child);
    },
    restart: "temporary",
    shutdownMs: 10,
  }], { clock });
  assert.equal(sup.stateOf("a"), "stopped"); // not started yet
  await sup.start();
  assert.deepEqual([sup.stateOf("a"), sup.stateOf("b")], ["running", undefined]);
  await sup.stop();
  assert.equal(sup.stateOf("a"), "stopped");
});
