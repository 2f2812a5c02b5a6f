/**
 * The private chat between one user and one bot: every message in it (the user's and the
 * bot's) by id, the bot's messages in order as the user sees them, and a read cursor that
 * {@linkcode PrivateChat.waitForBotMessage} advances. The cursor is what makes waiting
 * race-free: a reply that arrived before the test started waiting is still unread, so it is
 * found rather than missed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PrivateChat } from "./private_chat.ts";
 *
 * const chat = new PrivateChat({ id: 5, type: "private", first_name: "Ann" }, "ci-1");
 * const say = (text: string) =>
 *   chat.addFromBot({ message_id: chat.nextMessageId(), date: 0, chat: chat.chat, text });
 * say("hi");
 * say("menu");
 * // Both arrived before anyone waited; each is still found, in order, once.
 * assert.equal((await chat.waitForBotMessage(() => true, 1_000)).text, "hi");
 * assert.equal((await chat.waitForBotMessage(() => true, 1_000)).text, "menu");
 * ```
 * @module
 */

import type { Chat, Message, ReplyKeyboardMarkup } from "grammy/types";
import { systemClock } from "../../actors/kernel/clock.ts";
import type { InvoiceTerms } from "./invoice_terms.ts";

/** A pending waitForBotMessage: re-checked on each new bot message, failed on timeout. */
interface Waiter {
  check(): void;
  fail(error: Error): void;
}

/** An invoice message's terms and payment status. */
export interface InvoiceRecord {
  readonly terms: InvoiceTerms;
  status: "open" | "paying" | "paid";
  /** Checkouts under way: more than one when the user pays on two devices at once. */
  checkouts: number;
}

/** See the module documentation. */
export class PrivateChat {
  /** The Chat object Telegram puts into messages of this chat. */
  readonly chat: Chat.PrivateChat;
  /** CallbackQuery.chat_instance: stable for the chat, opaque to the bot. */
  readonly chatInstance: string;
  /** Set by `user.block(bot)`: the bot's sends then fail with 403. */
  blocked = false;
  /** The custom keyboard the bot last showed (ReplyKeyboardMarkup), until removed. */
  replyKeyboard: ReplyKeyboardMarkup | undefined;
  /** The last sendChatAction, with the sandbox time it was sent. */
  lastChatAction: { action: string; at: number } | undefined;

  #nextMessageId = 1;
  readonly #messages = new Map<number, Message>();
  readonly #botMessageIds: number[] = [];
  readonly #invoices = new Map<number, InvoiceRecord>();
  #readCursor = 0;
  readonly #waiters = new Set<Waiter>();

  constructor(chat: Chat.PrivateChat, chatInstance: string) {
    this.chat = chat;
    this.chatInstance = chatInstance;
  }

  /** Allocates the id of the next message in this chat, whoever sends it. */
  nextMessageId(): number {
    return this.#nextMessageId++;
  }

  /** Stores a message the user sent (or a service message about the user's action). */
  addFromUser(message: Message): void {
    this.#messages.set(message.message_id, message);
  }

  /** Stores a message the bot sent and wakes anyone waiting for one. */
  addFromBot(message: Message): void {
    this.#messages.set(message.message_id, message);
    this.#botMessageIds.push(message.message_id);
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) waiter.check();
  }

  /** The current state of a message, or `undefined` if it never existed or was deleted. */
  get(messageId: number): Message | undefined {
    return this.#messages.get(messageId);
  }

  /** Whether the message was sent by the bot (only those can be edited by it). */
  isFromBot(messageId: number): boolean {
    return this.#messages.get(messageId)?.from?.is_bot === true;
  }

  /** Replaces a message after an edit. */
  replace(message: Message): void {
    this.#messages.set(message.message_id, message);
  }

  /** Deletes a message; false if there was none. */
  delete(messageId: number): boolean {
    return this.#messages.delete(messageId);
  }

  /** Remembers the terms behind an invoice message (its payload is not in the Message). */
  addInvoice(messageId: number, terms: InvoiceTerms): void {
    this.#invoices.set(messageId, { terms, status: "open", checkouts: 0 });
  }

  /**
   * The invoice behind a message, while the message exists. Its `status` moves from "open" to
   * "paying" during checkout and to "paid" after: a paid invoice shows a receipt, not a Pay
   * button, so it cannot be paid again.
   */
  invoice(messageId: number): InvoiceRecord | undefined {
    return this.#messages.has(messageId) ? this.#invoices.get(messageId) : undefined;
  }

  /** Every message that still exists, the user's and the bot's, oldest first (the web chat). */
  allMessages(): Message[] {
    return [...this.#messages.values()].sort((a, b) => a.message_id - b.message_id);
  }

  /** The bot's messages that still exist, oldest first, in their current (edited) state. */
  botMessages(): Message[] {
    const result: Message[] = [];
    for (const id of this.#botMessageIds) {
      const message = this.#messages.get(id);
      if (message) result.push(message);
    }
    return result;
  }

  /**
   * Resolves with the earliest unread bot message that satisfies `predicate`; that message and
   * every earlier one count as read afterwards. Waits for new messages when none matches, and
   * rejects after `timeoutMs` of real time — a guard against a test waiting forever, not part
   * of the simulated world, so it stays on real time even under a ManualClock.
   */
  waitForBotMessage(predicate: (message: Message) => boolean, timeoutMs: number): Promise<Message> {
    const found = this.#readNext(predicate, this.#readCursor);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      let scanFrom = this.#botMessageIds.length;
      const waiter: Waiter = {
        check: () => {
          const message = this.#readNext(predicate, scanFrom);
          scanFrom = this.#botMessageIds.length;
          if (message) {
            systemClock.clearTimeout(timer);
            resolve(message);
          } else {
            this.#waiters.add(waiter);
          }
        },
        fail: (error) => {
          systemClock.clearTimeout(timer);
          this.#waiters.delete(waiter);
          reject(error);
        },
      };
      const timer = systemClock.setTimeout(() => {
        waiter.fail(
          new Error(
            `no matching message from the bot in chat ${this.chat.id} within ${timeoutMs} ms; ` +
              `bot messages so far: ${JSON.stringify(this.botMessages().map(summarize))}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Rejects every pending {@linkcode waitForBotMessage} (sandbox shutdown). */
  cancelWaits(error: Error): void {
    for (const waiter of [...this.#waiters]) waiter.fail(error);
  }

  #readNext(predicate: (message: Message) => boolean, from: number): Message | undefined {
    for (let i = Math.max(from, this.#readCursor); i < this.#botMessageIds.length; i++) {
      const message = this.#messages.get(this.#botMessageIds[i]);
      if (message && predicate(message)) {
        this.#readCursor = i + 1;
        return message;
      }
    }
    return undefined;
  }
}

function summarize(message: Message): string {
  if (message.text !== undefined) return message.text;
  if (message.invoice) return `[invoice ${message.invoice.title}]`;
  return `[message ${message.message_id}]`;
}
