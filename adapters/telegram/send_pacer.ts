/**
 * Keeps a bot's own sends under Telegram's flood limits: about 30 messages a second per bot, and
 * about one a second per chat. Each limit is a token bucket; a send waits (on the injected clock)
 * until both have a token. Per chat a burst of 3 is allowed, so a receipt and the item it paid
 * for arrive together, while a flood of notices to one chat is spread out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SendPacer } from "./send_pacer.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 *
 * const clock = new ManualClock(0);
 * const pacer = new SendPacer({ clock });
 * // A receipt, the item it paid for and a notice reach chat 42 at once…
 * for (let i = 0; i < 3; i++) await pacer.take(42);
 * await pacer.take(7); // …and other chats are not held up by it.
 * assert.equal(clock.now(), 0);
 *
 * let fourthSent = false;
 * const fourth = pacer.take(42).then(() => (fourthSent = true));
 * await clock.advance(999);
 * assert.equal(fourthSent, false);
 * await clock.advance(1); // one message a second per chat after the burst
 * await fourth;
 * assert.equal(fourthSent, true);
 * ```
 * @module
 */
import type { Clock } from "../../actors/kernel/clock.ts";

/** Rates and bursts; the defaults follow Telegram's published guidance for bots. */
export interface PacerOptions {
  clock: Clock;
  /** Messages per second per bot. 30, Telegram's broadcast limit. */
  perBotPerSecond?: number;
  /** Messages per second per chat. 1, Telegram's advice for a single chat. */
  perChatPerSecond?: number;
  /** Messages one chat may get at once before pacing starts. 3: a receipt, its content, a notice. */
  perChatBurst?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Chat buckets kept before idle (full) ones are swept; bounds memory for bots with many users. */
const sweepAbove = 1_000;

/** One bot's pacing state. */
export class SendPacer {
  readonly #clock: Clock;
  readonly #botRate: number;
  readonly #chatRate: number;
  readonly #chatBurst: number;
  readonly #bot: Bucket;
  readonly #chats = new Map<number, Bucket>();

  constructor(options: PacerOptions) {
    this.#clock = options.clock;
    this.#botRate = options.perBotPerSecond ?? 30;
    this.#chatRate = options.perChatPerSecond ?? 1;
    this.#chatBurst = options.perChatBurst ?? 3;
    for (
      const [name, value] of Object.entries({
        perBotPerSecond: this.#botRate,
        perChatPerSecond: this.#chatRate,
        perChatBurst: this.#chatBurst,
      })
    ) {
      if (!(value > 0)) throw new RangeError(`SendPacer ${name} must be > 0, got ${value}`);
    }
    this.#bot = { tokens: this.#botRate, updatedAt: options.clock.now() };
  }

  #refill(bucket: Bucket, rate: number, capacity: number, now: number): void {
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.updatedAt) * rate / 1000);
    bucket.updatedAt = now;
  }

  /**
   * Takes one send slot for `chatId` (`null` for a call that goes to no chat, such as a refund:
   * only the bot limit applies), waiting until there is one. Slots are reserved in call order.
   */
  async take(chatId: number | null, signal?: AbortSignal): Promise<void> {
    const now = this.#clock.now();
    this.#refill(this.#bot, this.#botRate, this.#botRate, now);
    this.#bot.tokens -= 1;
    let waitMs = Math.max(0, -this.#bot.tokens * 1000 / this.#botRate);
    if (chatId !== null) {
      let chat = this.#chats.get(chatId);
      if (!chat) {
        if (this.#chats.size >= sweepAbove) this.#sweep(now);
        chat = { tokens: this.#chatBurst, updatedAt: now };
        this.#chats.set(chatId, chat);
      }
      this.#refill(chat, this.#chatRate, this.#chatBurst, now);
      chat.tokens -= 1;
      waitMs = Math.max(waitMs, -chat.tokens * 1000 / this.#chatRate);
    }
    if (waitMs > 0) await this.#clock.sleep(Math.ceil(waitMs), signal);
  }

  /** Forgets chats whose bucket has refilled: they behave exactly like a chat never seen. */
  #sweep(now: number): void {
    for (const [chatId, bucket] of this.#chats) {
      this.#refill(bucket, this.#chatRate, this.#chatBurst, now);
      if (bucket.tokens >= this.#chatBurst) this.#chats.delete(chatId);
    }
  }

  /** Chats currently tracked; for tests of the sweep. */
  get trackedChats(): number {
    return this.#chats.size;
  }
}
