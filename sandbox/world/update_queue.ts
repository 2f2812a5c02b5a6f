/**
 * One bot's queue of undelivered updates, with getUpdates semantics: `offset` confirms, a
 * negative offset keeps only the last updates, long polls wake on the first new update, and a
 * newer getUpdates call ends the one still waiting with 409 — the earlier request loses, as on
 * Telegram — and counts as a poll overlap ({@linkcode UpdateQueue.pollOverlaps}): two pollers of
 * one token at once, which a runtime handing bots between instances must never cause. A long
 * poll whose client went away (its `signal` aborts) ends at once, so a crashed poller does not
 * make its successor's first call look like an overlap. Update ids are consecutive within the
 * queue, so confirming is arithmetic on the head index rather than a scan: the queue stays cheap
 * under benchmark load.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UpdateQueue } from "./update_queue.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 *
 * const queue = new UpdateQueue(new ManualClock(0), 1);
 * const from = { id: 1, is_bot: false, first_name: "A" };
 * for (const data of ["a", "b", "c"]) {
 *   queue.push({ callback_query: { id: data, from, chat_instance: "1", data } });
 * }
 * const ids = (updates: { update_id: number }[]) => updates.map((update) => update.update_id);
 * assert.deepEqual(ids(await queue.poll({ limit: 100, timeoutMs: 0 })), [1, 2, 3]);
 * // An offset confirms everything below it; a negative one keeps only the last updates.
 * assert.deepEqual(ids(await queue.poll({ offset: 2, limit: 100, timeoutMs: 0 })), [2, 3]);
 * assert.deepEqual(ids(await queue.poll({ offset: -1, limit: 100, timeoutMs: 0 })), [3]);
 * assert.equal(queue.pendingCount, 1);
 * ```
 * @module
 */

import type { Update } from "grammy/types";
import type { Clock } from "../../actors/kernel/clock.ts";
import { type ApiError, conflict } from "../errors.ts";

/** An update as the sandbox creates it, before it is numbered. */
export type UpdateContent = Omit<Update, "update_id">;

/** The update types Telegram sends when a bot asks for none in particular. */
const EXCLUDED_BY_DEFAULT = new Set(["chat_member", "message_reaction", "message_reaction_count"]);

/** How many delivered updates stay findable for {@linkcode UpdateQueue.find} (redelivery). */
const RECENT_LIMIT = 10_000;

/** Compacting the backing array only after this many consumed slots keeps shifts amortized O(1). */
const COMPACT_AFTER = 1_024;

const POLL_TIMED_OUT = Symbol("poll timed out");
const CLIENT_GONE = Symbol("the client went away");

/** The kind of an update: the name of its one field besides `update_id`. */
export function updateType(update: UpdateContent): string {
  for (const key of Object.keys(update)) if (key !== "update_id") return key;
  throw new Error("an update must carry one field besides update_id");
}

/** A getUpdates request. */
export interface PollRequest {
  /** As the Bot API `offset`; `undefined` means "from the earliest unconfirmed". */
  offset?: number;
  /** 1–100. */
  limit: number;
  /** Long-poll duration; 0 answers at once. */
  timeoutMs: number;
  /**
   * Aborts when the HTTP client goes away (the request's signal): a waiting poll ends then,
   * instead of lingering until its timeout and counting as an overlap with the next one.
   */
  signal?: AbortSignal;
}

/** How long a getUpdates waits to hear that the client of the one still waiting went away. */
const DISCONNECT_GRACE_MS = 25;

/** See the module documentation. */
export class UpdateQueue {
  readonly #clock: Clock;
  #items: Update[] = [];
  #head = 0;
  #nextId: number;
  #allowed: ReadonlySet<string> | undefined;
  #allowedList: string[] | undefined;
  #waiters = new Set<() => void>();
  #wakeScheduled = false;
  #poller: AbortController | undefined;
  #pollOverlaps = 0;
  // A ring indexed by update_id: ids are consecutive, so slot `id % RECENT_LIMIT` holds the
  // newest update with that remainder, and lookups and inserts stay O(1).
  readonly #recent: (Update | undefined)[] = new Array(RECENT_LIMIT);

  constructor(clock: Clock, firstUpdateId: number) {
    this.#clock = clock;
    this.#nextId = firstUpdateId;
  }

  /** Updates waiting for delivery (WebhookInfo.pending_update_count). */
  get pendingCount(): number {
    return this.#items.length - this.#head;
  }

  /**
   * How many getUpdates calls arrived while another one for this bot was still waiting with
   * its client connected: each is a moment when two pollers held the token.
   */
  get pollOverlaps(): number {
    return this.#pollOverlaps;
  }

  /** The id of the newest update created so far (0 before the first): ids run from 1 up. */
  get lastUpdateId(): number {
    return this.#nextId - 1;
  }

  /** The remembered `allowed_updates`, or `undefined` for Telegram's default set. */
  get allowedUpdates(): string[] | undefined {
    return this.#allowedList;
  }

  /**
   * Remembers the bot's `allowed_updates`; an empty list restores the default. Like on Telegram
   * it filters updates created from now on: what is already queued stays.
   */
  setAllowedUpdates(list: readonly string[]): void {
    this.#allowedList = list.length === 0 ? undefined : [...list];
    this.#allowed = list.length === 0 ? undefined : new Set(list);
  }

  /** Queues an update unless the bot's filter excludes its type; returns it as numbered. */
  push(content: UpdateContent): Update | undefined {
    const type = updateType(content);
    const wanted = this.#allowed ? this.#allowed.has(type) : !EXCLUDED_BY_DEFAULT.has(type);
    if (!wanted) return undefined;
    const update = { update_id: this.#nextId++, ...content } as Update;
    this.#items.push(update);
    this.#recent[update.update_id % RECENT_LIMIT] = update;
    this.#scheduleWake();
    return update;
  }

  /** An update created recently (the last {@linkcode RECENT_LIMIT}), delivered or not. */
  find(updateId: number): Update | undefined {
    const update = this.#recent[updateId % RECENT_LIMIT];
    return update?.update_id === updateId ? update : undefined;
  }

  /** The oldest undelivered update. */
  peek(): Update | undefined {
    return this.#items[this.#head];
  }

  /** Marks the oldest update delivered (after a webhook 2xx). */
  shift(): void {
    if (this.#head < this.#items.length) this.#head++;
    this.#compact();
  }

  /** Forgets every undelivered update (`drop_pending_updates`). */
  dropAll(): void {
    this.#items = [];
    this.#head = 0;
  }

  /**
   * Applies a getUpdates `offset`: a positive one confirms every update below it, a negative
   * one keeps only the last `-offset` updates.
   */
  confirm(offset: number): void {
    const pending = this.pendingCount;
    if (pending === 0) return;
    if (offset < 0) {
      this.#head += Math.max(0, pending + offset);
    } else {
      const firstId = this.#items[this.#head].update_id;
      this.#head += Math.min(pending, Math.max(0, offset - firstId));
    }
    this.#compact();
  }

  /** Resolves once at least one update is queued, or rejects with the signal's reason. */
  waitForUpdates(signal: AbortSignal): Promise<void> {
    if (this.pendingCount > 0) return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#waiters.delete(wake);
        reject(signal.reason);
      };
      this.#waiters.add(wake);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Serves one getUpdates call. A call already waiting is ended with 409 first (on Telegram
   * the earlier request is the one terminated) and the meeting counted as an overlap. A call
   * whose client has already gone does nothing: nobody would read its answer.
   */
  async poll(request: PollRequest): Promise<Update[]> {
    const { signal } = request;
    if (signal?.aborted) return [];
    const earlier = this.#poller;
    if (earlier && !earlier.signal.aborted) {
      // Its client may have gone just now — a poller that aborts its long poll and at once sends
      // its confirmation — and the disconnect is heard a moment later (real time: sockets do
      // not follow the sandbox's clock). Only a caller still there after that moment overlaps.
      await new Promise((resolve) => setTimeout(resolve, DISCONNECT_GRACE_MS));
      if (signal?.aborted) return [];
      if (this.#poller === earlier && !earlier.signal.aborted) this.#pollOverlaps++;
    }
    this.terminatePoller(
      conflict(
        "terminated by other getUpdates request; make sure that only one bot instance is running",
      ),
    );
    if (request.offset !== undefined) this.confirm(request.offset);
    if (this.pendingCount > 0 || request.timeoutMs <= 0) return this.#take(request.limit);

    // Nothing is confirmed without an offset, so a poll ended for a vanished client loses no
    // update: the next getUpdates sees the same queue.
    const controller = new AbortController();
    this.#poller = controller;
    const timer = this.#clock.setTimeout(() => controller.abort(POLL_TIMED_OUT), request.timeoutMs);
    const onClientGone = () => {
      controller.abort(CLIENT_GONE);
      // At once, not in `finally` a microtask later: the next call must not meet this one.
      if (this.#poller === controller) this.#poller = undefined;
    };
    signal?.addEventListener("abort", onClientGone, { once: true });
    try {
      await this.waitForUpdates(controller.signal);
      return this.#take(request.limit);
    } catch (reason) {
      if (reason === POLL_TIMED_OUT || reason === CLIENT_GONE) return [];
      throw reason;
    } finally {
      this.#clock.clearTimeout(timer);
      signal?.removeEventListener("abort", onClientGone);
      if (this.#poller === controller) this.#poller = undefined;
    }
  }

  /**
   * Ends a waiting getUpdates call: with `error` (409 when a webhook is set, 401 when the token
   * is revoked), or with an empty result when `error` is `undefined` (sandbox shutdown).
   */
  terminatePoller(error: ApiError | undefined): void {
    this.#poller?.abort(error ?? POLL_TIMED_OUT);
    this.#poller = undefined;
  }

  #take(limit: number): Update[] {
    return this.#items.slice(this.#head, this.#head + limit);
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > COMPACT_AFTER && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Wakes waiters once per burst of pushes, so updates created together arrive together. */
  #scheduleWake(): void {
    if (this.#wakeScheduled || this.#waiters.size === 0) return;
    this.#wakeScheduled = true;
    queueMicrotask(() => {
      this.#wakeScheduled = false;
      const waiters = [...this.#waiters];
      this.#waiters.clear();
      for (const wake of waiters) wake();
    });
  }
}
