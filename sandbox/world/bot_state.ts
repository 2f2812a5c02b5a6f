/**
 * Everything the sandbox knows about one bot: identity, update queue, webhook, chats, command
 * lists, Stars ledger, open callback and pre-checkout queries, recorded calls and injected
 * faults. The public handle is {@linkcode import("../sandbox_bot.ts").SandboxBot}.
 * @module
 */

import type { MenuButton, Update, User } from "grammy/types";
import type { ApiErrorBody } from "../errors.ts";
import { BotProfile } from "./bot_profile.ts";
import { CommandStore } from "./command_store.ts";
import { PrivateChat } from "./private_chat.ts";
import type { InvoiceTerms } from "./invoice_terms.ts";
import { StarLedger } from "./star_ledger.ts";
import { SubscriptionBook } from "./subscription.ts";
import { type UpdateContent, UpdateQueue } from "./update_queue.ts";
import type { UserState } from "./user_state.ts";
import { Webhook, type WebhookReplyHandler, type WebhookTiming } from "./webhook.ts";
import type { Fault, TransportFaultKind } from "./faults.ts";
import type { Clock } from "../../actors/kernel/clock.ts";

/** One Bot API call as the sandbox saw it. */
export interface CallRecord {
  /** The method name as the bot spelled it in the URL. */
  readonly method: string;
  /** Decoded parameters (raw ones when decoding failed). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly ok: boolean;
  /** Sandbox-clock time of the call, in milliseconds. */
  readonly at: number;
  /** The error answered when `ok` is false. */
  readonly error?: ApiErrorBody;
  /**
   * An injected transport fault: `hang` and `drop` had no effect (`ok` false),
   * `lose_answer` did (`ok` true) but the bot never heard so.
   */
  readonly fault?: TransportFaultKind;
}

/** The identity a bot is created with. */
export interface BotIdentity {
  id: number;
  token: string;
  username: string;
  firstName: string;
  testEnvironment: boolean;
}

/** How the user answered a callback query, as the bot's answerCallbackQuery said. */
export interface CallbackAnswer {
  text?: string;
  showAlert?: boolean;
  url?: string;
}

/** An open callback query: answered by the bot, or abandoned (timeout, shutdown). */
export interface PendingCallback {
  answer(answer: CallbackAnswer): void;
  /** Ends the user's wait without an answer. */
  abandon(): void;
}

/** How the bot answered a pre-checkout query. */
export type PreCheckoutAnswer = { ok: true } | { ok: false; errorMessage: string };

/** An open pre-checkout query: answered by the bot, or cancelled (deadline, shutdown). */
export interface PendingPreCheckout {
  answer(answer: PreCheckoutAnswer): void;
  /** Ends the wait as if the deadline had passed. */
  cancel(): void;
}

/** See the module documentation. */
export class BotState {
  readonly identity: Readonly<BotIdentity>;
  readonly queue: UpdateQueue;
  readonly webhook: Webhook;
  readonly commands = new CommandStore();
  readonly profile = new BotProfile();
  readonly ledger = new StarLedger();
  /** Chats by user id. */
  readonly chats = new Map<number, PrivateChat>();
  readonly calls: CallRecord[] = [];
  /** Queued fault injections by lower-case method name, used up in order. */
  readonly faults = new Map<string, Fault[]>();
  /** Open callback queries by id; answerCallbackQuery resolves and removes them. */
  readonly callbackQueries = new Map<string, PendingCallback>();
  /** Open pre-checkout queries by id; removed when answered or when the deadline passes. */
  readonly preCheckoutQueries = new Map<string, PendingPreCheckout>();
  /** The menu button set without chat_id; per-chat ones live in {@linkcode chatMenuButtons}. */
  defaultMenuButton: MenuButton = { type: "commands" };
  readonly chatMenuButtons = new Map<number, MenuButton>();
  readonly subscriptions = new SubscriptionBook();
  /** Invoice links by slug (the part after "https://t.me/$"). */
  readonly invoiceLinks = new Map<string, InvoiceTerms>();
  /** How many upcoming successful payments lose their update (reconciliation tests). */
  droppedSuccessfulPayments = 0;
  revoked = false;

  constructor(
    identity: BotIdentity,
    clock: Clock,
    webhookTiming: WebhookTiming,
    onWebhookReply: WebhookReplyHandler,
  ) {
    this.identity = identity;
    this.queue = new UpdateQueue(clock, 1);
    this.webhook = new Webhook(this.queue, clock, webhookTiming, onWebhookReply);
  }

  get id(): number {
    return this.identity.id;
  }

  /** getUpdates calls that met another one still waiting for this token (see UpdateQueue). */
  get pollOverlaps(): number {
    return this.queue.pollOverlaps;
  }

  /** The name users see: the language-independent setMyName, else the name it was created with. */
  get firstName(): string {
    return this.profile.get("name", "") || this.identity.firstName;
  }

  /** The bot as a User object (`from` of its messages). */
  toUser(): User {
    return {
      id: this.identity.id,
      is_bot: true,
      first_name: this.firstName,
      username: this.identity.username,
    };
  }

  /** The private chat with `user`, created on first contact. */
  chatWith(user: UserState): PrivateChat {
    let chat = this.chats.get(user.id);
    if (!chat) {
      chat = new PrivateChat(user.toChat(), `${this.identity.id}${user.id}`.slice(-19));
      this.chats.set(user.id, chat);
    }
    return chat;
  }

  /** Queues an update for the bot (filtered by its allowed_updates). */
  enqueue(content: UpdateContent): Update | undefined {
    return this.queue.push(content);
  }
}
