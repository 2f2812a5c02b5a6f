/**
 * Fakes for the BalanceActor tests: upstream calls that follow a script and record every call,
 * a fake tenant built from them, and a BalanceActor over a manual clock.
 *
 * @example
 * ```ts ignore
 * const world = await balanceWorld();
 * const shop = new FakeTenant(world.clock, "shop");
 * shop.bot.next({ value: { amount: 5 } });
 * await world.client.register(shop.tenant());
 * ```
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import type { Actor } from "../../../actors/kernel/actor.ts";
import { type BalanceMsg, startBalanceActor } from "../../../actors/balance/balance_actor.ts";
import { BalanceClient } from "../../../actors/balance/balance_client.ts";
import type { BalanceTenant, StarAmount, StarTransaction } from "../../../money/bot_stars/types.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { DeadLetters } from "../../../actors/kernel/dead_letters.ts";
import type { Database } from "../../../money/ports.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";

/** 2025-01-01 00:00 UTC: clock times in the tests are offsets from here. */
export const START = Date.UTC(2025, 0, 1);

/** Asks in the tests wait an hour of manual time, so only the behavior under test times out. */
export const ASK_TIMEOUT_MS = 3_600_000;

/** An answer held back until the test releases it. */
export class Held<T> {
  readonly promise: Promise<T>;
  readonly release: (value: T) => void;
  readonly fail: (error: unknown) => void;

  constructor() {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.promise = promise;
    this.release = resolve;
    this.fail = reject;
  }
}

/**
 * What a fake call does: answer, throw, wait for the test ({@linkcode Held}), or never settle —
 * "hang" ignores its signal on purpose, like a stuck connection that does not honour aborts.
 */
export type Outcome<T> = { value: T } | { error: unknown } | Held<T> | "hang";

/** Counts how many calls of one tenant run at the same time. */
interface Concurrency {
  inFlight: number;
  maxInFlight: number;
}

/** One upstream method: records each call and answers from a script, then with a fallback. */
export class FakeCall<T> {
  readonly calls: { args: unknown[]; at: number; signal: AbortSignal }[] = [];
  readonly #clock: ManualClock;
  readonly #concurrency: Concurrency;
  readonly #script: Outcome<T>[] = [];
  #fallback: Outcome<T>;

  constructor(clock: ManualClock, concurrency: Concurrency, fallback: Outcome<T>) {
    this.#clock = clock;
    this.#concurrency = concurrency;
    this.#fallback = fallback;
  }

  /** Outcomes of the next calls, in order. */
  next(...outcomes: Outcome<T>[]): this {
    this.#script.push(...outcomes);
    return this;
  }

  /** The outcome of every call once the script is used up. */
  always(outcome: Outcome<T>): this {
    this.#fallback = outcome;
    return this;
  }

  /** When each call was made, relative to {@linkcode START}. */
  get times(): number[] {
    return this.calls.map((call) => call.at - START);
  }

  async invoke(args: unknown[], signal: AbortSignal): Promise<T> {
    this.calls.push({ args, at: this.#clock.now(), signal });
    const concurrency = this.#concurrency;
    concurrency.inFlight++;
    concurrency.maxInFlight = Math.max(concurrency.maxInFlight, concurrency.inFlight);
    try {
      const outcome = this.#script.shift() ?? this.#fallback;
      if (outcome === "hang") return await new Promise<never>(() => {});
      if (outcome instanceof Held) return await outcome.promise;
      if ("error" in outcome) throw outcome.error;
      return outcome.value;
    } finally {
      concurrency.inFlight--;
    }
  }
}

/** A transaction of `amount` Stars, dated `date` (Unix seconds). */
export function transaction(id: string, amount: number, date = 1_735_689_600): StarTransaction {
  return { id, amount, date };
}

/** A bot with fake upstreams. Every call fails until a test scripts an answer. */
export class FakeTenant implements Concurrency {
  inFlight = 0;
  maxInFlight = 0;
  readonly self: FakeCall<StarAmount>;
  readonly user: FakeCall<StarAmount>;
  readonly bot: FakeCall<StarAmount>;
  readonly transactions: FakeCall<{ transactions: StarTransaction[] }>;

  constructor(clock: ManualClock, readonly id: string) {
    const unscripted = (what: string) => ({ error: new Error(`${what} of ${id} not scripted`) });
    this.self = new FakeCall(clock, this, unscripted("getStarsStatus(self)"));
    this.user = new FakeCall(clock, this, unscripted("getStarsStatus(user)"));
    this.bot = new FakeCall(clock, this, unscripted("getMyStarBalance"));
    this.transactions = new FakeCall(clock, this, unscripted("getStarTransactions"));
  }

  /** Every upstream call so far, of any method. */
  get callCount(): number {
    return this.self.calls.length + this.user.calls.length + this.bot.calls.length +
      this.transactions.calls.length;
  }

  /** The tenant as registered: with MTProto unless `mtproto` is false. */
  tenant(options: { mtproto?: boolean; cacheTtlMs?: number } = {}): BalanceTenant {
    const tenant: BalanceTenant = {
      id: this.id,
      cacheTtlMs: options.cacheTtlMs ?? 60_000,
      botApi: {
        getMyStarBalance: (signal) => this.bot.invoke([], signal),
        getStarTransactions: (offset, limit, signal) =>
          this.transactions.invoke([offset, limit], signal),
      },
    };
    if (options.mtproto === false) return tenant;
    return {
      ...tenant,
      mtproto: {
        getStarsStatus: (peer, signal) =>
          (peer === "self" ? this.self : this.user).invoke([peer], signal),
      },
    };
  }
}

/** Options of {@linkcode balanceWorld}. */
export interface WorldOptions {
  db?: Database;
  clock?: ManualClock;
  logger?: Logger;
  callTimeoutMs?: number;
  floodWaitMaxMs?: number;
}

/** A BalanceActor over a manual clock and a database (in memory unless one is given). */
export interface BalanceWorld {
  clock: ManualClock;
  db: Database;
  actor: Actor<BalanceMsg>;
  client: BalanceClient;
  deadLetters: DeadLetters;
  /** Stops the actor, then closes the database. */
  close(): Promise<void>;
}

/** Starts a BalanceActor for one test. */
export async function balanceWorld(options: WorldOptions = {}): Promise<BalanceWorld> {
  const clock = options.clock ?? new ManualClock(START);
  const db = options.db ?? await openDatabase("sqlite::memory:");
  const deadLetters = new DeadLetters();
  const actor = startBalanceActor({
    db,
    clock,
    logger: options.logger ?? getLogger(["test-balance"]),
    callTimeoutMs: options.callTimeoutMs,
    floodWaitMaxMs: options.floodWaitMaxMs,
    deadLetters,
  });
  const client = new BalanceClient(actor.ref, ASK_TIMEOUT_MS);
  return {
    clock,
    db,
    actor,
    client,
    deadLetters,
    async close() {
      await actor.stop();
      await db.close();
    },
  };
}

/**
 * Whether `promise` has settled, after letting everything already runnable run. Lets a test say
 * "this ask is still waiting" without waiting for it.
 */
export async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => (done = true), () => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}
