/**
 * Actors: units of state that handle one message at a time from a bounded mailbox, so their
 * state needs no locks. The message protocol is a discriminated union chosen by the user; a
 * message that expects an answer carries a {@linkcode Reply}.
 *
 * Failures are not handled here: if a handler throws, the actor ends with a `failure` reason
 * and a supervisor decides whether to spawn it again ("let it crash").
 *
 * @example A counter
 * ```ts
 * import assert from "node:assert/strict";
 * import { Actor, type Reply } from "./actor.ts";
 *
 * type CounterMsg = { type: "Add"; n: number } | { type: "Get"; reply: Reply<number> };
 * const counter = Actor.spawn<CounterMsg>("counter", () => {
 *   let total = 0;
 *   return {
 *     receive(msg) {
 *       if (msg.type === "Add") total += msg.n;
 *       else msg.reply(total);
 *     },
 *   };
 * });
 * counter.ref.tell({ type: "Add", n: 2 });
 * await counter.ref.send({ type: "Add", n: 3 });
 * const total = await counter.ref.ask<number>((reply) => ({ type: "Get", reply }), {
 *   timeoutMs: 1_000,
 * });
 * assert.equal(total, 5);
 * await counter.stop();
 * assert.deepEqual(await counter.done, { kind: "normal" });
 * ```
 * @module
 */

import { Channel, ChannelClosedError } from "./channel.ts";
import type { Child, ExitReason } from "./child.ts";
import { type Clock, systemClock } from "./clock.ts";
import { type DeadLetters, globalDeadLetters } from "./dead_letters.ts";

export { globalDeadLetters };

/**
 * The default mailbox capacity. Big enough to absorb a burst of updates (a popular bot gets
 * many at once) without spurious backpressure, small enough that an actor that is stuck shows
 * up quickly as senders waiting and dead letters instead of as slow, unbounded memory growth.
 */
export const DEFAULT_MAILBOX_CAPACITY = 1000;

/**
 * How a handler answers an {@linkcode ActorRef.ask}: call it with the value, or call `fail` with
 * an error. Only the first call counts; later calls, and calls after the ask timed out or was
 * aborted, are ignored, so a handler never has to know whether the asker is still waiting.
 */
export interface Reply<R> {
  (value: R): void;
  fail(error: unknown): void;
}

/** An ask got no reply within its `timeoutMs`. */
export class AskTimeoutError extends Error {
  readonly actor: string;
  readonly timeoutMs: number;

  constructor(actor: string, timeoutMs: number) {
    super(`ask to actor "${actor}" got no reply within ${timeoutMs} ms`);
    this.name = "AskTimeoutError";
    this.actor = actor;
    this.timeoutMs = timeoutMs;
  }
}

/** The actor has stopped (or is stopping), so the message was not or will not be handled. */
export class ActorStoppedError extends Error {
  readonly actor: string;

  constructor(actor: string, detail?: string) {
    super(`actor "${actor}" stopped${detail === undefined ? "" : `: ${detail}`}`);
    this.name = "ActorStoppedError";
    this.actor = actor;
  }
}

/** Options for {@linkcode ActorRef.send}. */
export interface SendOptions {
  /** Stops waiting for room; the message is then not delivered. */
  signal?: AbortSignal;
}

/** Options for {@linkcode ActorRef.ask}. */
export interface AskOptions {
  /** Required, a finite number > 0: every ask must end, even if the actor never answers. */
  timeoutMs: number;
  /** Gives up early; the ask rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The handle other code uses to message an actor. */
export interface ActorRef<Msg> {
  readonly name: string;
  /** Delivers without waiting; `false` (and a dead letter) when the mailbox is full or stopped. */
  tell(msg: Msg): boolean;
  /**
   * Delivers, waiting while the mailbox is full (backpressure).
   *
   * @throws {ActorStoppedError} when the actor is stopped or stops while this waits.
   */
  send(msg: Msg, options?: SendOptions): Promise<void>;
  /**
   * Sends the message built by `make` around a fresh {@linkcode Reply} and resolves with the
   * answer. Waiting for room in a full mailbox counts against the timeout; a message whose ask
   * gives up while it waits for room is never delivered.
   *
   * @throws {TypeError} synchronously, when `options.timeoutMs` is not a finite number > 0.
   * @throws {AskTimeoutError} when no reply comes within `timeoutMs` (on the actor's clock).
   * @throws {ActorStoppedError} when the actor stops before answering.
   * @throws the handler's error when handling the message throws, the error `make` throws, or
   * the signal's reason on abort.
   */
  ask<R>(make: (reply: Reply<R>) => Msg, options: AskOptions): Promise<R>;
}

/** What a behavior gets besides the message. */
export interface ActorContext<Msg> {
  /** A reference to this actor, to message itself or to hand out. */
  readonly self: ActorRef<Msg>;
  readonly name: string;
  /** The clock to wait on, so tests control time. */
  readonly clock: Clock;
  /** Aborted as soon as a stop or restart is requested, so long handlers can cut short. */
  readonly signal: AbortSignal;
}

/**
 * The code of an actor. A fresh one comes from the factory at spawn and at every restart, so
 * state kept in its closure (or fields) starts over.
 */
export interface Behavior<Msg> {
  /** Handles one message; the next one waits until a returned promise settles. */
  receive(msg: Msg, ctx: ActorContext<Msg>): void | Promise<void>;
  /** Runs before the first message; throwing ends the actor with `failure`. */
  preStart?(ctx: ActorContext<Msg>): void | Promise<void>;
  /** Runs once when this behavior is done (stop, failure or restart); for releasing resources. */
  postStop?(ctx: ActorContext<Msg>): void | Promise<void>;
}

/** Options for {@linkcode Actor.spawn}. */
export interface ActorOptions {
  /** User-message slots; an integer ≥ 1, default {@linkcode DEFAULT_MAILBOX_CAPACITY}. */
  mailboxCapacity?: number;
  /** Clock for ask timeouts and for behaviors; default the system clock. */
  clock?: Clock;
  /** Where undeliverable messages are counted; default {@linkcode globalDeadLetters}. */
  deadLetters?: DeadLetters;
}

/** Only the failing half of a reply, so asks of any answer type can sit in one collection. */
type Failable = Pick<Reply<unknown>, "fail">;

interface Envelope<Msg> {
  readonly msg: Msg;
  /** Set when the message came from `ask`, so a failure or stop can answer it at once. */
  readonly reply?: Failable;
}

interface Incarnation<Msg> {
  readonly ctx: ActorContext<Msg>;
  readonly controller: AbortController;
}

/** Builds a reply whose first call wins and that reports, synchronously, that it settled. */
function createReply<R>(onSettled: () => void): { reply: Reply<R>; promise: Promise<R> } {
  const { promise, resolve, reject } = Promise.withResolvers<R>();
  let settled = false;
  const reply = Object.assign(
    (value: R) => {
      if (settled) return;
      settled = true;
      onSettled();
      resolve(value);
    },
    {
      fail(error: unknown) {
        if (settled) return;
        settled = true;
        onSettled();
        reject(error);
      },
    },
  );
  return { reply, promise };
}

const NORMAL_EXIT: ExitReason = { kind: "normal" };

/**
 * A running actor: a mailbox, a behavior handling it one message at a time, and a separate
 * unbounded lane for system requests (stop, restart) that is checked before every user message,
 * so those never queue behind a full mailbox.
 *
 * @example An ask nobody answers times out on the actor's clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { Actor, AskTimeoutError, type Reply } from "./actor.ts";
 * import { ManualClock } from "./clock.ts";
 *
 * const clock = new ManualClock();
 * const silent = Actor.spawn<{ reply: Reply<string> }>("silent", () => ({ receive() {} }), {
 *   clock,
 * });
 * const answer = silent.ref.ask<string>((reply) => ({ reply }), { timeoutMs: 500 });
 * const timedOut = assert.rejects(answer, AskTimeoutError);
 * await clock.advance(500);
 * await timedOut;
 * await silent.stop();
 * ```
 *
 * @example A handler that throws ends the actor; its supervisor decides what next
 * ```ts
 * import assert from "node:assert/strict";
 * import { Actor, ActorStoppedError, type Reply } from "./actor.ts";
 * import { DeadLetters } from "./dead_letters.ts";
 *
 * type Msg = { type: "Crash" } | { type: "Ping"; reply: Reply<string> };
 * const deadLetters = new DeadLetters();
 * const fragile = Actor.spawn<Msg>("fragile", () => ({
 *   receive(msg) {
 *     if (msg.type === "Crash") throw new Error("boom");
 *     msg.reply("pong");
 *   },
 * }), { deadLetters });
 * fragile.ref.tell({ type: "Crash" });
 * const ping = fragile.ref.ask<string>((reply) => ({ type: "Ping", reply }), { timeoutMs: 1_000 });
 *
 * const exit = await fragile.done;
 * assert.equal(exit.kind, "failure");
 * // The message queued behind the crash is never handled: its ask fails and it is a dead letter.
 * await assert.rejects(ping, ActorStoppedError);
 * assert.equal(deadLetters.count("fragile"), 1);
 * ```
 */
export class Actor<Msg> implements Child {
  /** The handle to give to other code. */
  readonly ref: ActorRef<Msg>;
  /** Settles, never rejects, once the actor has ended and `postStop` has run. */
  readonly done: Promise<ExitReason>;

  readonly #name: string;
  readonly #factory: () => Behavior<Msg>;
  readonly #clock: Clock;
  readonly #deadLetters: DeadLetters;
  readonly #mailbox: Channel<Envelope<Msg>>;
  /** Asks not answered yet, so ending the actor can fail even those a behavior set aside. */
  readonly #pendingAsks = new Set<Failable>();
  #behavior: Behavior<Msg> | undefined;
  #incarnation: Incarnation<Msg>;
  // The system lane. A stop is a flag because repeating it means nothing new; restarts queue
  // their callers, and one restart answers every caller waiting when it begins.
  #stopRequested = false;
  #restartWaiters: Array<PromiseWithResolvers<void>> = [];
  /** Aborted to wake the loop from an empty-mailbox wait when a system request arrives. */
  #wake: AbortController | undefined;
  #ending = false;

  /**
   * Starts an actor named `name` whose behavior comes from `factory`. The factory and `preStart`
   * run just after `spawn` returns, inside the actor, so if either throws the actor ends with
   * `failure` like any other crash.
   *
   * @throws {TypeError} when `name` is not a non-empty string.
   * @throws {RangeError} when `options.mailboxCapacity` is not an integer ≥ 1.
   */
  static spawn<Msg>(
    name: string,
    factory: () => Behavior<Msg>,
    options: ActorOptions = {},
  ): Actor<Msg> {
    if (typeof name !== "string" || name.trim() === "") {
      throw new TypeError(`Actor name must be a non-empty string, got ${JSON.stringify(name)}`);
    }
    if (typeof factory !== "function") {
      throw new TypeError(`Actor "${name}" needs a behavior factory function`);
    }
    const capacity = options.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `mailboxCapacity of actor "${name}" must be an integer >= 1, got ${String(capacity)}`,
      );
    }
    return new Actor(name, factory, capacity, options);
  }

  private constructor(
    name: string,
    factory: () => Behavior<Msg>,
    capacity: number,
    options: ActorOptions,
  ) {
    this.#name = name;
    this.#factory = factory;
    this.#clock = options.clock ?? systemClock;
    this.#deadLetters = options.deadLetters ?? globalDeadLetters;
    this.#mailbox = new Channel(capacity);
    this.ref = {
      name,
      tell: (msg) => this.#tell(msg),
      send: (msg, sendOptions) => this.#send(msg, sendOptions),
      ask: (make, askOptions) => this.#ask(make, askOptions),
    };
    this.#incarnation = this.#newIncarnation();
    this.done = this.#run();
  }

  /** User messages waiting in the mailbox. */
  get mailboxSize(): number {
    return this.#mailbox.size;
  }

  /**
   * Asks the actor to stop and resolves once it has. The message being handled finishes first
   * (its `ctx.signal` is aborted at once); messages still in the mailbox become dead letters and
   * their asks reject with {@linkcode ActorStoppedError}. `done` then holds `normal`, unless
   * `postStop` throws, in which case it holds that failure so the error is not lost.
   */
  stop(reason?: string): Promise<void> {
    if (!this.#stopRequested && !this.#ending) {
      this.#stopRequested = true;
      // Closing now makes every later tell a dead letter and releases blocked senders, instead
      // of accepting messages that can only be thrown away.
      this.#mailbox.close();
      this.#incarnation.controller.abort(new ActorStoppedError(this.#name, reason));
      this.#wake?.abort();
    }
    return this.done.then(() => {});
  }

  /**
   * Replaces the behavior once the message being handled finishes: `postStop` of the old one, a
   * new one from the factory, its `preStart`. The mailbox is kept. Resolves when the new behavior
   * has started.
   *
   * @throws {ActorStoppedError} when the actor stops (or has stopped) before restarting.
   * @throws the error of `postStop`, the factory or `preStart`; the actor then ends with it.
   */
  restart(reason?: string): Promise<void> {
    if (this.#stopRequested || this.#ending) {
      return Promise.reject(new ActorStoppedError(this.#name, "cannot restart a stopped actor"));
    }
    const waiter = Promise.withResolvers<void>();
    this.#restartWaiters.push(waiter);
    const why = reason === undefined ? "restarting" : `restarting: ${reason}`;
    this.#incarnation.controller.abort(new ActorStoppedError(this.#name, why));
    this.#wake?.abort();
    return waiter.promise;
  }

  async #run(): Promise<ExitReason> {
    // Begin on a later microtask so no user code runs inside `spawn`: the caller holds the actor
    // (and can register or hand out its ref) before the factory or `preStart` run.
    await Promise.resolve();
    const exit = (await this.#startBehavior()) ?? (await this.#loop());
    return await this.#shutdown(exit);
  }

  async #loop(): Promise<ExitReason> {
    for (;;) {
      if (this.#stopRequested) return NORMAL_EXIT;
      if (this.#restartWaiters.length > 0) {
        const failed = await this.#restartBehavior();
        if (failed) return failed;
        continue;
      }
      const envelope = await this.#nextEnvelope();
      if (envelope === undefined) continue;
      try {
        await this.#behavior!.receive(envelope.msg, this.#incarnation.ctx);
      } catch (error) {
        envelope.reply?.fail(error);
        return { kind: "failure", error };
      }
    }
  }

  /** The next user message, or `undefined` when a system request interrupted the wait. */
  async #nextEnvelope(): Promise<Envelope<Msg> | undefined> {
    const ready = this.#mailbox.tryReceive();
    if (ready.ok) return ready.value;
    const wake = new AbortController();
    this.#wake = wake;
    try {
      return await this.#mailbox.receive({ signal: wake.signal });
    } catch {
      // Only two things end this wait early: `#wake` aborted by a system request, or the mailbox
      // closed by `stop`. Either way the system lane now has work, and no message was taken.
      return undefined;
    } finally {
      this.#wake = undefined;
    }
  }

  /** Makes a behavior and runs its `preStart`; returns the failure if either throws. */
  async #startBehavior(): Promise<ExitReason | undefined> {
    try {
      this.#behavior = this.#factory();
      await this.#behavior.preStart?.(this.#incarnation.ctx);
      return undefined;
    } catch (error) {
      return { kind: "failure", error };
    }
  }

  async #restartBehavior(): Promise<ExitReason | undefined> {
    const waiters = this.#restartWaiters.splice(0);
    const failed = (await this.#stopBehavior()) ??
      (this.#stopRequested ? undefined : await this.#startFreshIncarnation());
    for (const waiter of waiters) {
      if (failed?.kind === "failure") waiter.reject(failed.error);
      else if (this.#stopRequested) {
        waiter.reject(new ActorStoppedError(this.#name, "stopped before restarting"));
      } else waiter.resolve();
    }
    return failed;
  }

  #startFreshIncarnation(): Promise<ExitReason | undefined> {
    this.#incarnation = this.#newIncarnation();
    return this.#startBehavior();
  }

  /** Runs `postStop` of the current behavior at most once; returns the failure if it throws. */
  async #stopBehavior(): Promise<ExitReason | undefined> {
    const behavior = this.#behavior;
    this.#behavior = undefined;
    try {
      await behavior?.postStop?.(this.#incarnation.ctx);
      return undefined;
    } catch (error) {
      return { kind: "failure", error };
    }
  }

  async #shutdown(exit: ExitReason): Promise<ExitReason> {
    this.#ending = true;
    const stopped = new ActorStoppedError(this.#name);
    this.#incarnation.controller.abort(stopped);
    this.#mailbox.close();
    for (let next = this.#mailbox.tryReceive(); next.ok; next = this.#mailbox.tryReceive()) {
      this.#deadLetters.record(this.#name, next.value.msg, "stopped");
      next.value.reply?.fail(stopped);
    }
    const postStopFailure = await this.#stopBehavior();
    for (const waiter of this.#restartWaiters.splice(0)) waiter.reject(stopped);
    // After postStop, which may still have answered asks its behavior had set aside.
    for (const reply of [...this.#pendingAsks]) reply.fail(stopped);
    // The first failure is the cause a supervisor must see; a postStop error after it is a
    // consequence, while a postStop error on a clean stop is the only failure there is.
    return exit.kind === "failure" ? exit : postStopFailure ?? exit;
  }

  #newIncarnation(): Incarnation<Msg> {
    const controller = new AbortController();
    const ctx: ActorContext<Msg> = {
      self: this.ref,
      name: this.#name,
      clock: this.#clock,
      signal: controller.signal,
    };
    return { ctx, controller };
  }

  #tell(msg: Msg): boolean {
    if (this.#mailbox.trySend({ msg })) return true;
    this.#deadLetters.record(this.#name, msg, this.#mailbox.closed ? "stopped" : "mailbox-full");
    return false;
  }

  async #send(msg: Msg, options?: SendOptions): Promise<void> {
    try {
      await this.#mailbox.send({ msg }, options);
    } catch (error) {
      if (!(error instanceof ChannelClosedError)) throw error;
      this.#deadLetters.record(this.#name, msg, "stopped");
      throw new ActorStoppedError(this.#name);
    }
  }

  #ask<R>(make: (reply: Reply<R>) => Msg, options: AskOptions): Promise<R> {
    const timeoutMs = options?.timeoutMs;
    if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new TypeError(
        `ask to actor "${this.#name}" needs options.timeoutMs, a finite number of ms > 0, got ${
          String(timeoutMs)
        }`,
      );
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);

    // Aborted the moment the ask settles, so an ask that gives up while waiting for room in a
    // full mailbox takes its message back instead of leaving it to be handled for nobody.
    const delivery = new AbortController();
    const onAbort = () => reply.fail(signal!.reason);
    const { reply, promise } = createReply<R>(() => {
      this.#clock.clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      delivery.abort();
      this.#pendingAsks.delete(reply);
    });
    const timer = this.#clock.setTimeout(
      () => reply.fail(new AskTimeoutError(this.#name, timeoutMs)),
      timeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#pendingAsks.add(reply);
    let msg: Msg;
    try {
      msg = make(reply);
    } catch (error) {
      reply.fail(error);
      return promise;
    }
    // If `make` already answered, `delivery` is aborted and the send below gives up at once.
    this.#mailbox.send({ msg, reply }, { signal: delivery.signal }).catch((error) => {
      // Any other rejection is `delivery` aborting because the ask already settled.
      if (!(error instanceof ChannelClosedError)) return;
      this.#deadLetters.record(this.#name, msg, "stopped");
      reply.fail(new ActorStoppedError(this.#name));
    });
    return promise;
  }
}
