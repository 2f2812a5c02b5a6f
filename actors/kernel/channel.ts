/**
 * A bounded, in-order, typed channel in the style of Go's buffered channels. Actors use one as
 * their mailbox, and components use them to hand work to each other with backpressure: a full
 * channel makes `send` wait instead of letting memory grow.
 *
 * Every operation is O(1): values sit in a ring buffer, and blocked senders and receivers sit in
 * doubly linked queues so an aborted waiter leaves from the middle without a scan.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Channel, ChannelClosedError } from "./channel.ts";
 *
 * const jobs = new Channel<string>(2);
 * await jobs.send("a");
 * await jobs.send("b");
 * jobs.close();
 * await assert.rejects(jobs.send("c"), ChannelClosedError);
 * // What was buffered before `close` is still delivered, in order.
 * const received: string[] = [];
 * for await (const job of jobs) received.push(job);
 * assert.deepEqual(received, ["a", "b"]);
 * ```
 * @module
 */

/**
 * Raised by {@linkcode Channel.send} on a closed channel, and by {@linkcode Channel.receive} once a
 * closed channel has been drained.
 */
export class ChannelClosedError extends Error {
  constructor(message = "channel is closed") {
    super(message);
    this.name = "ChannelClosedError";
  }
}

/** Options for the waiting operations of a {@linkcode Channel}. */
export interface ChannelWaitOptions {
  /** Stops waiting and rejects with the signal's reason; nothing is sent or taken. */
  signal?: AbortSignal;
}

/** What {@linkcode Channel.tryReceive} returns: the next value, or `ok: false` when empty. */
export type TryReceiveResult<T> = { ok: true; value: T } | { ok: false };

interface WaitNode<W> {
  readonly item: W;
  prev: WaitNode<W> | undefined;
  next: WaitNode<W> | undefined;
  queued: boolean;
}

/** FIFO of blocked callers; a doubly linked list so that removing an aborted one is O(1). */
class WaitQueue<W> {
  #head: WaitNode<W> | undefined;
  #tail: WaitNode<W> | undefined;

  push(item: W): WaitNode<W> {
    const node: WaitNode<W> = { item, prev: this.#tail, next: undefined, queued: true };
    if (this.#tail) this.#tail.next = node;
    else this.#head = node;
    this.#tail = node;
    return node;
  }

  shift(): W | undefined {
    const node = this.#head;
    if (node === undefined) return undefined;
    this.remove(node);
    return node.item;
  }

  remove(node: WaitNode<W>): void {
    if (!node.queued) return;
    node.queued = false;
    if (node.prev) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.#tail = node.prev;
    node.prev = node.next = undefined;
  }
}

interface BlockedSender<T> {
  readonly value: T;
  resolve(): void;
  reject(error: unknown): void;
}

interface BlockedReceiver<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * A bounded FIFO channel. Senders wait while it is full, receivers wait while it is empty, and
 * both queues are served first come, first served.
 *
 * @example Backpressure
 * ```ts
 * import assert from "node:assert/strict";
 * import { Channel } from "./channel.ts";
 *
 * const channel = new Channel<number>(1);
 * await channel.send(1);
 * assert.equal(channel.trySend(2), false);
 * const second = channel.send(2); // waits: the channel is full
 * assert.equal(await channel.receive(), 1); // frees the slot `second` waits for
 * await second;
 * assert.deepEqual(channel.tryReceive(), { ok: true, value: 2 });
 * assert.deepEqual(channel.tryReceive(), { ok: false });
 * ```
 */
export class Channel<T> implements AsyncIterable<T> {
  readonly #capacity: number;
  // Ring buffer. It starts empty and grows up to `capacity` slots as it is used, so a channel
  // with a generous capacity costs nothing until it actually fills.
  readonly #buffer: Array<T | undefined> = [];
  #head = 0;
  #count = 0;
  #closed = false;
  readonly #senders = new WaitQueue<BlockedSender<T>>();
  readonly #receivers = new WaitQueue<BlockedReceiver<T>>();

  /**
   * @param capacity how many values the channel holds before `send` waits; an integer ≥ 1.
   * @throws {RangeError} when `capacity` is not an integer ≥ 1.
   */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`Channel capacity must be an integer >= 1, got ${String(capacity)}`);
    }
    this.#capacity = capacity;
  }

  /** How many values are buffered (blocked senders not included). */
  get size(): number {
    return this.#count;
  }

  /** The most values the buffer holds. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Whether {@linkcode Channel.close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Puts `value` in the channel, waiting while it is full. Waiting senders get in in the order
   * they called.
   *
   * @throws {ChannelClosedError} when the channel is closed, or closes while this waits.
   * @throws the signal's reason when `options.signal` aborts first; `value` is then not sent.
   */
  send(value: T, options: ChannelWaitOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(new ChannelClosedError());
    if (this.#offer(value)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#senders.remove(node);
        reject(signal!.reason);
      };
      const node = this.#senders.push({
        value,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Sends `value` only if that needs no waiting; `false` when the channel is full or closed. */
  trySend(value: T): boolean {
    if (this.#closed) return false;
    return this.#offer(value);
  }

  /**
   * Takes the next value, waiting while the channel is empty. After {@linkcode Channel.close} the
   * values still buffered are delivered first.
   *
   * @throws {ChannelClosedError} once the channel is closed and empty.
   * @throws the signal's reason when `options.signal` aborts first; no value is taken then.
   */
  receive(options: ChannelWaitOptions = {}): Promise<T> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#count > 0) return Promise.resolve(this.#take());
    if (this.#closed) return Promise.reject(new ChannelClosedError());
    return new Promise((resolve, reject) => {
      // Handing a value over and aborting both run synchronously and each unlinks the node
      // first, so a receiver is either handed a value or rejected, never both: no value is lost.
      const onAbort = () => {
        this.#receivers.remove(node);
        reject(signal!.reason);
      };
      const node = this.#receivers.push({
        resolve: (value) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Takes the next value only if one is buffered. */
  tryReceive(): TryReceiveResult<T> {
    if (this.#count === 0) return { ok: false };
    return { ok: true, value: this.#take() };
  }

  /**
   * Stops the channel taking values. Blocked senders reject with {@linkcode ChannelClosedError};
   * buffered values stay receivable, after which receivers reject too. Calling it again does
   * nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (let sender = this.#senders.shift(); sender; sender = this.#senders.shift()) {
      sender.reject(new ChannelClosedError());
    }
    // Receivers only ever wait on an empty buffer, so every one of them is now out of luck.
    for (let receiver = this.#receivers.shift(); receiver; receiver = this.#receivers.shift()) {
      receiver.reject(new ChannelClosedError());
    }
  }

  /** Yields every value in order until the channel is closed and drained. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let value: T;
      try {
        value = await this.receive();
      } catch (error) {
        if (error instanceof ChannelClosedError) return;
        throw error;
      }
      yield value;
    }
  }

  /** Delivers to the longest-waiting receiver, else buffers; `false` when there is no room. */
  #offer(value: T): boolean {
    const receiver = this.#receivers.shift();
    if (receiver) {
      receiver.resolve(value);
      return true;
    }
    if (this.#count === this.#capacity) return false;
    this.#buffer[(this.#head + this.#count) % this.#capacity] = value;
    this.#count++;
    return true;
  }

  /** Removes the oldest buffered value and lets the longest-waiting sender into the freed slot. */
  #take(): T {
    const value = this.#buffer[this.#head] as T;
    this.#buffer[this.#head] = undefined; // drop the reference so the value can be collected
    this.#head = (this.#head + 1) % this.#capacity;
    this.#count--;
    const sender = this.#senders.shift();
    if (sender) {
      this.#buffer[(this.#head + this.#count) % this.#capacity] = sender.value;
      this.#count++;
      sender.resolve();
    }
    return value;
  }
}
