/**
 * Gathers the messages one side of a plugin's worker posts within a turn of its event loop into
 * one `postMessage`. Each crossing between the host's thread and a worker's costs a
 * serialization, a wake-up of the other thread and a task there, whatever it carries: the
 * updates of a poll batch, the Bot API calls they make and their answers each cross once per
 * batch rather than once per update. The batch goes out on a zero-delay timer, that is after
 * every promise of the current turn has run, which is when the updates of a poll batch (and the
 * calls their handlers make) have all been queued.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MessageBatch } from "./message_batch.ts";
 *
 * const sent: number[][] = [];
 * const batch = new MessageBatch<number>((messages) => sent.push(messages));
 * batch.push(1);
 * batch.push(2);
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * assert.deepEqual(sent, [[1, 2]]);
 * ```
 * @module
 */

// Taken when the module loads, before any plugin does: a plugin that replaces the global timers
// must not stop its worker from answering the host.
const schedule = setTimeout;
const cancel = clearTimeout;

/** The messages queued for one `postMessage`; see the module doc. */
export class MessageBatch<T> {
  readonly #send: (messages: T[]) => void;
  #queued: T[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** While held, nothing is sent: the other side does not exist yet. */
  #held: boolean;

  /** `send` posts the batch; with `held`, nothing goes out before {@linkcode release}. */
  constructor(send: (messages: T[]) => void, options: { held?: boolean } = {}) {
    this.#send = send;
    this.#held = options.held ?? false;
  }

  /** Queues `message` for the batch that goes out once this turn is over. */
  push(message: T): void {
    this.#queued.push(message);
    if (this.#held || this.#timer !== undefined) return;
    this.#timer = schedule(() => this.flush(), 0);
  }

  /** Sends what is queued now. */
  flush(): void {
    cancel(this.#timer);
    this.#timer = undefined;
    if (this.#held || this.#queued.length === 0) return;
    const messages = this.#queued;
    this.#queued = [];
    this.#send(messages);
  }

  /** Lets batches go out, the first with everything queued while held. */
  release(): void {
    this.#held = false;
    this.flush();
  }

  /** Drops what is queued and sends nothing more. */
  close(): void {
    cancel(this.#timer);
    this.#timer = undefined;
    this.#held = true;
    this.#queued = [];
  }
}
