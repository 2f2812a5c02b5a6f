/**
 * Reconciliation: comparing the bot's Stars transactions as Telegram lists them with the
 * payments we recorded, and repairing what an update lost on the way would have left wrong.
 *
 * A run drops the tenant's cached transactions (so it sees Telegram's current list), then pages
 * through `getStarTransactions` from the checkpoint (`checkpoint.ts`), 100 at a time,
 * oldest first, until a short page. For each transaction (`transactions.ts`):
 *
 * - a user's invoice payment with no payment recorded → applied through the same idempotent
 *   path as its `successful_payment` (`PaymentReceiver.recover`): the user is credited and
 *   gets the receipt, once, even if the late update arrives during the run — both insert into
 *   the payments table under the charge id, and the second finds the row;
 * - a refund the ledger does not know (payment recorded, not refunded) → applied
 *   (`Refunds.apply(id, "telegram")`): credits reversed, user told;
 * - what cannot be matched → counted as `unmatched` and told to the admins once per transaction:
 *   a payment whose payload names no order of the payer goes the `successful_payment` way for
 *   such payments (recorded as an orphan, admins told), a refund of a charge never recorded is
 *   reported by `Refunds.reportUnmatched`;
 * - anything else (paid media, gifts, withdrawals…) is not a payment of ours: scanned, ignored.
 *
 * The checkpoint moves after each page, so the next run scans only newer transactions. A run
 * that fails (Telegram or storage) keeps the checkpoint of the last whole page; the next run
 * checks the rest of that page again, which is harmless because every step is idempotent. A
 * transaction that keeps failing stops every run there rather than being skipped: a payment is
 * never given up on silently.
 *
 * @example A payment whose update was lost
 * ```ts
 * import assert from "node:assert/strict";
 * import type { StarTransaction } from "grammy/types";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { tenantLogger } from "../../adapters/observability/logging.ts";
 * import { paymentServicesOptions } from "../../tests/support/payment_world.ts";
 * import { parseTestTenant } from "../../tests/support/tenant_configs.ts";
 * import { CREDITS_100 } from "../../tests/support/shop_products.ts";
 * import type { PaymentsApi } from "../payments/bot_api.ts";
 * import { createPaymentServices } from "../payments/services.ts";
 * import { Reconciler } from "./reconciler.ts";
 *
 * const tenant = parseTestTenant({ products: [CREDITS_100] }, { token: "123:abc" });
 * const db = await openDatabase("sqlite::memory:");
 * const clock = new ManualClock(0);
 * const api: PaymentsApi = {
 *   sendInvoice: () => Promise.resolve({ message_id: 1 }),
 *   createInvoiceLink: () => Promise.resolve("https://t.me/$link"),
 *   sendMessage: () => Promise.resolve({ message_id: 2 }),
 *   refundStarPayment: () => Promise.resolve(true),
 *   editUserStarSubscription: () => Promise.resolve(true),
 * };
 * const payments = createPaymentServices(paymentServicesOptions({ tenant, db, clock, api }));
 * const offer = await payments.checkout.offer(7, 7, "credits_100", "en");
 * assert(offer.kind === "invoice");
 *
 * // Telegram's list of the bot's transactions: Ann paid, and the update never arrived.
 * const transactions: StarTransaction[] = [{
 *   id: "ch_1",
 *   amount: 50,
 *   date: 1_700_000_000,
 *   source: {
 *     type: "user",
 *     transaction_type: "invoice_payment",
 *     user: { id: 7, is_bot: false, first_name: "Ann" },
 *     invoice_payload: offer.order.orderId,
 *   },
 * }];
 * // In the runtime, the BalanceActor's client.
 * const botStars = {
 *   transactions: (_tenantId: string, offset: number, limit: number) =>
 *     Promise.resolve({
 *       transactions: transactions.slice(offset, offset + limit),
 *       offset,
 *       limit,
 *       fetchedAt: clock.now(),
 *       ageMs: 0,
 *     }),
 *   invalidate: () => Promise.resolve(),
 * };
 * const reconciler = new Reconciler({
 *   tenantId: tenant.id,
 *   db,
 *   clock,
 *   payments,
 *   botStars,
 *   admins: [],
 *   logger: tenantLogger(tenant.id).getChild("reconcile"),
 * });
 *
 * // Runs never overlap: a second call while one runs gets the same run.
 * const [report, same] = await Promise.all([reconciler.run(), reconciler.run()]);
 * assert.equal(report, same);
 * assert.deepEqual(report, {
 *   scanned: 1,
 *   recovered: 1,
 *   refundsApplied: 0,
 *   unmatched: 0,
 *   alreadyKnown: 0,
 * });
 * assert.equal(await payments.credits.balance(7), 100);
 * // The checkpoint moved past it: the next run looks only at newer transactions.
 * assert.equal((await reconciler.run()).scanned, 0);
 * await db.close();
 * ```
 * @module
 */
import type { StarTransaction } from "grammy/types";
import type { BotStars, Database, Logger } from "../ports.ts";
import type { Clock } from "../../actors/kernel/clock.ts";
import type { PaymentReceiver } from "../payments/receive.ts";
import type { Refunds } from "../payments/refunds.ts";
import { loadReconcileOffset, saveReconcileOffset } from "./checkpoint.ts";
import { classifyTransaction } from "./transactions.ts";

/** Transactions asked for per page: the Bot API's maximum. */
export const RECONCILE_PAGE_SIZE = 100;

/**
 * What one run found. `scanned` counts every transaction looked at, the others only payments
 * and refunds: `recovered` payments applied now (their update was lost), `refundsApplied`
 * refunds applied now, `unmatched` ones that could not be matched (admins told),
 * `alreadyKnown` ones the ledger had already.
 */
export interface ReconcileReport {
  scanned: number;
  recovered: number;
  refundsApplied: number;
  unmatched: number;
  alreadyKnown: number;
}

/** What a {@linkcode Reconciler} needs. */
export interface ReconcilerOptions {
  tenantId: string;
  /** Where the checkpoint is kept (`kv`). */
  db: Database;
  /** Times the runs, for the log. */
  clock: Clock;
  /** The tenant's payment services that repair what reconciliation finds. */
  payments: {
    receiver: Pick<PaymentReceiver, "recover">;
    refunds: Pick<Refunds, "apply" | "reportUnmatched">;
  };
  /** The BalanceActor's client: the transactions come through its cache and flood control. */
  botStars: Pick<BotStars, "transactions" | "invalidate">;
  /** Who is told about refunds that match no recorded payment. */
  admins: readonly number[];
  /** The tenant's logger, sub-category `reconcile`. */
  logger: Logger;
}

function emptyReport(): ReconcileReport {
  return { scanned: 0, recovered: 0, refundsApplied: 0, unmatched: 0, alreadyKnown: 0 };
}

/** Reconciles one tenant's payments with Telegram; see the module doc. */
export class Reconciler {
  readonly #options: ReconcilerOptions;
  readonly #logger: Logger;
  #running: Promise<ReconcileReport> | undefined;

  /** @throws {TypeError} naming the option that is wrong. */
  constructor(options: ReconcilerOptions) {
    if (typeof options.tenantId !== "string" || options.tenantId.trim() === "") {
      throw new TypeError(
        `reconciler: tenantId must be a non-empty string, got ${String(options.tenantId)}`,
      );
    }
    if (!Array.isArray(options.admins) || !options.admins.every(Number.isSafeInteger)) {
      throw new TypeError(
        `reconciler of "${options.tenantId}": admins must be an array of Telegram user ids`,
      );
    }
    this.#options = options;
    this.#logger = options.logger;
  }

  /**
   * Runs a reconciliation and resolves with what it found. Runs never overlap: while one runs,
   * `run()` returns that run's promise. Rejects with the error of Telegram or storage that
   * stopped it (the checkpoint keeps the progress up to the last whole page).
   */
  run(): Promise<ReconcileReport> {
    this.#running ??= this.#reconcile().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #reconcile(): Promise<ReconcileReport> {
    const { tenantId, db, clock, botStars } = this.#options;
    const startedAt = clock.now();
    const report = emptyReport();
    // The cached list may predate the newest transactions, the very ones that matter here.
    await botStars.invalidate(tenantId);
    let offset = await loadReconcileOffset(db, tenantId);
    const from = offset;
    for (;;) {
      const { transactions } = await botStars.transactions(tenantId, offset, RECONCILE_PAGE_SIZE);
      for (const transaction of transactions) {
        await this.#reconcileOne(transaction, report);
        report.scanned++;
      }
      if (transactions.length > 0) {
        offset += transactions.length;
        await saveReconcileOffset(db, tenantId, offset);
      }
      if (transactions.length < RECONCILE_PAGE_SIZE) break;
    }
    const changed = report.recovered + report.refundsApplied + report.unmatched > 0;
    const fields = { ...report, from, to: offset, ms: clock.now() - startedAt };
    const message = "Reconciled transactions {from}..{to} in {ms} ms: {recovered} recovered, " +
      "{refundsApplied} refunds applied, {unmatched} unmatched, {alreadyKnown} already known.";
    if (changed) this.#logger.warn(message, fields);
    else this.#logger.debug(message, fields);
    return report;
  }

  async #reconcileOne(transaction: StarTransaction, report: ReconcileReport): Promise<void> {
    const { payments, admins } = this.#options;
    const found = classifyTransaction(transaction);
    if (found === undefined) return;
    if (found.kind === "payment") {
      const outcome = await payments.receiver.recover(found);
      if (outcome.kind === "already_applied") {
        report.alreadyKnown++;
      } else if (outcome.kind === "unknown_order_recorded") {
        // Recorded as an orphan: the payment path has told the admins.
        report.unmatched++;
      } else {
        report.recovered++;
        this.#logger.warn(
          "Payment {chargeId} of user {userId} had not arrived as an update; applied: {kind}.",
          { chargeId: found.id, userId: found.user.id, kind: outcome.kind },
        );
      }
      return;
    }
    const outcome = await payments.refunds.apply(found.id, "telegram");
    switch (outcome.kind) {
      case "refunded":
        report.refundsApplied++;
        return;
      case "already_refunded":
        report.alreadyKnown++;
        return;
      case "unknown_charge":
        report.unmatched++;
        await payments.refunds.reportUnmatched(found, admins);
        return;
    }
  }
}
