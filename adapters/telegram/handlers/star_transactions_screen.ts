/**
 * The admin's `/transactions` screen: the bot's Telegram Stars transactions, newest first, ten
 * per page, with "Newer" / "Older" buttons (`stars:tx:<page>`). A payment recorded here names
 * its product, and one not refunded has a **Refund** button (`refund_buttons.ts`).
 *
 * Telegram lists transactions oldest first and does not say how many there are, so the newest
 * page needs the count. It is found by reading blocks of 100 at offsets that are multiples of
 * 100 — doubling the block index until a block is not full, then halving the gap — so a bot
 * with 10 000 transactions costs about 15 reads, not 100. The reads go through the
 * BalanceActor, which caches each block for the tenant's TTL and keeps Telegram's flood limits:
 * paging on reuses the blocks already read.
 *
 * @module
 */
import type { StarTransaction } from "grammy/types";
import type { BotStars } from "../../../money/ports.ts";
import type { PaymentRecord } from "../../../money/stores/payment_records.ts";
import { refundButtonRow } from "../../../money/payments/refund_button.ts";
import { encodeCallback } from "../callback_data.ts";
import { type HandlerDeps, productTitle, type Translator } from "./deps.ts";
import { formatHistoryDate } from "./history.ts";
import { keyboard, pageButtons, type Screen } from "./screen.ts";
import { formatStars } from "./stars_format.ts";

/** Transactions per page of `/transactions`. */
export const TRANSACTIONS_PAGE_SIZE = 10;

/** Transactions per read: the Bot API's maximum, so a block serves ten pages. */
const BLOCK_SIZE = 100;

/** Reads transaction blocks of one tenant; block `i` holds transactions `100·i` to `100·i+99`. */
type BlockReader = (index: number) => Promise<StarTransaction[]>;

/**
 * How many transactions there are: the index of the first block that is not full, times 100,
 * plus that block's length (see the module doc). Blocks before a full one are full too, as
 * transactions are only ever appended.
 */
async function countTransactions(read: BlockReader): Promise<number> {
  let full = -1; // every block up to this index is full
  let short = 0; // a block known not to be full
  let shortLength = (await read(0)).length;
  while (shortLength === BLOCK_SIZE) {
    full = short;
    short = short === 0 ? 1 : short * 2;
    shortLength = (await read(short)).length;
  }
  while (short - full > 1) {
    const middle = Math.floor((full + short) / 2);
    const length = (await read(middle)).length;
    if (length === BLOCK_SIZE) {
      full = middle;
    } else {
      short = middle;
      shortLength = length;
    }
  }
  return short * BLOCK_SIZE + shortLength;
}

/** Transactions `from` (inclusive) to `to` (exclusive), oldest first, from whole blocks. */
async function slice(read: BlockReader, from: number, to: number): Promise<StarTransaction[]> {
  const result: StarTransaction[] = [];
  for (let index = Math.floor(from / BLOCK_SIZE); index * BLOCK_SIZE < to; index++) {
    const block = await read(index);
    const start = index * BLOCK_SIZE;
    result.push(...block.slice(Math.max(0, from - start), Math.max(0, to - start)));
  }
  return result;
}

/** Who the bot's Stars came from or went to. */
function partnerOf({ t }: Translator, transaction: StarTransaction): string {
  const partner = transaction.source ?? transaction.receiver;
  if (partner === undefined) return "—";
  if (partner.type !== "user") return partner.type;
  const { user } = partner;
  const name = [user.first_name, user.last_name].filter((part) => part).join(" ");
  return t("transactions.user", { name, userId: user.id });
}

/**
 * One line of the list: date (UTC), signed amount (incoming `+`, outgoing `−`), partner, the
 * product when it is a payment recorded here (`title`), id.
 */
export function transactionLine(
  translator: Translator,
  transaction: StarTransaction,
  title?: string,
): string {
  const amount = formatStars(transaction.amount, transaction.nanostar_amount ?? 0);
  // U+2212 for minus, like the credit history.
  const sign = transaction.source !== undefined
    ? "+"
    : transaction.receiver !== undefined
    ? "−"
    : "";
  const vars = {
    date: formatHistoryDate(transaction.date * 1_000),
    amount: `${sign}${amount}`,
    who: partnerOf(translator, transaction),
    id: transaction.id,
  };
  return title === undefined
    ? translator.t("transactions.entry", vars)
    : translator.t("transactions.entry.product", { ...vars, title });
}

/**
 * What {@linkcode transactionsScreen} found: the page, or that there is no such page (the list
 * has `pages` pages).
 */
export type TransactionsScreen = { kind: "page"; screen: Screen } | {
  kind: "no_page";
  pages: number;
};

/**
 * Page `page` (from 1, newest first) of the tenant's transactions. Page 1 always exists: an
 * empty list says so.
 *
 * @throws the BalanceActor's error when Telegram could not be read (flood wait, timeout…).
 */
export async function transactionsScreen(
  deps: Pick<HandlerDeps, "config" | "payments">,
  botStars: Pick<BotStars, "transactions">,
  translator: Translator,
  page: number,
): Promise<TransactionsScreen> {
  const { t, locale } = translator;
  const tenantId = deps.config.id;
  const read: BlockReader = async (index) =>
    (await botStars.transactions(tenantId, index * BLOCK_SIZE, BLOCK_SIZE)).transactions;
  const total = await countTransactions(read);
  const pages = Math.max(1, Math.ceil(total / TRANSACTIONS_PAGE_SIZE));
  if (page > pages) return { kind: "no_page", pages };
  if (total === 0) return { kind: "page", screen: { text: t("transactions.empty") } };
  const to = total - (page - 1) * TRANSACTIONS_PAGE_SIZE;
  const from = Math.max(0, to - TRANSACTIONS_PAGE_SIZE);
  const newestFirst = (await slice(read, from, to)).reverse();
  const navigation = pageButtons(
    { prev: t("transactions.prev"), next: t("transactions.next") },
    page,
    pages,
    (to) => encodeCallback({ kind: "transactions", page: to }),
  );
  const lines: string[] = [];
  const refunds = [];
  for (const transaction of newestFirst) {
    // An incoming payment's id is its charge id: the payment recorded here, if any.
    const payment: PaymentRecord | undefined = transaction.source?.type === "user"
      ? await deps.payments.purchases.byCharge(transaction.id)
      : undefined;
    const title = payment === undefined
      ? undefined
      : productTitle(deps, locale, payment.productId ?? "—");
    lines.push(transactionLine(translator, transaction, title));
    if (payment !== undefined && title !== undefined && payment.refundedAt === undefined) {
      const label = t("refund.button", { title, amount: payment.amount });
      refunds.push(refundButtonRow(label, payment.chargeId));
    }
  }
  return {
    kind: "page",
    screen: {
      text: [t("transactions.title", { page, pages }), ...lines].join("\n"),
      reply_markup: keyboard([...refunds, navigation]),
    },
  };
}
