/**
 * A one-for-one supervisor, modelled on Erlang/OTP supervisors and Akka's backoff supervisor:
 * it starts children in order, restarts each one on its own when it exits (with exponential
 * backoff), parks a child that keeps failing as `failed` and retries it slowly, and stops
 * everything in reverse order. Unlike OTP it never gives up on itself: one broken bot must not
 * take the other tenants of the process down with it, so a hopeless child is parked, not
 * escalated.
 *
 * A supervisor is itself a {@linkcode Child}, so trees nest (root → tenant → actors).
 *
 * @example A crashed child comes back after its backoff delay
 * ```ts
 * import assert from "node:assert/strict";
 * import { Actor } from "./actor.ts";
 * import { ManualClock } from "./clock.ts";
 * import { Supervisor } from "./supervisor.ts";
 *
 * const clock = new ManualClock();
 * let worker: Actor<"crash"> | undefined;
 * const root = new Supervisor("root", [{
 *   id: "worker",
 *   start: async () => {
 *     worker = Actor.spawn<"crash">("worker", () => ({
 *       receive() {
 *         throw new Error("boom");
 *       },
 *     }), { clock });
 *     return worker;
 *   },
 *   restart: "permanent",
 *   shutdownMs: 1_000,
 * }], { clock, random: () => 0 }); // no jitter: the first delay is exactly 500 ms
 * await root.start();
 * assert.equal(root.stateOf("worker"), "running");
 *
 * worker!.ref.tell("crash");
 * await clock.advance(0);
 * const [crashed] = root.status();
 * assert.equal(crashed.state, "backoff");
 * assert.equal(crashed.lastError, "Error: boom");
 * assert.equal(crashed.nextRetryAt, 500);
 *
 * await clock.advance(500);
 * assert.equal(root.stateOf("worker"), "running");
 * assert.equal(root.status()[0].restarts, 1);
 * await root.stop();
 * ```
 * @module
 */

import { errorText } from "./error_text.ts";
import { applyJitter, backoffDelay, type BackoffPolicy, resolveBackoffPolicy } from "./backoff.ts";
import type { Child, ExitReason } from "./child.ts";
import { FatalError } from "./child.ts";
import { type Clock, systemClock, type TimerId } from "./clock.ts";

/**
 * When a child is restarted after it exits:
 * `permanent` always, `transient` only after a failure, `temporary` never.
 */
export type RestartPolicy = "permanent" | "transient" | "temporary";

/** How to start one child and how to treat it. */
export interface ChildSpec {
  /** Unique within its supervisor; names the child in status and events. */
  readonly id: string;
  /** Starts a fresh instance; called again for every restart. */
  readonly start: () => Promise<Child>;
  /** Which exits lead to a restart. */
  readonly restart: RestartPolicy;
  /** How long `stop()` may take before the child is abandoned, in ms. */
  readonly shutdownMs: number;
}

/**
 * Where a child is in its life: `backoff` waits for a restart, `failed` is parked after
 * repeated or fatal failures and waits for a slow retry, `stopped` will not run again unless
 * asked to.
 */
export type ChildState = "starting" | "running" | "backoff" | "failed" | "stopping" | "stopped";

/** A snapshot of one child, as returned by {@linkcode Supervisor.status}. */
export interface ChildStatus {
  /** The spec's id. */
  readonly id: string;
  /** Where the child is now. */
  readonly state: ChildState;
  /** Every start after the first one: automatic restarts, slow retries and `restartChild`. */
  readonly restarts: number;
  /** Text of the most recent failure (kept after recovery, for diagnosis). */
  readonly lastError?: string;
  /** Clock time (ms) of the last state change. */
  readonly since: number;
  /** Clock time (ms) of the scheduled restart, while in `backoff` or `failed`. */
  readonly nextRetryAt?: number;
}

/** Restarts allowed per child within a sliding window before it is parked. */
export interface RestartIntensity {
  /** Restarts allowed inside the window; one more parks the child. */
  readonly maxRestarts: number;
  /** Length of the sliding window, in ms. */
  readonly withinMs: number;
}

/** Why a child was parked as `failed`. */
export type ParkCause =
  /** Its error was a {@linkcode FatalError}: restarting cannot help. */
  | "fatal"
  /** It needed more than `maxRestarts` restarts within `withinMs`. */
  | "intensity"
  /** A slow retry of a parked child failed before running stably. */
  | "retry-failed";

/** Everything a supervisor reports, for logs and metrics; `supervisor` is its name. */
export type SupervisorEvent =
  | { readonly type: "child-started"; readonly supervisor: string; readonly id: string }
  | {
    readonly type: "child-start-failed";
    readonly supervisor: string;
    readonly id: string;
    readonly error: unknown;
  }
  | {
    readonly type: "child-exited";
    readonly supervisor: string;
    readonly id: string;
    readonly reason: ExitReason;
    /** How long this instance ran, in ms. */
    readonly ranMs: number;
  }
  | {
    readonly type: "restart-scheduled";
    readonly supervisor: string;
    readonly id: string;
    readonly delayMs: number;
    /** Consecutive failures before this restart (0-based), as passed to the backoff. */
    readonly attempt: number;
  }
  | {
    readonly type: "child-parked";
    readonly supervisor: string;
    readonly id: string;
    readonly error: string;
    readonly cause: ParkCause;
    readonly retryInMs: number;
  }
  | { readonly type: "child-stopped"; readonly supervisor: string; readonly id: string }
  | { readonly type: "child-removed"; readonly supervisor: string; readonly id: string }
  | {
    readonly type: "stop-timeout";
    readonly supervisor: string;
    readonly id: string;
    readonly shutdownMs: number;
  }
  | {
    readonly type: "stop-error";
    readonly supervisor: string;
    readonly id: string;
    readonly error: unknown;
  };

/** Tuning and wiring for a {@linkcode Supervisor}; every field has a default. */
export interface SupervisorOptions {
  /** Source of time and timers; tests pass a `ManualClock`. */
  readonly clock?: Clock;
  /** Returns a number in [0, 1]; drives jitter. Tests pass a fixed function. */
  readonly random?: () => number;
  /** Overrides for the defaults in `backoff.ts` (`DEFAULT_BACKOFF_POLICY`). */
  readonly backoff?: Partial<BackoffPolicy>;
  /** When a child has restarted too often and is parked (default {@linkcode DEFAULT_INTENSITY}). */
  readonly intensity?: RestartIntensity;
  /** Delay between slow retries of a parked child, in ms (jittered like backoff). */
  readonly parkedRetryMs?: number;
  /** Called synchronously for every event; an exception it throws is logged, not propagated. */
  readonly onEvent?: (event: SupervisorEvent) => void;
  /**
   * How many children {@linkcode Supervisor.start} starts at the same time (default 1). Starts
   * always begin in order; with 1, each waits until the one before has started (OTP's rule, for
   * children that need the ones before them). Children that need nothing from each other, such
   * as tenants, can overlap their starts: each of a thousand tenants spends its start waiting
   * for Telegram, and one after another they took seconds (BENCHMARKS.md).
   */
  readonly startConcurrency?: number;
}

/**
 * Default restart intensity: more than 10 restarts within 5 minutes parks a child.
 *
 * The window is deliberately wider than OTP's (1 restart in 5 s) because backoff already slows
 * restarts down: with the default backoff the 10th restart of a child that fails instantly
 * comes after 2 to 2.5 minutes (0.5+1+2+4+8+16+30+30+30+30 s, less up to 20% jitter). A shared
 * blip such as a 20 s network outage therefore heals on the fast schedule instead of parking
 * every bot for `parkedRetryMs`, while a child that has failed for minutes on end is clearly not
 * healing by itself and moves to the slow schedule. (5 restarts within 60 s, the OTP-like choice,
 * would park a child after only ~15 s of failures.)
 */
export const DEFAULT_INTENSITY: RestartIntensity = Object.freeze({
  maxRestarts: 10,
  withinMs: 300_000,
});

/**
 * Default delay between slow retries of a parked child: 5 minutes. A parked bot whose token was
 * revoked then costs 288 requests a day, harmless to the Bot API, and a fix made outside the
 * process (token restored, upstream back) is picked up within minutes without a redeploy; a
 * config change applies at once through `restartChild`.
 */
export const DEFAULT_PARKED_RETRY_MS = 300_000;

const RESTART_POLICIES: readonly RestartPolicy[] = ["permanent", "transient", "temporary"];

type SupervisorPhase = "idle" | "running" | "stopping" | "stopped";

type StartOutcome = { readonly child: Child } | { readonly error: unknown };

/** Mutable bookkeeping for one child; never leaves this module. */
interface ChildRecord {
  readonly spec: ChildSpec;
  state: ChildState;
  since: number;
  nextRetryAt?: number;
  restarts: number;
  lastError?: string;
  /** The running instance, if any. */
  child?: Child;
  /** The instance being started, if a `spec.start()` call is in flight. */
  starting?: Promise<Child | undefined>;
  /** An in-flight shutdown, so `Supervisor.stop` can wait for one begun by another operation. */
  shuttingDown?: Promise<void>;
  startedAt: number;
  timer?: TimerId;
  /**
   * Bumped by every launch and every shutdown. Callbacks (exit watchers, timers, a start that
   * resolves late) remember the value they were created under and do nothing once it changed,
   * so a stale instance can never trigger a restart.
   */
  generation: number;
  /** Consecutive failures, the backoff attempt number. */
  attempt: number;
  /** Clock times of recent restarts, for the intensity window. */
  restartTimes: number[];
  /** Set while the child is on a slow retry from `failed`; cleared once it runs stably. */
  probation: boolean;
}

function isChild(value: unknown): value is Child {
  const candidate = value as Partial<Child> | null | undefined;
  return typeof candidate?.stop === "function" &&
    typeof (candidate.done as Promise<unknown> | undefined)?.then === "function";
}

// The Child contract says `done` never rejects; a child that breaks it still ends, as a failure.
function settledDone(child: Child): Promise<ExitReason> {
  return Promise.resolve(child.done).then(
    (reason) => reason,
    (error: unknown) => ({ kind: "failure", error }),
  );
}

/**
 * Supervises children one-for-one. See the module documentation for the model.
 *
 * @example Children added, restarted and removed at run time
 * ```ts
 * import assert from "node:assert/strict";
 * import { Actor } from "./actor.ts";
 * import { FatalError } from "./child.ts";
 * import { ManualClock } from "./clock.ts";
 * import { Supervisor, type SupervisorEvent } from "./supervisor.ts";
 *
 * const clock = new ManualClock();
 * const events: string[] = [];
 * const onEvent = (event: SupervisorEvent) => events.push(`${event.type} ${event.id}`);
 * const tenants = new Supervisor("tenants", [], { clock, onEvent });
 * await tenants.start();
 *
 * const idle = async () => Actor.spawn<never>("shop", () => ({ receive() {} }), { clock });
 * await tenants.addChild({ id: "shop", start: idle, restart: "permanent", shutdownMs: 1_000 });
 * await tenants.restartChild("shop"); // e.g. after its config changed
 * assert.equal(tenants.status()[0].restarts, 1);
 *
 * // A child failing with FatalError (a revoked token) is parked at once, not restarted in a loop.
 * const revoked = async () => Promise.reject(new FatalError("401 Unauthorized"));
 * await tenants.addChild({ id: "quiz", start: revoked, restart: "permanent", shutdownMs: 1_000 });
 * assert.equal(tenants.stateOf("quiz"), "failed");
 *
 * await tenants.removeChild("quiz");
 * assert.deepEqual(tenants.status().map((child) => child.id), ["shop"]);
 * await tenants.stop();
 * assert.deepEqual(await tenants.done, { kind: "normal" });
 * assert.deepEqual(events, [
 *   "child-started shop",
 *   "child-started shop",
 *   "child-start-failed quiz",
 *   "child-parked quiz",
 *   "child-removed quiz",
 *   "child-stopped shop",
 * ]);
 * ```
 */
export class Supervisor implements Child {
  /** Names this supervisor in errors and events. */
  readonly name: string;
  /** Settles with `normal` once {@linkcode Supervisor.stop} has finished; never rejects. */
  readonly done: Promise<ExitReason>;

  readonly #records = new Map<string, ChildRecord>();
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #backoff: BackoffPolicy;
  readonly #intensity: RestartIntensity;
  readonly #parkedRetryMs: number;
  readonly #onEvent?: (event: SupervisorEvent) => void;
  readonly #startConcurrency: number;
  readonly #resolveDone: (reason: ExitReason) => void;
  #phase: SupervisorPhase = "idle";
  #stopping?: Promise<void>;
  // addChild/removeChild/restartChild queue per child, so two of them never act on the same
  // child at once, while operations on different children (a cluster moving tenants between
  // instances) do not wait for each other; all of them wait for start(). stop() does not queue,
  // because it must win even over a start that hangs.
  #queue: Promise<unknown> = Promise.resolve();
  readonly #childQueues = new Map<string, Promise<unknown>>();

  /**
   * Validates `specs` and `options`; throws naming the first problem. Nothing starts until
   * {@linkcode Supervisor.start}.
   */
  constructor(name: string, specs: readonly ChildSpec[], options: SupervisorOptions = {}) {
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError("Supervisor: name must be a non-empty string");
    }
    this.name = name;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#backoff = resolveBackoffPolicy(options.backoff);
    this.#intensity = this.#validateIntensity(options.intensity ?? DEFAULT_INTENSITY);
    this.#parkedRetryMs = options.parkedRetryMs ?? DEFAULT_PARKED_RETRY_MS;
    if (!Number.isFinite(this.#parkedRetryMs) || this.#parkedRetryMs <= 0) {
      throw new RangeError(
        `Supervisor "${name}": parkedRetryMs must be a finite number > 0, got ${
          String(options.parkedRetryMs)
        }`,
      );
    }
    this.#startConcurrency = options.startConcurrency ?? 1;
    if (!Number.isSafeInteger(this.#startConcurrency) || this.#startConcurrency < 1) {
      throw new RangeError(
        `Supervisor "${name}": startConcurrency must be an integer >= 1, got ${
          String(options.startConcurrency)
        }`,
      );
    }
    this.#onEvent = options.onEvent;
    const { promise, resolve } = Promise.withResolvers<ExitReason>();
    this.done = promise;
    this.#resolveDone = resolve;
    for (const spec of specs) this.#register(spec);
  }

  /**
   * Starts every child in order, one after the other (or up to `startConcurrency` at a time,
   * still begun in order), and resolves when each has started or failed to start. A child whose
   * `start()` throws is scheduled for a restart (or parked, for a {@linkcode FatalError}) and
   * does not hold up the children after it.
   */
  start(): Promise<void> {
    if (this.#phase !== "idle") {
      return Promise.reject(
        new Error(`Supervisor "${this.name}": start() called when already ${this.#phase}`),
      );
    }
    this.#phase = "running";
    return this.#serial(async () => {
      const records = [...this.#records.values()];
      let next = 0;
      // Each starter takes the next child in order; with one starter, this is one at a time.
      const starter = async () => {
        while (next < records.length && this.#phase === "running") {
          await this.#launchUntilStopped(records[next++]);
        }
      };
      const starters = Math.min(this.#startConcurrency, records.length);
      await Promise.all(Array.from({ length: starters }, starter));
    });
  }

  /**
   * Adds a child and, if the supervisor is running, starts it. Throws if the id is taken or
   * the supervisor is stopping.
   */
  addChild(spec: ChildSpec): Promise<void> {
    try {
      this.#requireNotStopping("addChild");
      // Registering at once (not in the queue) makes a concurrent duplicate fail immediately.
      const record = this.#register(spec);
      if (this.#phase === "idle") return Promise.resolve();
      return this.#serialFor(spec.id, async () => {
        if (this.#phase === "running" && this.#records.get(spec.id) === record) {
          await this.#launchUntilStopped(record);
        }
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Stops a child within its `shutdownMs` and forgets it. */
  removeChild(id: string): Promise<void> {
    return this.#serialFor(id, async () => {
      this.#requireNotStopping("removeChild");
      const record = this.#require(id);
      await this.#shutdown(record, `removed from supervisor "${this.name}"`);
      this.#records.delete(id);
      this.#emit({ type: "child-removed", supervisor: this.name, id });
    });
  }

  /**
   * Stops a child (within its `shutdownMs`) and starts it again now, forgetting its backoff and
   * restart-intensity history: for a config change, or to retry a parked child at once.
   */
  restartChild(id: string): Promise<void> {
    return this.#serialFor(id, async () => {
      if (this.#phase !== "running") {
        throw new Error(
          `Supervisor "${this.name}": restartChild("${id}") needs a running supervisor, it is ${this.#phase}`,
        );
      }
      const record = this.#require(id);
      await this.#shutdown(record, `restarted by supervisor "${this.name}"`);
      // stop() may have begun while the old instance was shutting down; it wins.
      if (this.#phase !== "running") return;
      record.attempt = 0;
      record.restartTimes = [];
      record.probation = false;
      record.restarts++;
      await this.#launchUntilStopped(record);
    });
  }

  /** A snapshot of every child, in start order. */
  status(): ChildStatus[] {
    return [...this.#records.values()].map((record) => ({
      id: record.spec.id,
      state: record.state,
      restarts: record.restarts,
      since: record.since,
      ...(record.lastError === undefined ? {} : { lastError: record.lastError }),
      ...(record.nextRetryAt === undefined ? {} : { nextRetryAt: record.nextRetryAt }),
    }));
  }

  /**
   * One child's state, or `undefined` for an unknown id — without building every child's
   * snapshot, for callers on a hot path (a webhook request asks for its tenant's).
   */
  stateOf(id: string): ChildState | undefined {
    return this.#records.get(id)?.state;
  }

  /**
   * Cancels every pending restart, then stops the children in reverse start order, each within
   * its `shutdownMs`; a child still running after that is abandoned (event `stop-timeout`).
   * Resolves once all are handled, with `done` holding `normal`. Calling it again returns the
   * same promise.
   */
  stop(reason?: string): Promise<void> {
    this.#stopping ??= this.#stopAll(reason ?? `supervisor "${this.name}" stopping`);
    return this.#stopping;
  }

  async #stopAll(reason: string): Promise<void> {
    this.#phase = "stopping";
    const records = [...this.#records.values()];
    // Cancel every timer first, so no restart fires while earlier children are being stopped.
    for (const record of records) {
      record.generation++;
      this.#clearTimer(record);
    }
    for (const record of records.reverse()) {
      const wasStopped = record.state === "stopped";
      await Promise.all([record.shuttingDown, this.#shutdown(record, reason)]);
      this.#setState(record, "stopped");
      if (!wasStopped) {
        this.#emit({ type: "child-stopped", supervisor: this.name, id: record.spec.id });
      }
    }
    this.#phase = "stopped";
    this.#resolveDone({ kind: "normal" });
  }

  #validateIntensity(intensity: RestartIntensity): RestartIntensity {
    if (!Number.isSafeInteger(intensity.maxRestarts) || intensity.maxRestarts < 0) {
      throw new RangeError(
        `Supervisor "${this.name}": intensity.maxRestarts must be an integer >= 0, got ${
          String(intensity.maxRestarts)
        }`,
      );
    }
    if (!Number.isFinite(intensity.withinMs) || intensity.withinMs <= 0) {
      throw new RangeError(
        `Supervisor "${this.name}": intensity.withinMs must be a finite number > 0, got ${
          String(intensity.withinMs)
        }`,
      );
    }
    return intensity;
  }

  #register(spec: ChildSpec): ChildRecord {
    const where = `Supervisor "${this.name}"`;
    if (typeof spec?.id !== "string" || spec.id.length === 0) {
      throw new TypeError(`${where}: child spec id must be a non-empty string`);
    }
    const what = `${where}: child spec "${spec.id}"`;
    if (this.#records.has(spec.id)) {
      throw new Error(`${where}: a child with id "${spec.id}" already exists`);
    }
    if (typeof spec.start !== "function") {
      throw new TypeError(`${what}: start must be a function returning Promise<Child>`);
    }
    if (!RESTART_POLICIES.includes(spec.restart)) {
      throw new TypeError(
        `${what}: restart must be one of ${RESTART_POLICIES.join(", ")}, got ${
          String(spec.restart)
        }`,
      );
    }
    if (!Number.isFinite(spec.shutdownMs) || spec.shutdownMs < 0) {
      throw new RangeError(
        `${what}: shutdownMs must be a finite number >= 0, got ${String(spec.shutdownMs)}`,
      );
    }
    const record: ChildRecord = {
      spec,
      state: "stopped",
      since: this.#clock.now(),
      restarts: 0,
      startedAt: 0,
      generation: 0,
      attempt: 0,
      restartTimes: [],
      probation: false,
    };
    this.#records.set(spec.id, record);
    return record;
  }

  #require(id: string): ChildRecord {
    const record = this.#records.get(id);
    if (!record) throw new Error(`Supervisor "${this.name}": no child with id "${id}"`);
    return record;
  }

  #requireNotStopping(operation: string): void {
    if (this.#phase === "stopping" || this.#phase === "stopped") {
      throw new Error(`Supervisor "${this.name}": cannot ${operation}, it is ${this.#phase}`);
    }
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => {});
    return result;
  }

  /** Runs `operation` after start() and after the operations queued before on child `id`. */
  #serialFor<T>(id: string, operation: () => Promise<T>): Promise<T> {
    const before = this.#childQueues.get(id);
    const result = (before ? Promise.all([this.#queue, before]) : this.#queue).then(operation);
    const tail = result.catch(() => {});
    this.#childQueues.set(id, tail);
    tail.then(() => {
      if (this.#childQueues.get(id) === tail) this.#childQueues.delete(id);
    });
    return result;
  }

  #emit(event: SupervisorEvent): void {
    try {
      this.#onEvent?.(event);
    } catch (error) {
      // A broken logger must not break supervision, nor go unnoticed.
      console.error(`Supervisor "${this.name}": onEvent threw on ${event.type}:`, error);
    }
  }

  #setState(record: ChildRecord, state: ChildState, nextRetryAt?: number): void {
    record.state = state;
    record.since = this.#clock.now();
    record.nextRetryAt = nextRetryAt;
  }

  #clearTimer(record: ChildRecord): void {
    if (record.timer !== undefined) this.#clock.clearTimeout(record.timer);
    record.timer = undefined;
  }

  async #callStart(spec: ChildSpec): Promise<StartOutcome> {
    try {
      const child: unknown = await spec.start();
      if (!isChild(child)) {
        return {
          error: new TypeError(`child "${spec.id}": start() must resolve to a Child (done, stop)`),
        };
      }
      return { child };
    } catch (error) {
      return { error };
    }
  }

  /**
   * Launches `record`, but gives up waiting once the supervisor has stopped: a `start()` that
   * hangs must not keep `start()`, `addChild()` or `restartChild()` (nor the operations queued
   * behind them) pending forever. `stop()` takes care of the instance if it arrives later.
   */
  #launchUntilStopped(record: ChildRecord): Promise<void> {
    return Promise.race([this.#launch(record), this.done.then(() => {})]);
  }

  /** Starts a fresh instance of `record` and watches it; never throws. */
  async #launch(record: ChildRecord): Promise<void> {
    const generation = ++record.generation;
    this.#setState(record, "starting");
    const outcome = this.#callStart(record.spec);
    record.starting = outcome.then((result) => "child" in result ? result.child : undefined);
    const result = await outcome;
    // Stopped, removed or restarted while starting: whoever did that stops this instance.
    if (record.generation !== generation) return;
    record.starting = undefined;
    const id = record.spec.id;
    if ("error" in result) {
      this.#emit({ type: "child-start-failed", supervisor: this.name, id, error: result.error });
      this.#onFailure(record, result.error, 0);
      return;
    }
    const { child } = result;
    record.child = child;
    record.startedAt = this.#clock.now();
    this.#setState(record, "running");
    this.#emit({ type: "child-started", supervisor: this.name, id });
    settledDone(child).then((reason) => {
      if (record.generation === generation) this.#onExit(record, reason);
    });
  }

  #onExit(record: ChildRecord, reason: ExitReason): void {
    const ranMs = this.#clock.now() - record.startedAt;
    record.child = undefined;
    const id = record.spec.id;
    this.#emit({ type: "child-exited", supervisor: this.name, id, reason, ranMs });
    if (reason.kind === "failure") {
      this.#onFailure(record, reason.error, ranMs);
    } else if (record.spec.restart === "permanent") {
      // A permanent child is meant to run forever, so a normal exit is unexpected. It is
      // restarted after the first backoff delay rather than at once, and counts towards the
      // intensity, so a child that returns immediately every time cannot spin in a hot loop.
      this.#scheduleRestart(record, {
        failed: false,
        stable: ranMs >= this.#backoff.resetAfterMs,
        why: "exited normally, but it is permanent",
      });
    } else {
      this.#stopForGood(record);
    }
  }

  #onFailure(record: ChildRecord, error: unknown, ranMs: number): void {
    record.lastError = errorText(error);
    const stable = ranMs >= this.#backoff.resetAfterMs;
    if (record.spec.restart === "temporary") {
      this.#stopForGood(record);
    } else if (error instanceof FatalError) {
      this.#park(record, "fatal", record.lastError);
    } else if (record.probation && !stable) {
      this.#park(record, "retry-failed", record.lastError);
    } else {
      this.#scheduleRestart(record, { failed: true, stable, why: record.lastError });
    }
  }

  #stopForGood(record: ChildRecord): void {
    this.#setState(record, "stopped");
    this.#emit({ type: "child-stopped", supervisor: this.name, id: record.spec.id });
  }

  #scheduleRestart(
    record: ChildRecord,
    exit: { failed: boolean; stable: boolean; why: string },
  ): void {
    const now = this.#clock.now();
    if (exit.stable) record.probation = false;
    // A normal exit or a stable run ends the streak of consecutive failures.
    if (exit.stable || !exit.failed) record.attempt = 0;
    const windowStart = now - this.#intensity.withinMs;
    record.restartTimes = record.restartTimes.filter((at) => at > windowStart);
    if (record.restartTimes.length >= this.#intensity.maxRestarts) {
      this.#park(record, "intensity", exit.why);
      return;
    }
    record.restartTimes.push(now);
    const attempt = record.attempt;
    const delayMs = backoffDelay(this.#backoff, attempt, this.#random);
    if (exit.failed) record.attempt++;
    this.#retryLater(record, "backoff", delayMs);
    this.#emit({
      type: "restart-scheduled",
      supervisor: this.name,
      id: record.spec.id,
      delayMs,
      attempt,
    });
  }

  #park(record: ChildRecord, cause: ParkCause, error: string): void {
    record.lastError = error;
    // The slow schedule starts with a clean slate; a retry that runs stably leaves probation
    // and is then handled like any other child.
    record.attempt = 0;
    record.restartTimes = [];
    record.probation = true;
    // Jittered like backoff: an outage that parks every bot at once must not make them all
    // retry in the same instant every few minutes.
    const retryInMs = applyJitter(this.#parkedRetryMs, this.#backoff.jitter, this.#random);
    this.#retryLater(record, "failed", retryInMs);
    this.#emit({
      type: "child-parked",
      supervisor: this.name,
      id: record.spec.id,
      error,
      cause,
      retryInMs,
    });
  }

  #retryLater(record: ChildRecord, state: "backoff" | "failed", delayMs: number): void {
    const generation = record.generation;
    this.#setState(record, state, this.#clock.now() + delayMs);
    record.timer = this.#clock.setTimeout(() => {
      record.timer = undefined;
      if (record.generation !== generation) return;
      record.restarts++;
      void this.#launch(record);
    }, delayMs);
  }

  /**
   * Stops whatever instance `record` has (running, or still starting) within its shutdownMs
   * and cancels its timer. Leaves the state at `stopping` if there was an instance; the caller
   * sets what comes next.
   */
  #shutdown(record: ChildRecord, reason: string): Promise<void> {
    record.generation++;
    this.#clearTimer(record);
    const running = record.child;
    const starting = record.starting;
    record.child = undefined;
    record.starting = undefined;
    if (!running && !starting) {
      if (record.state !== "stopped") this.#setState(record, "stopped");
      return Promise.resolve();
    }
    this.#setState(record, "stopping");
    // Keeps going after a timeout: an instance whose start() resolves late is still stopped.
    const ended = (async () => {
      const child = running ?? await starting;
      if (child) await this.#stopInstance(record, child, reason);
    })();
    const shutdown = this.#within(ended, record.spec.shutdownMs).then((inTime) => {
      if (record.shuttingDown === shutdown) record.shuttingDown = undefined;
      if (!inTime) {
        this.#emit({
          type: "stop-timeout",
          supervisor: this.name,
          id: record.spec.id,
          shutdownMs: record.spec.shutdownMs,
        });
      }
    });
    record.shuttingDown = shutdown;
    return shutdown;
  }

  async #stopInstance(record: ChildRecord, child: Child, reason: string): Promise<void> {
    // If stop() itself rejects, `done` still decides: a child that never ends hits the timeout.
    const stopped = Promise.resolve()
      .then(() => child.stop(reason))
      .catch((error: unknown) => {
        this.#emit({ type: "stop-error", supervisor: this.name, id: record.spec.id, error });
      });
    await Promise.all([stopped, settledDone(child)]);
  }

  /** Resolves `true` if `work` settles within `ms`, `false` otherwise; `work` must not reject. */
  async #within(work: Promise<void>, ms: number): Promise<boolean> {
    let timer: TimerId | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([work.then(() => true), timeout]);
    } finally {
      this.#clock.clearTimeout(timer!);
    }
  }
}
