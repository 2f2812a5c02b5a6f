/**
 * A simulated Telegram user, driven by the test: writes to bots, presses inline buttons, pays
 * invoices with a Stars wallet, reads what the bots sent.
 *
 * Reading rule of {@linkcode SandboxUser.waitForMessage}: each user keeps a read position per
 * bot chat, like a person scrolling down. A call returns the earliest *unread* bot message that
 * matches (any message without a predicate) and marks it and everything before it read. So a
 * reply that arrived before the call is not missed, and the same reply is not returned twice —
 * the result does not depend on timing.
 *
 * @example The reading rule
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api } from "grammy";
 * import { Sandbox } from "./mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const bot = sandbox.createBot();
 * const ann = sandbox.createUser({ firstName: "Ann", stars: 100 });
 * const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
 * await ann.send(bot, "/start");
 *
 * // The bot under test answers twice before the test looks: neither answer is missed.
 * await api.sendMessage(ann.id, "Welcome!");
 * await api.sendMessage(ann.id, "What would you like?", {
 *   reply_markup: { inline_keyboard: [[{ text: "Buy", callback_data: "buy:1" }]] },
 * });
 * const menu = await ann.waitForMessage(bot, (message) => message.reply_markup !== undefined);
 * assert.equal(menu.text, "What would you like?");
 * // Found the menu, so everything up to it is read: a plain wait now needs a new message.
 * await api.sendMessage(ann.id, "Anything else?");
 * assert.equal((await ann.waitForMessage(bot)).text, "Anything else?");
 * assert.equal(ann.messages(bot).length, 3);
 * ```
 * @module
 */

import type { ChatMemberUpdated, Message, ReplyKeyboardMarkup, Update, User } from "grammy/types";
import { checkout, type PaymentOutcome } from "./world/checkout.ts";
import { commandEntities } from "./world/command_entities.ts";
import { refundCharge } from "./world/payments.ts";
import { type Subscription, subscriptionUpdate } from "./world/subscription.ts";
import type { PrivateChat } from "./world/private_chat.ts";
import type { UserState } from "./world/user_state.ts";
import type { World } from "./world/world.ts";
import { type SandboxBot, STATE } from "./sandbox_bot.ts";

/** How long test-side waits last by default (real time; see PrivateChat.waitForBotMessage). */
const DEFAULT_WAIT_MS = 5_000;

/** What a click produced: the bot's answerCallbackQuery, or nothing before the timeout. */
export type ClickResult =
  | { answered: true; text?: string; showAlert?: boolean; url?: string }
  | { answered: false };

/** Options of waits that guard a test against a bot that never answers. */
export interface WaitOptions {
  /** Real-time limit; 5000 ms by default. */
  timeoutMs?: number;
}

/** A user in the sandbox; create it with `sandbox.createUser()`. */
/** How a test steers one payment. */
export interface PayOptions {
  /**
   * Awaited after the bot approved the pre-checkout query and before the payment is taken: a
   * test holds two payments of one invoice here until both are approved (a double tap whose
   * pre-checkout queries both arrive before either payment).
   */
  afterApproval?: () => Promise<void>;
}

export class SandboxUser {
  readonly [STATE]: UserState;
  readonly #world: World;

  constructor(world: World, state: UserState) {
    this.#world = world;
    this[STATE] = state;
  }

  get id(): number {
    return this[STATE].id;
  }

  get firstName(): string {
    return this[STATE].profile.firstName;
  }

  get languageCode(): string | undefined {
    return this[STATE].profile.languageCode;
  }

  /** Wallet balance in Stars. */
  get stars(): number {
    return this[STATE].stars;
  }

  /** The user as a Telegram User object (`from` of their updates). */
  toUser(): User {
    return this[STATE].toUser();
  }

  /**
   * Sends a text message to the bot (the first one opens the chat, as pressing Start does).
   * Commands get `bot_command` entities as Telegram computes them. Resolves with the message
   * once it is queued for the bot — not when the bot has handled it.
   */
  send(bot: SandboxBot, text: string, options: { replyTo?: Message } = {}): Promise<Message> {
    // Through a promise, so that misuse (blocked bot, empty text) rejects like every other
    // user action instead of throwing synchronously.
    return new Promise((resolve) => resolve(this.#post(bot, text, options)));
  }

  #post(bot: SandboxBot, text: string, options: { replyTo?: Message }): Message {
    if (text.length === 0) throw new Error("a message must have text");
    const chat = this.#chat(bot);
    if (chat.blocked) {
      throw new Error(`user ${this.id} has blocked @${bot.username}; call unblock(bot) first`);
    }
    const entities = commandEntities(text);
    const message: Message & Update.NonChannel = {
      message_id: chat.nextMessageId(),
      from: this.toUser(),
      chat: chat.chat,
      date: this.#world.nowSeconds(),
      text,
      ...(entities.length > 0 ? { entities } : {}),
      ...(options.replyTo ? { reply_to_message: this.#replied(chat, options.replyTo) } : {}),
    };
    chat.addFromUser(message);
    bot[STATE].enqueue({ message });
    return message;
  }

  /**
   * Presses the inline button with `callbackData` on a bot message and waits for the bot's
   * answerCallbackQuery. Throws if the message (in its current state) has no such button.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Api } from "grammy";
   * import { Sandbox } from "./mod.ts";
   *
   * await using sandbox = await Sandbox.start();
   * const bot = sandbox.createBot();
   * const ann = sandbox.createUser({ firstName: "Ann" });
   * const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
   * await ann.send(bot, "/start");
   * const menu = await api.sendMessage(ann.id, "Menu", {
   *   reply_markup: { inline_keyboard: [[{ text: "Buy", callback_data: "buy:1" }]] },
   * });
   *
   * const clicked = ann.click(bot, menu, "buy:1");
   * const [, click] = await api.getUpdates(); // after the /start message
   * const query = click.callback_query!;
   * assert.equal(query.data, "buy:1");
   * await api.answerCallbackQuery(query.id, { text: "Added to your cart" });
   * const result = await clicked;
   * assert.ok(result.answered);
   * assert.equal(result.text, "Added to your cart");
   * ```
   */
  async click(
    bot: SandboxBot,
    message: Message,
    callbackData: string,
    options: WaitOptions = {},
  ): Promise<ClickResult> {
    const chat = this.#chat(bot);
    const current = this.#existing(chat, message);
    const buttons = current.reply_markup?.inline_keyboard.flat() ?? [];
    if (!buttons.some((b) => "callback_data" in b && b.callback_data === callbackData)) {
      const available = buttons.flatMap((b) => "callback_data" in b ? [b.callback_data] : []);
      throw new Error(
        `message ${message.message_id} has no button with callback_data ${
          JSON.stringify(callbackData)
        }; ` +
          `its callback buttons: ${JSON.stringify(available)}`,
      );
    }
    const state = bot[STATE];
    const id = this.#world.nextQueryId();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = new Promise<ClickResult>((resolve) => {
      const settle = (result: ClickResult) => {
        clearTimeout(timer);
        resolve(result);
      };
      state.callbackQueries.set(id, {
        answer: (answer) => settle({ answered: true, ...answer }),
        abandon: () => settle({ answered: false }),
      });
      // Real time, like every test-side wait: a guard, not simulated Telegram behaviour. The
      // query stays answerable afterwards (the bot gets no error), as the user may still be
      // looking at the spinner.
      timer = setTimeout(() => resolve({ answered: false }), options.timeoutMs ?? DEFAULT_WAIT_MS);
    });
    state.enqueue({
      callback_query: {
        id,
        from: this.toUser(),
        message: current,
        chat_instance: chat.chatInstance,
        data: callbackData,
      },
    });
    return await outcome;
  }

  /** The bot's messages in this user's chat, oldest first, as they look now (edits applied). */
  messages(bot: SandboxBot): Message[] {
    return bot[STATE].chats.get(this.id)?.botMessages() ?? [];
  }

  /** The newest bot message in this user's chat. */
  lastMessage(bot: SandboxBot): Message | undefined {
    return this.messages(bot).at(-1);
  }

  /** The earliest unread bot message matching `predicate`; see the module's reading rule. */
  waitForMessage(
    bot: SandboxBot,
    predicate: (message: Message) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<Message> {
    return this.#chat(bot).waitForBotMessage(predicate, options.timeoutMs ?? DEFAULT_WAIT_MS);
  }

  /** The custom reply keyboard the bot currently shows this user, if any. */
  replyKeyboard(bot: SandboxBot): ReplyKeyboardMarkup | undefined {
    return bot[STATE].chats.get(this.id)?.replyKeyboard;
  }

  /** The last chat action (typing, …) the bot sent to this user. */
  lastChatAction(bot: SandboxBot): string | undefined {
    return bot[STATE].chats.get(this.id)?.lastChatAction?.action;
  }

  /** Adds Stars to the wallet (as buying Stars in the app would). */
  topUp(stars: number): void {
    if (!Number.isSafeInteger(stars) || stars <= 0) {
      throw new Error(`topUp needs a positive whole number of Stars, got ${stars}`);
    }
    this[STATE].stars += stars;
  }

  /**
   * Pays an invoice: an invoice message the bot sent to this user, or a link from
   * createInvoiceLink. Resolves when the attempt has ended:
   * - `insufficient_stars`: the wallet cannot cover the price; the bot hears nothing;
   * - `rejected`: the bot answered the pre_checkout_query with ok: false;
   * - `timeout`: no answer within the sandbox's preCheckoutTimeoutMs (on its clock);
   * - `paid`: wallet debited, charge booked, successful_payment sent to the bot.
   *
   * Throws if the invoice does not exist or is already paid. Two calls at once are two devices
   * paying the same invoice: both payments go through.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Api } from "grammy";
   * import type { Update } from "grammy/types";
   * import { Sandbox } from "./mod.ts";
   *
   * await using sandbox = await Sandbox.start();
   * const bot = sandbox.createBot();
   * const ann = sandbox.createUser({ firstName: "Ann", stars: 100 });
   * const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
   * let offset = 0;
   * const nextUpdate = async (): Promise<Update> => {
   *   const [update] = await api.getUpdates({ offset, limit: 1, timeout: 1 });
   *   offset = update.update_id + 1;
   *   return update;
   * };
   * await ann.send(bot, "/start");
   * await nextUpdate();
   * const price = [{ label: "Pack", amount: 40 }];
   * const invoice = await api.sendInvoice(ann.id, "Pack", "10 items", "pack:10", "XTR", price);
   *
   * const paying = ann.pay(bot, invoice);
   * const query = (await nextUpdate()).pre_checkout_query!;
   * assert.equal(ann.stars, 100); // nothing moves before the bot approves
   * await api.answerPreCheckoutQuery(query.id, true);
   * const outcome = await paying;
   * assert.ok(outcome.status === "paid");
   * const payment = (await nextUpdate()).message?.successful_payment;
   * assert.equal(payment?.telegram_payment_charge_id, outcome.chargeId);
   * assert.equal(ann.stars, 60);
   * assert.equal(bot.starBalance, 40);
   * ```
   */
  async pay(
    bot: SandboxBot,
    invoice: Message | string,
    options: PayOptions = {},
  ): Promise<PaymentOutcome> {
    const state = bot[STATE];
    if (typeof invoice === "string") {
      const terms = state.invoiceLinks.get(invoice.replace(/^(https:\/\/)?t\.me\/\$/, ""));
      if (!terms) throw new Error(`${invoice} is not an invoice link of @${bot.username}`);
      return await checkout(this.#world, state, this[STATE], terms, options.afterApproval);
    }
    const record = this.#chat(bot).invoice(invoice.message_id);
    if (!record) {
      throw new Error(`message ${invoice.message_id} is not an invoice in this user's chat`);
    }
    if (record.status === "paid") {
      throw new Error(`invoice message ${invoice.message_id} is already paid`);
    }
    // A second checkout may start while one runs: the user taps Pay on two devices at once, and
    // Telegram takes both payments — the double tap a bot has to detect and refund.
    record.status = "paying";
    record.checkouts++;
    const outcome = await checkout(
      this.#world,
      state,
      this[STATE],
      record.terms,
      options.afterApproval,
    );
    record.checkouts--;
    if (outcome.status === "paid") record.status = "paid";
    else if (record.checkouts === 0 && record.status === "paying") record.status = "open";
    return outcome;
  }

  /**
   * Turns off renewal of a subscription (any of its charge ids), as the user can in the app.
   * The bot gets a `subscription` update with state `canceled` — only when this changed
   * something: canceling one that does not renew (already canceled, by the user or the bot)
   * is a no-op.
   */
  cancelSubscription(bot: SandboxBot, chargeId: string): void {
    const subscription = this.#subscription(bot, chargeId);
    if (subscription.cancelByUser()) {
      bot[STATE].enqueue(subscriptionUpdate(subscription, this.toUser(), "canceled"));
    }
  }

  /**
   * Turns renewal back on; refused while the bot's own cancellation stands (after the bot's
   * `editUserStarSubscription(is_canceled: false)` it is allowed). The bot gets a
   * `subscription` update with state `active` when this changed something; re-enabling one
   * that already renews is a no-op.
   */
  renewSubscription(bot: SandboxBot, chargeId: string): void {
    const subscription = this.#subscription(bot, chargeId);
    if (subscription.reenableByUser()) {
      bot[STATE].enqueue(subscriptionUpdate(subscription, this.toUser(), "active"));
    }
  }

  /**
   * A refund decided on Telegram's side (a dispute), with the same effects as the bot's
   * refundStarPayment: Stars back to the wallet, a refunded_payment message to the bot.
   */
  refundByTelegram(bot: SandboxBot, chargeId: string): void {
    refundCharge(this.#world, bot[STATE], this.id, chargeId);
  }

  /** Blocks the bot: its sends fail with 403 and it gets a `my_chat_member` update. */
  block(bot: SandboxBot): void {
    this.#setBlocked(bot, true);
  }

  /** Unblocks the bot (sends work again; the bot gets a `my_chat_member` update). */
  unblock(bot: SandboxBot): void {
    this.#setBlocked(bot, false);
  }

  #setBlocked(bot: SandboxBot, blocked: boolean): void {
    const chat = this.#chat(bot);
    if (chat.blocked === blocked) return;
    chat.blocked = blocked;
    const state = bot[STATE];
    const date = this.#world.nowSeconds();
    const member = { status: "member", user: state.toUser() } as const;
    const kicked = { status: "kicked", user: state.toUser(), until_date: 0 } as const;
    const update: ChatMemberUpdated = {
      chat: chat.chat,
      from: this.toUser(),
      date,
      old_chat_member: blocked ? member : kicked,
      new_chat_member: blocked ? kicked : member,
    };
    state.enqueue({ my_chat_member: update });
  }

  #subscription(bot: SandboxBot, chargeId: string): Subscription {
    const subscription = bot[STATE].subscriptions.byCharge(chargeId);
    if (!subscription || subscription.terms.userId !== this.id) {
      throw new Error(`charge ${chargeId} is not a subscription of user ${this.id}`);
    }
    if (subscription.ended) throw new Error(`the subscription of charge ${chargeId} has ended`);
    return subscription;
  }

  #chat(bot: SandboxBot): PrivateChat {
    if (bot[STATE].revoked) throw new Error(`bot @${bot.username} has a revoked token`);
    return bot[STATE].chatWith(this[STATE]);
  }

  /** The message replied to, without its own reply (Telegram nests one level). */
  #replied(chat: PrivateChat, message: Message): Message["reply_to_message"] {
    return { ...this.#existing(chat, message), reply_to_message: undefined };
  }

  #existing(chat: PrivateChat, message: Message): Message {
    const current = chat.get(message.message_id);
    if (!current) {
      throw new Error(`message ${message.message_id} does not exist in chat ${chat.chat.id}`);
    }
    return current;
  }
}
