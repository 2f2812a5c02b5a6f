/**
 * Counts messages that could not be delivered to an actor, per actor, so metrics can expose
 * them and a rising count points at a stuck or stopped actor instead of messages vanishing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type DeadLetter, DeadLetters } from "./dead_letters.ts";
 *
 * const deadLetters = new DeadLetters();
 * const seen: DeadLetter[] = [];
 * const unsubscribe = deadLetters.subscribe((letter) => seen.push(letter));
 * deadLetters.record("shop:orders", { type: "Add" }, "mailbox-full");
 * unsubscribe();
 * deadLetters.record("shop:orders", { type: "Add" }, "stopped");
 * deadLetters.record("quiz:orders", "hello", "stopped");
 *
 * assert.deepEqual(seen, [
 *   { actor: "shop:orders", message: { type: "Add" }, reason: "mailbox-full" },
 * ]);
 * assert.equal(deadLetters.count("shop:orders"), 2);
 * assert.equal(deadLetters.count(), 3);
 * assert.deepEqual(deadLetters.byActor(), new Map([["shop:orders", 2], ["quiz:orders", 1]]));
 * ```
 * @module
 */

/** Why a message was undeliverable: the mailbox had no room, or the actor had stopped. */
export type DeadLetterReason = "mailbox-full" | "stopped";

/** One undeliverable message, as handed to {@linkcode DeadLetters.subscribe} listeners. */
export interface DeadLetter {
  readonly actor: string;
  readonly message: unknown;
  readonly reason: DeadLetterReason;
}

/** Called once for every recorded dead letter. */
export type DeadLetterListener = (letter: DeadLetter) => void;

/** A counter of undeliverable messages with a listener hook. */
export class DeadLetters {
  #total = 0;
  readonly #perActor = new Map<string, number>();
  // One entry per subscription (not per function), so subscribing a function twice means it is
  // called twice and each unsubscribe removes exactly its own subscription.
  readonly #subscriptions = new Set<{ listener: DeadLetterListener }>();

  /**
   * Counts `message` as undeliverable to `actor` and tells the listeners. A listener that throws
   * is reported with `reportError`, as an `EventTarget` listener would be, and neither stops the
   * other listeners nor the caller that was only trying to deliver a message.
   */
  record(actor: string, message: unknown, reason: DeadLetterReason): void {
    this.#total++;
    this.#perActor.set(actor, (this.#perActor.get(actor) ?? 0) + 1);
    const letter: DeadLetter = { actor, message, reason };
    for (const subscription of this.#subscriptions) {
      try {
        subscription.listener(letter);
      } catch (error) {
        reportError(error);
      }
    }
  }

  /** Dead letters recorded for `actor`, or for all actors when `actor` is omitted. */
  count(actor?: string): number {
    if (actor === undefined) return this.#total;
    return this.#perActor.get(actor) ?? 0;
  }

  /** A snapshot of the per-actor counts; later records do not change the returned map. */
  byActor(): ReadonlyMap<string, number> {
    return new Map(this.#perActor);
  }

  /** Calls `listener` for every later dead letter until the returned function is called. */
  subscribe(listener: DeadLetterListener): () => void {
    const subscription = { listener };
    this.#subscriptions.add(subscription);
    return () => {
      this.#subscriptions.delete(subscription);
    };
  }
}

/** The process-wide default that actors record into when no other instance is given. */
export const globalDeadLetters: DeadLetters = new DeadLetters();
