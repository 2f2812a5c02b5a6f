/**
 * Payment support, which Telegram requires of every bot that sells: `/paysupport` opens a
 * ticket; what the buyer writes next goes to every admin of the bot, with the buyer's recent
 * receipts (product, amount, charge id, date); an admin's reply to that copy reaches the buyer.
 *
 * - **Durable.** The ticket, each message and each admin's copy are rows
 *   (`support_records.ts`): a restart loses no ticket, and a reply to a copy made before it
 *   still finds the buyer. The answer to the buyer goes through the outbox, so it is sent once.
 * - **Once per message.** An update delivered twice finds its message recorded and forwarded;
 *   one cut short between the admins' copies sends only the copies still missing.
 * - **Rate-limited.** At most {@linkcode SUPPORT_MESSAGES_PER_WINDOW} messages per buyer in
 *   {@linkcode SUPPORT_WINDOW_MS}; past that the buyer is told when to write again.
 * - **Open while used.** A ticket takes messages for {@linkcode TICKET_OPEN_MS} after its last
 *   message either way: an admin's answer reopens it, so the buyer can answer back.
 * - **Cheap when unused.** Most plain text a bot gets is not for support (a plugin's chat), so
 *   which tickets are open is read once and then kept up to date in memory: text from a buyer
 *   without a ticket costs no query. The database stays the truth: a restart, or the tenant
 *   moving to another instance, reads it again.
 *
 * @module
 */
import type { InlineKeyboardButton, InlineKeyboardMarkup, User } from "grammy/types";
import { localized } from "../../config/localized.ts";
import { findProduct, formatMoment, messageCall, type PaymentParts } from "../payments/parts.ts";
import type { PaymentRecord } from "../stores/payment_records.ts";
import { refundButtonRow } from "../payments/refund_button.ts";
import { SupportRecords } from "./support_records.ts";

/** How many messages a buyer may write to support in {@linkcode SUPPORT_WINDOW_MS}. */
export const SUPPORT_MESSAGES_PER_WINDOW = 5;
/** The window of the rate limit: ten minutes. */
export const SUPPORT_WINDOW_MS = 10 * 60_000;
/** How long a ticket takes messages after its last one: a day. */
export const TICKET_OPEN_MS = 24 * 3_600_000;
/** How many of the buyer's receipts go with their message. */
const RECEIPTS_SHOWN = 5;

/** A message a buyer wrote in their private chat with the bot. */
export interface BuyerMessage {
  from: User;
  chatId: number;
  messageId: number;
  text: string;
}

/** What became of a buyer's message. */
export type RelayResult =
  /** No open ticket: the message is not for support. */
  | { kind: "no_ticket" }
  /** Too many messages lately: `retryInMs` until the next one is taken. */
  | { kind: "rate_limited"; retryInMs: number }
  /** Sent to `admins` admins (0 when none could get it: it is recorded and logged). */
  | { kind: "forwarded"; admins: number };

/** What became of an admin's reply. */
export type ReplyResult =
  /** The message replied to is no copy of a support message. */
  | { kind: "not_support" }
  /** The answer is on its way to the buyer. */
  | { kind: "answered"; userId: number };

/** What the support desk needs of the payment parts. */
export type SupportParts = Pick<
  PaymentParts,
  | "tenant"
  | "db"
  | "clock"
  | "api"
  | "outbox"
  | "texts"
  | "logger"
  | "users"
  | "paymentRecords"
  | "committed"
  | "readFailure"
  | "redact"
>;

/** The payment support of one tenant; see the module doc. */
export class SupportDesk {
  readonly #parts: SupportParts;
  readonly #records: SupportRecords;
  /** When each open ticket was last active, by user; loaded on first use (see the module doc). */
  #active: Promise<Map<number, number>> | undefined;

  constructor(parts: SupportParts) {
    this.#parts = parts;
    this.#records = new SupportRecords(parts.tenant.id);
  }

  /** Opens (or reopens) the buyer's ticket: their next message goes to the admins. */
  async open(userId: number, chatId: number, languageCode: string | undefined): Promise<void> {
    const { db, clock, users } = this.#parts;
    const at = clock.now();
    await db.transaction(async (tx) => {
      await users.rememberLanguage(tx, userId, languageCode);
      await this.#records.open(tx, { userId, chatId, at });
    });
    await this.#activeAt(userId, at);
  }

  /**
   * Notes a committed change of the ticket's activity. A load still running waits first, so it
   * cannot drop a change it read too early to see.
   */
  async #activeAt(userId: number, at: number): Promise<void> {
    if (this.#active !== undefined) (await this.#active).set(userId, at);
  }

  /** Whether the buyer's ticket is open now, by what is known in memory. */
  async #isOpen(userId: number, now: number): Promise<boolean> {
    this.#active ??= this.#records.activeSince(this.#parts.db, now - TICKET_OPEN_MS);
    let active: Map<number, number>;
    try {
      active = await this.#active;
    } catch (error) {
      this.#active = undefined; // read again next time
      throw error;
    }
    const at = active.get(userId);
    return at !== undefined && now - at <= TICKET_OPEN_MS;
  }

  /**
   * Takes a buyer's message: when their ticket is open, records it and sends a copy, with
   * their recent receipts, to every admin. See the module doc for what makes it once.
   */
  async relay(message: BuyerMessage): Promise<RelayResult> {
    const { db, clock, tenant, logger } = this.#parts;
    const userId = message.from.id;
    const now = clock.now();
    if (!await this.#isOpen(userId, now)) return { kind: "no_ticket" };
    const taken = await db.transaction(async (tx): Promise<RelayResult | "new" | "again"> => {
      const ticket = await this.#records.ticket(tx, userId);
      if (ticket === undefined || now - ticket.activeAt > TICKET_OPEN_MS) {
        return { kind: "no_ticket" };
      }
      if (await this.#records.isForwarded(tx, userId, message.messageId)) return "again";
      const recent = await this.#records.messagesSince(tx, userId, now - SUPPORT_WINDOW_MS);
      if (recent >= SUPPORT_MESSAGES_PER_WINDOW) {
        return { kind: "rate_limited", retryInMs: SUPPORT_WINDOW_MS };
      }
      await this.#records.addMessage(tx, {
        userId,
        messageId: message.messageId,
        text: message.text,
        at: now,
      });
      await this.#records.touch(tx, userId, now);
      await this.#parts.users.rememberUsername(tx, userId, message.from.username);
      return "new";
    });
    if (typeof taken === "object") return taken;
    if (taken === "new") await this.#activeAt(userId, now);
    if (taken === "again") {
      return {
        kind: "forwarded",
        admins: (await this.#records.copiedTo(db, userId, message.messageId)).size,
      };
    }
    logger.info("Support message from {userId}: {text}", { userId, text: message.text });
    const copied = await this.#records.copiedTo(db, userId, message.messageId);
    const receipts = await this.#parts.paymentRecords.ofUser(db, userId, RECEIPTS_SHOWN);
    let reached = copied.size;
    for (const admin of tenant.admins) {
      if (copied.has(admin)) continue;
      const { text, buttons } = await this.#adminCopy(admin, message, receipts);
      let sent: { message_id: number };
      try {
        sent = await this.#parts.api.sendMessage(admin, text, buttons);
      } catch (error) {
        const failure = this.#parts.readFailure(error);
        // Anything but a refusal may pass: the update is then handled again, and only the
        // copies still missing are sent.
        if (failure.kind !== "refused") throw error;
        // An admin who never started the bot (403), say: the others still get it.
        logger.warn("Admin {admin} could not get a support message: {error}", {
          admin,
          error: this.#parts.redact(failure.description),
        });
        continue;
      }
      await this.#records.addCopy(db, {
        adminChatId: admin,
        adminMessageId: sent.message_id,
        userId,
        messageId: message.messageId,
      });
      reached++;
    }
    await this.#records.markForwarded(db, userId, message.messageId, clock.now());
    return { kind: "forwarded", admins: reached };
  }

  /**
   * Takes an admin's reply to the message `repliedTo` of their chat: when that is a copy of a
   * buyer's message, queues the answer to the buyer (once per admin message) and reopens the
   * buyer's ticket so they can answer back. The admin's language is remembered for the next
   * copies.
   */
  async answer(
    admin: { id: number; languageCode?: string },
    adminMessageId: number,
    repliedTo: number,
    text: string,
  ): Promise<ReplyResult> {
    const adminId = admin.id;
    const { db, clock, outbox, texts, users, tenant, logger } = this.#parts;
    const now = clock.now();
    if (!tenant.admins.includes(adminId)) return { kind: "not_support" };
    const result = await db.transaction(async (tx): Promise<ReplyResult> => {
      const copy = await this.#records.copy(tx, adminId, repliedTo);
      if (copy === undefined) return { kind: "not_support" };
      await users.rememberLanguage(tx, adminId, admin.languageCode);
      const ticket = await this.#records.ticket(tx, copy.userId);
      const { t } = texts.forUser(await users.language(tx, copy.userId));
      await outbox.enqueue(
        tx,
        `support-answer:${adminId}:${adminMessageId}`,
        messageCall(ticket?.chatId ?? copy.userId, t("support.answer", { text })),
      );
      await this.#records.touch(tx, copy.userId, now);
      return { kind: "answered", userId: copy.userId };
    });
    if (result.kind === "answered") {
      await this.#activeAt(result.userId, now);
      this.#parts.committed();
      logger.info("Support answer from admin {adminId} to {userId}.", {
        adminId,
        userId: result.userId,
      });
    }
    return result;
  }

  /**
   * The copy of a buyer's message for one admin, in the admin's language, with a Refund button
   * for each receipt not refunded (`refund_button.ts`).
   */
  async #adminCopy(
    admin: number,
    message: BuyerMessage,
    receipts: readonly PaymentRecord[],
  ): Promise<{ text: string; buttons?: { reply_markup: InlineKeyboardMarkup } }> {
    const { db, texts, users, tenant } = this.#parts;
    const { t, locale } = texts.forUser(await users.language(db, admin));
    const refunds: InlineKeyboardButton[][] = [];
    const lines = receipts.map((receipt) => {
      const product = receipt.productId === undefined
        ? undefined
        : findProduct(tenant, receipt.productId);
      const title = product === undefined
        ? receipt.productId ?? receipt.kind
        : localized(product.title, locale, tenant.locale);
      const vars = {
        date: formatMoment(receipt.paidAt),
        title,
        amount: receipt.amount,
        chargeId: receipt.chargeId,
      };
      if (receipt.refundedAt !== undefined) return t("support.receipt.refunded", vars);
      const label = t("refund.button", { title, amount: receipt.amount });
      const row = refundButtonRow(label, receipt.chargeId);
      if (row.length > 0) refunds.push(row);
      return t("support.receipt", vars);
    });
    const { from } = message;
    const name = [from.first_name, from.last_name].filter(Boolean).join(" ");
    const text = t("support.to_admin", {
      name: from.username === undefined ? name : `${name} @${from.username}`,
      userId: String(from.id),
      text: message.text,
      receipts: lines.length === 0 ? t("support.no_receipts") : lines.join("\n"),
    });
    if (refunds.length === 0) return { text };
    return { text, buttons: { reply_markup: { inline_keyboard: refunds } } };
  }
}
