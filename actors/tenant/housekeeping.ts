/**
 * A tenant's two timers. Housekeeping (expire unpaid orders and lapsed subscriptions, forget old
 * inbox rows) and reconciliation (compare Telegram's transactions with the ledger) both arrive
 * as messages in the tenant's mailbox rather than running from the timer: housekeeping then runs
 * between two batches, never beside their recording, and nothing runs once the actor stopped.
 *
 * @module
 */
import type { TimerId } from "../kernel/clock.ts";
import type { TenantParts } from "./tenant_build.ts";
import type { TenantEnvironment } from "./tenant_environment.ts";
import { describeError } from "../../adapters/telegram/describe_error.ts";

/** Housekeeping period: order expiry needs no finer grain than half a minute. */
const tickMs = 30_000;

/**
 * The latest the first reconciliation comes after a start. Soon, because it recovers what a
 * crash may have missed; spread over a minute so a thousand tenants starting together do not
 * query Telegram at once.
 */
const firstReconcileWithinMs = 60_000;

/** The messages the timers post to the tenant actor when they fire. */
export type TimerMsg = { type: "Tick" } | { type: "Reconcile" };

/** The tenant's housekeeping and reconciliation timers; see the module doc. */
export class Housekeeping {
  readonly #parts: Pick<TenantParts, "payments" | "inbox" | "reconciler" | "logger" | "config">;
  readonly #env: Pick<TenantEnvironment, "clock" | "db" | "random">;
  readonly #post: (msg: TimerMsg) => void;
  #tick?: TimerId;
  #reconcile?: TimerId;

  constructor(
    parts: Pick<TenantParts, "payments" | "inbox" | "reconciler" | "logger" | "config">,
    env: Pick<TenantEnvironment, "clock" | "db" | "random">,
    post: (msg: TimerMsg) => void,
  ) {
    this.#parts = parts;
    this.#env = env;
    this.#post = post;
  }

  /** The first housekeeping runs at once: orders may have expired while the tenant was down. */
  startTicking(): void {
    this.#post({ type: "Tick" });
  }

  /** Schedules the first reconciliation; only once the tenant is registered with the balances. */
  startReconciling(): void {
    const firstMs = this.#env.random() * Math.min(firstReconcileWithinMs, this.#intervalMs());
    this.#reconcile = this.#env.clock.setTimeout(() => this.#post({ type: "Reconcile" }), firstMs);
  }

  /** Runs housekeeping, then schedules the next. */
  async tick(): Promise<void> {
    const { clock, db } = this.#env;
    await this.#parts.payments.expireDue();
    await this.#parts.inbox.prune(db);
    this.#tick = clock.setTimeout(() => this.#post({ type: "Tick" }), tickMs);
  }

  /** Starts a reconciliation and schedules the next, without waiting for it. */
  reconcile(): void {
    const { logger, reconciler } = this.#parts;
    // Runs beside the updates, never blocking them; the reconciler serializes its runs.
    reconciler?.run().then(
      (report) => logger.info("Reconciled: {report}", { report: JSON.stringify(report) }),
      (error) => logger.warn("Reconciliation failed: {error}", { error: describeError(error) }),
    );
    this.#reconcile = this.#env.clock.setTimeout(
      () => this.#post({ type: "Reconcile" }),
      this.#intervalMs(),
    );
  }

  /** Cancels both timers, so nothing is posted to a stopping actor. */
  stop(): void {
    const { clock } = this.#env;
    if (this.#tick !== undefined) clock.clearTimeout(this.#tick);
    if (this.#reconcile !== undefined) clock.clearTimeout(this.#reconcile);
  }

  #intervalMs(): number {
    return this.#parts.config.balance.reconcileIntervalSeconds * 1000;
  }
}
