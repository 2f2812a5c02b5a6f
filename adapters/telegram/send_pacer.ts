/**
 * Keeps a bot's proactive sends (the outbox: receipts, item contents, notices, renewals, admin
 * notices) under Telegram's flood limits, and remembers what Telegram said when a send hit them
 * anyway. Following grammY's "flood limits" guidance, replies are not paced: a bot answering many
 * users must not slow down because of limits it has not hit; they only wait out a `429` that the
 * chat they go to received (`flood_holds.ts`).
 *
 * The limits ({@linkcode PacerOptions}):
 * - under 30 messages a second per bot (28, evenly spaced 36 ms apart, to leave room for network
 *   jitter): no burst at the start, so no second carries more than 30 (a full bucket of 30
 *   refilling at 30/s let 60 through);
 * - about one message a second per chat, after a burst of 3 (a receipt, the item it paid for and
 *   a notice arrive together);
 * - at most 20 messages a minute per group (negative chat ids);
 * - a `429` holds back further sends to its chat for `retry_after`; when 429s hit several chats
 *   at once, the limit is the bot's, so its proactive sends are all held back.
 *
 * A chat's limit is a "virtual scheduling" rate (GCRA): a chat may run `perChatBurst - 1`
 * intervals ahead of its steady rate. The bot's slots are handed out one at a time, in call
 * order, among the sends whose chat may go; each limit is charged when its slot is granted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SendPacer } from "./send_pacer.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 *
 * const clock = new ManualClock(0);
 * const pacer = new SendPacer({ clock });
 * const sentAt: number[] = [];
 * const sends = [1, 2, 3, 4].map(() => pacer.take(42).then(() => sentAt.push(clock.now())));
 * await clock.advance(1_000);
 * await Promise.all(sends);
 * // A receipt, its item and a notice reach chat 42 together, spaced only by the bot's own
 * // pace; the fourth waits for the chat's one a second.
 * assert.deepEqual(sentAt, [0, 36, 72, 1_000]);
 *
 * // Telegram says chat 7 must wait 5 s: its sends wait, other chats' do not.
 * pacer.noteFlood(7, 5_000);
 * assert.equal(pacer.holdOf(7), clock.now() + 5_000);
 * assert.equal(pacer.holdOf(8), undefined);
 * ```
 * @module
 */
import type { Clock } from "../../actors/kernel/clock.ts";

/** Rates and bursts; the defaults follow Telegram's published limits for bots. */
export interface PacerOptions {
  clock: Clock;
  /**
   * Messages per second per bot, evenly spaced. 28: Telegram's limit for bulk sends is 30, and
   * it counts them as they arrive, after a network whose jitter can bunch two sends together.
   */
  perBotPerSecond?: number;
  /** Messages per second per chat after the burst. 1, Telegram's advice for a single chat. */
  perChatPerSecond?: number;
  /** Messages one chat may get at once before pacing starts. 3: a receipt, its content, a notice. */
  perChatBurst?: number;
  /** Messages per minute per group (a negative chat id). 20, Telegram's limit for groups. */
  perGroupPerMinute?: number;
  /**
   * Chats under a flood hold at the same time that make the hold the whole bot's. 2: one chat's
   * 429 may be that chat's limit; two at once mean the bot's own limit was hit.
   */
  floodedChatsForBotHold?: number;
}

/** One chat's pacing state. */
interface ChatState {
  /** GCRA's theoretical arrival time: when the chat's sends would be due at the steady rate. */
  due: number;
  /** Until when Telegram asked for no sends to this chat (0: no hold). */
  holdUntil: number;
  /** A group's last sends, oldest first, at most `perGroupPerMinute` of them. */
  groupSends?: number[];
}

/** Chat states kept before idle ones are swept; bounds memory for bots with many users. */
const sweepAbove = 1_000;
const minuteMs = 60_000;

/** One bot's pacing state; see the module doc. */
export class SendPacer {
  readonly #clock: Clock;
  /** Time between two of the bot's sends. */
  readonly #botIntervalMs: number;
  /** Time between two sends to one chat, at the steady rate. */
  readonly #chatIntervalMs: number;
  /** How far ahead of the steady rate a chat may run: its burst. */
  readonly #chatToleranceMs: number;
  readonly #groupPerMinute: number;
  readonly #floodedChatsForBotHold: number;
  /** When the bot's next send may go. */
  #botNextAt = -Infinity;
  /** Settles when the last send in line for a bot slot has had its turn. */
  #line: Promise<void> = Promise.resolve();
  /** Until when every proactive send waits (0: no hold). */
  #botHoldUntil = 0;
  readonly #chats = new Map<number, ChatState>();
  /** Chats with a hold that may still be in force; few, so counting them is cheap. */
  readonly #heldChats = new Set<number>();

  /** @throws {RangeError} naming an option that is not a positive number. */
  constructor(options: PacerOptions) {
    this.#clock = options.clock;
    const settings = {
      perBotPerSecond: options.perBotPerSecond ?? 28,
      perChatPerSecond: options.perChatPerSecond ?? 1,
      perChatBurst: options.perChatBurst ?? 3,
      perGroupPerMinute: options.perGroupPerMinute ?? 20,
      floodedChatsForBotHold: options.floodedChatsForBotHold ?? 2,
    };
    for (const [name, value] of Object.entries(settings)) {
      if (!(value > 0)) throw new RangeError(`SendPacer ${name} must be > 0, got ${value}`);
    }
    // Whole milliseconds, rounded up (36 ms for 28 a second): with fractions the slots drift
    // across millisecond boundaries and a second can end up with one message too many.
    this.#botIntervalMs = Math.ceil(1_000 / settings.perBotPerSecond);
    this.#chatIntervalMs = 1_000 / settings.perChatPerSecond;
    this.#chatToleranceMs = (settings.perChatBurst - 1) * this.#chatIntervalMs;
    this.#groupPerMinute = settings.perGroupPerMinute;
    this.#floodedChatsForBotHold = settings.floodedChatsForBotHold;
  }

  /**
   * Waits until a proactive send to `chatId` (`null` for a call that goes to no chat, such as a
   * refund: only the bot's limits apply) fits every limit and no flood hold covers it, and takes
   * that slot. Rejects with the signal's reason when `signal` aborts.
   */
  async take(chatId: number | null, signal?: AbortSignal): Promise<void> {
    for (;;) {
      // The chat's own wait (its limits, a flood hold) happens outside the queue for the bot's
      // slots, so a chat that must wait holds up no other chat.
      await this.#waitUntil(() => this.readyAt(chatId), signal);
      if (await this.#takeTurn(chatId, signal)) return;
    }
  }

  /**
   * Waits until no flood hold covers `chatId`: what a reply does before it goes, since sending
   * into a hold only earns another 429. The bot's own hold does not apply to replies.
   */
  waitForChat(chatId: number, signal?: AbortSignal): Promise<void> {
    return this.#waitUntil(() => this.#chatHold(chatId), signal);
  }

  /**
   * Records Telegram's `429 retry_after` for a call to `chatId` (`null`: a call to no chat, which
   * holds the whole bot). When another chat is held at the same time, the bot's proactive sends
   * are held too, until the last of those holds ends.
   */
  noteFlood(chatId: number | null, retryAfterMs: number): void {
    const now = this.#clock.now();
    const until = now + Math.max(0, retryAfterMs);
    if (chatId === null) {
      this.#botHoldUntil = Math.max(this.#botHoldUntil, until);
      return;
    }
    const chat = this.#chat(chatId, now);
    chat.holdUntil = Math.max(chat.holdUntil, until);
    this.#heldChats.add(chatId);
    let latest = 0;
    for (const held of this.#heldChats) {
      const heldUntil = this.#chats.get(held)?.holdUntil ?? 0;
      if (heldUntil <= now) this.#heldChats.delete(held);
      else latest = Math.max(latest, heldUntil);
    }
    if (this.#heldChats.size >= this.#floodedChatsForBotHold) {
      this.#botHoldUntil = Math.max(this.#botHoldUntil, latest);
    }
  }

  /**
   * The earliest moment a proactive send to `chatId` (`null`: no chat) may go as far as its
   * chat's limits and the flood holds are concerned; the bot's own spacing is left to
   * {@linkcode SendPacer.take}. A sender uses it to pass over a chat that must wait instead of
   * waiting for it while other chats could go.
   */
  readyAt(chatId: number | null): number {
    let at = Math.max(this.#botHoldUntil, this.#chatHold(chatId));
    const chat = chatId === null ? undefined : this.#chats.get(chatId);
    if (chat) {
      at = Math.max(at, chat.due - this.#chatToleranceMs);
      const sends = chat.groupSends;
      if (sends && sends.length >= this.#groupPerMinute) {
        at = Math.max(at, sends[sends.length - this.#groupPerMinute] + minuteMs);
      }
    }
    return at;
  }

  /** Until when sends to `chatId` are held back (`null`: the bot's hold), or `undefined`. */
  holdOf(chatId: number | null): number | undefined {
    const until = chatId === null ? this.#botHoldUntil : this.#chatHold(chatId);
    return until > this.#clock.now() ? until : undefined;
  }

  /** Chats currently tracked; for tests of the sweep. */
  get trackedChats(): number {
    return this.#chats.size;
  }

  /** Waits until the moment `at` names; read again after each wait, since a hold can grow. */
  async #waitUntil(at: () => number, signal?: AbortSignal): Promise<void> {
    for (let until = at(); until > this.#clock.now(); until = at()) {
      await this.#clock.sleep(until - this.#clock.now(), signal);
    }
  }

  #chatHold(chatId: number | null): number {
    return chatId === null ? 0 : this.#chats.get(chatId)?.holdUntil ?? 0;
  }

  /**
   * Waits in line for the bot's next slot, and takes it for `chatId` — unless the chat may no
   * longer send when its turn comes (a 429 arrived meanwhile, or another send to it went first):
   * then `false`, and the send waits for its chat again. Each slot is charged at the moment it
   * is granted, so a grant that comes late (a busy event loop) moves the next one later too,
   * instead of letting the late sends catch up in a burst.
   */
  async #takeTurn(chatId: number | null, signal?: AbortSignal): Promise<boolean> {
    const before = this.#line;
    const { promise: done, resolve: leave } = Promise.withResolvers<void>();
    this.#line = done;
    try {
      await before;
      const wait = this.#botNextAt - this.#clock.now();
      if (wait > 0) await this.#clock.sleep(wait, signal);
      const now = this.#clock.now();
      if (this.readyAt(chatId) > now) return false;
      this.#charge(chatId, now);
      return true;
    } finally {
      leave();
    }
  }

  /** Counts a send granted `now` against the bot's and the chat's limits. */
  #charge(chatId: number | null, now: number): void {
    this.#botNextAt = now + this.#botIntervalMs;
    if (chatId === null) return;
    const chat = this.#chat(chatId, now);
    chat.due = Math.max(chat.due, now) + this.#chatIntervalMs;
    if (chat.groupSends) {
      chat.groupSends.push(now);
      if (chat.groupSends.length > this.#groupPerMinute) chat.groupSends.shift();
    }
  }

  #chat(chatId: number, now: number): ChatState {
    let chat = this.#chats.get(chatId);
    if (!chat) {
      if (this.#chats.size >= sweepAbove) this.#sweep(now);
      chat = { due: -Infinity, holdUntil: 0, ...(chatId < 0 ? { groupSends: [] } : {}) };
      this.#chats.set(chatId, chat);
    }
    return chat;
  }

  /** Forgets chats that are back to rest: they behave exactly like a chat never seen. */
  #sweep(now: number): void {
    for (const [chatId, chat] of this.#chats) {
      const groupQuiet = (chat.groupSends?.at(-1) ?? -Infinity) + minuteMs <= now;
      if (chat.due <= now && chat.holdUntil <= now && groupQuiet) this.#chats.delete(chatId);
    }
  }
}
