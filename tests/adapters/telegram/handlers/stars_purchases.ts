/**
 * Purchases in the handler harness for the reconciliation and admin bot-Stars tests — a credit
 * pack or the monthly subscription, optionally with the `successful_payment` update lost on
 * the way — and a scripted Bot API upstream for the transactions the sandbox cannot make
 * (refunds of unknown charges, paid media, withdrawals).
 *
 * @example
 * ```ts ignore
 * await using h = await startHarness({ botStars: {} });
 * const ann = h.user({ firstName: "Ann", stars: 100 });
 * const { chargeId } = await buyCredits(h, ann, { lost: true });
 * await h.reconciler!.run(); // credits Ann
 * ```
 * @module
 */
import type { Message, StarTransaction, Update, User } from "grammy/types";
import type { BotApiBalanceUpstream } from "../../../../money/bot_stars/types.ts";
import type { SandboxUser } from "../../../../sandbox/mod.ts";
import { assertTrue } from "../../../support/assert.ts";
import type { Harness } from "./harness.ts";

/** A message as an update carries it (any chat but a channel). */
export type UpdateMessage = NonNullable<Update["message"]>;

/**
 * A payment that went through: its charge id and its `successful_payment` message, ready to be
 * delivered late with `bot.handleUpdate({ update_id, message })`.
 */
export interface Purchase {
  chargeId: string;
  message: UpdateMessage;
}

/** Whether the payment's update is lost (`Sandbox.dropNextSuccessfulPayment`). */
export interface PurchaseOptions {
  lost?: boolean;
}

async function paid(
  h: Harness,
  user: SandboxUser,
  invoice: Message | string,
  options: PurchaseOptions,
): Promise<Purchase> {
  if (options.lost) h.sandbox.dropNextSuccessfulPayment(h.account.token);
  const outcome = await h.pay(user, invoice);
  if (outcome.status !== "paid") throw new Error(`the payment failed: ${outcome.status}`);
  // Payments happen in the private chat with the bot, never in a channel.
  return { chargeId: outcome.chargeId, message: outcome.message as UpdateMessage };
}

/**
 * `user` buys the wallpapers (an item, 25 Stars) through the invoice `/start buy_wallpapers`
 * sends.
 *
 * @example
 * ```ts ignore
 * const { chargeId } = await buyWallpapers(h, ann);
 * ```
 */
export async function buyWallpapers(h: Harness, user: SandboxUser): Promise<Purchase> {
  await user.send(h.account, "/start buy_wallpapers");
  await h.pump();
  return await paid(h, user, user.lastMessage(h.account)!, {});
}

/**
 * `user` buys 100 credits for 50 Stars through the invoice `/start buy_credits_100` sends.
 *
 * @example
 * ```ts ignore
 * const { chargeId } = await buyCredits(h, ann);
 * ```
 */
export async function buyCredits(
  h: Harness,
  user: SandboxUser,
  options: PurchaseOptions = {},
): Promise<Purchase> {
  await user.send(h.account, "/start buy_credits_100");
  await h.pump();
  return await paid(h, user, user.lastMessage(h.account)!, options);
}

/**
 * `user` subscribes to "monthly" (150 Stars, 300 credits a month) through its link.
 *
 * @example
 * ```ts ignore
 * const { chargeId } = await subscribeMonthly(h, ann, { lost: true });
 * ```
 */
export async function subscribeMonthly(
  h: Harness,
  user: SandboxUser,
  options: PurchaseOptions = {},
): Promise<Purchase> {
  await user.send(h.account, "/start buy_monthly");
  await h.pump();
  const [[button]] = user.lastMessage(h.account)!.reply_markup!.inline_keyboard;
  assertTrue("url" in button);
  return await paid(h, user, button.url, options);
}

/**
 * A Bot API upstream answering from `transactions` (oldest first; the test may push more) and
 * a fixed Stars balance of the bot, recording each page asked for.
 *
 * @example
 * ```ts ignore
 * const script = new ScriptedUpstream([refundOf("stx_gone", ann)]);
 * await using h = await startHarness({ botStars: { upstream: () => script } });
 * ```
 */
export class ScriptedUpstream implements BotApiBalanceUpstream {
  readonly transactions: StarTransaction[];
  /** `[offset, limit]` of every `getStarTransactions` call. */
  readonly pages: [number, number][] = [];
  readonly #failures = new Map<number, Error>();

  constructor(transactions: StarTransaction[] = []) {
    this.transactions = transactions;
  }

  /** The next read of the page at `offset` fails with `error`. */
  failPage(offset: number, error: Error): void {
    this.#failures.set(offset, error);
  }

  getMyStarBalance(): Promise<{ amount: number; nanostarAmount: number }> {
    return Promise.resolve({ amount: 0, nanostarAmount: 0 });
  }

  getStarTransactions(offset: number, limit: number): Promise<{ transactions: StarTransaction[] }> {
    this.pages.push([offset, limit]);
    const error = this.#failures.get(offset);
    this.#failures.delete(offset);
    if (error !== undefined) return Promise.reject(error);
    return Promise.resolve({ transactions: this.transactions.slice(offset, offset + limit) });
  }
}

/** 2025-01-01 00:00 UTC in Unix seconds, the date of the scripted transactions. */
const DATE = Date.UTC(2025, 0, 1) / 1_000;

/**
 * A user's invoice payment as Telegram lists it.
 *
 * @example
 * ```ts ignore
 * paymentTransaction("stx_1", ann.toUser(), 30, "forged-payload");
 * ```
 */
export function paymentTransaction(
  id: string,
  user: User,
  amount: number,
  payload: string,
): StarTransaction {
  return {
    id,
    amount,
    date: DATE,
    source: { type: "user", transaction_type: "invoice_payment", user, invoice_payload: payload },
  };
}

/**
 * The refund of a user's invoice payment `id` as Telegram lists it.
 *
 * @example
 * ```ts ignore
 * refundTransaction("stx_1", ann.toUser(), 30);
 * ```
 */
export function refundTransaction(id: string, user: User, amount: number): StarTransaction {
  return {
    id,
    amount,
    date: DATE,
    receiver: { type: "user", transaction_type: "invoice_payment", user },
  };
}

/**
 * A transaction that is no payment of ours: a Fragment withdrawal.
 *
 * @example
 * ```ts ignore
 * withdrawal("w_1", 500);
 * ```
 */
export function withdrawal(id: string, amount: number): StarTransaction {
  return { id, amount, date: DATE, receiver: { type: "fragment" } };
}
