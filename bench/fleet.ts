/**
 * The parent's side of a benchmark run: a sandbox on 127.0.0.1 that does not keep call records
 * (memory stays flat), plus what the benchmarks read from it — when each bot first started a
 * long poll, when the replies to a set of chats have all arrived, and how long each
 * pre-checkout query waited for its answer.
 *
 * @example
 * ```ts ignore
 * import { Fleet } from "./fleet.ts";
 * await using fleet = await Fleet.start();
 * const bots = fleet.createBots(10);
 * const polling = fleet.polling(bots); // resolves with performance.now() of the last first poll
 * const replies = fleet.replyCounter([ann.id]);
 * await replies.until(10); // the bots have sent Ann 10 messages
 * ```
 * @module
 */
import { systemClock } from "../actors/kernel/clock.ts";
import { Sandbox, type SandboxBot, type SandboxUser } from "../sandbox/mod.ts";
import type { SutBot } from "./sut/plan.ts";

/** Sub-millisecond time for the sandbox, so short pre-checkout waits are not rounded away. */
const preciseClock = {
  ...systemClock,
  now: () => performance.timeOrigin + performance.now(),
};

/**
 * Counts the bots' messages to a set of chats from its creation on, and tells when the count
 * reaches a number.
 *
 * @example
 * ```ts ignore
 * const replies = fleet.replyCounter([ann.id]);
 * await ann.send(bot, "hi");
 * const at = await replies.until(1); // performance.now() when the reply arrived
 * ```
 */
export class ReplyCounter {
  readonly chats: ReadonlySet<number>;
  #count = 0;
  #waiters: { target: number; resolve(at: number): void }[] = [];

  constructor(chats: Iterable<number>) {
    this.chats = new Set(chats);
  }

  /** Messages counted so far. */
  get count(): number {
    return this.#count;
  }

  /** Resolves with the time (performance.now()) at which the count reached `target`. */
  until(target: number): Promise<number> {
    if (this.#count >= target) return Promise.resolve(performance.now());
    return new Promise((resolve) => this.#waiters.push({ target, resolve }));
  }

  /** Counts one message. */
  add(at: number): void {
    this.#count++;
    if (this.#waiters.length === 0) return;
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.#count < waiter.target) return true;
      waiter.resolve(at);
      return false;
    });
  }
}

interface PollWaiter {
  pending: Set<string>;
  resolve(at: number): void;
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts ignore
 * await using fleet = await Fleet.start();
 * const [bot] = fleet.createBots(1);
 * const [ann] = fleet.createUsers(1, "Ann");
 * ```
 */
export class Fleet implements AsyncDisposable {
  /** Every answered pre-checkout query's wait, in ms, in answer order. */
  readonly preCheckoutWaits: number[] = [];
  /** Calls per method, for checks such as "one upstream call per tenant". */
  readonly callCounts = new Map<string, number>();
  readonly #polled = new Set<string>();
  #pollWaiters: PollWaiter[] = [];
  #counters: ReplyCounter[] = [];
  #botCount = 0;
  #sandbox: Sandbox | undefined;

  private constructor() {}

  static async start(): Promise<Fleet> {
    const fleet = new Fleet();
    fleet.#sandbox = await Sandbox.start({
      clock: preciseClock,
      recordCalls: false,
      onCallStart: (bot, method) => fleet.#callStarted(bot, method),
      onCall: (_bot, call) => {
        if (call.ok) fleet.#callDone(call.method, call.params);
      },
      onPreCheckoutAnswered: (_bot, { waitedMs }) => fleet.preCheckoutWaits.push(waitedMs),
    });
    return fleet;
  }

  /** The sandbox on 127.0.0.1. */
  get sandbox(): Sandbox {
    return this.#sandbox!;
  }

  /** Creates `count` bots; their tenant ids sort in creation order. */
  createBots(count: number): SandboxBot[] {
    return Array.from({ length: count }, () => {
      const n = ++this.#botCount;
      return this.sandbox.createBot({ username: `bench${n}_bot` });
    });
  }

  /** Creates `count` users with enough Stars for any number of 1-Star purchases. */
  createUsers(count: number, name: string): SandboxUser[] {
    return Array.from(
      { length: count },
      (_, i) => this.sandbox.createUser({ firstName: `${name} ${i}`, stars: 1_000_000 }),
    );
  }

  /** The bots as a plan lists them. */
  static planBots(bots: readonly SandboxBot[]): SutBot[] {
    return bots.map((bot, i) => ({ id: `t${String(i + 1).padStart(4, "0")}`, token: bot.token }));
  }

  /** Resolves with the time (performance.now()) by which every bot had started a getUpdates. */
  polling(bots: readonly SandboxBot[]): Promise<number> {
    const pending = new Set(bots.map((bot) => bot.token).filter((t) => !this.#polled.has(t)));
    if (pending.size === 0) return Promise.resolve(performance.now());
    return new Promise((resolve) => this.#pollWaiters.push({ pending, resolve }));
  }

  /** Starts counting the bots' messages to `chats` (sendMessage calls the sandbox accepted). */
  replyCounter(chats: Iterable<number>): ReplyCounter {
    const counter = new ReplyCounter(chats);
    this.#counters.push(counter);
    return counter;
  }

  #callStarted(bot: SandboxBot, method: string): void {
    if (method !== "getUpdates" || this.#polled.has(bot.token)) return;
    this.#polled.add(bot.token);
    const now = performance.now();
    this.#pollWaiters = this.#pollWaiters.filter((waiter) => {
      waiter.pending.delete(bot.token);
      if (waiter.pending.size > 0) return true;
      waiter.resolve(now);
      return false;
    });
  }

  #callDone(method: string, params: Readonly<Record<string, unknown>>): void {
    this.callCounts.set(method, (this.callCounts.get(method) ?? 0) + 1);
    if (method !== "sendMessage" || this.#counters.length === 0) return;
    const chat = Number(params.chat_id);
    const now = performance.now();
    for (const counter of this.#counters) if (counter.chats.has(chat)) counter.add(now);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.sandbox.close();
  }
}
