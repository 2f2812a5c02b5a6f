/**
 * Runs a tenant's updates once they are durable: each on its user's lane, so one user's updates
 * keep their order while users never wait for each other, and each outcome recorded in the
 * inbox. A batch is recorded before any of it runs, so that whatever a crash interrupts is
 * found pending at the next start and run again — except its pre-checkout queries, which run
 * while the batch is being committed (they move no money and need no order) and are marked done
 * only after that commit.
 *
 * Every update is checked against the Update shape first (`update_shape.ts`): a malformed one
 * is recorded as rejected and never runs — or, when it carries a payment, set aside as a dead
 * letter so that nothing about the money is dropped quietly. Either way its batch is confirmed,
 * so Telegram does not send it again. A payment update whose handling fails crashes the tenant,
 * whose restart applies it again; after {@linkcode MAX_UPDATE_ATTEMPTS} failures it is set
 * aside as a dead letter, the admins are told, and the tenant goes on with the next updates.
 *
 * An update takes a permit of the process's budget (`update_budget.ts`) before it enters its
 * lane and gives it back once it has ended, however it ended. Queuing a batch waits for them, so
 * a tenant short of permits holds back its poller (or the webhook request). A stop aborts that
 * wait: what was not queued stays pending in the inbox for the next start.
 *
 * @module
 */
import { BotError } from "grammy";
import type { Update } from "grammy/types";
import { Lanes } from "../kernel/lanes.ts";
import type { Permit } from "../kernel/fair_budget.ts";
import { type UpdateBudget, updateBudget } from "./update_budget.ts";
import type { TenantParts } from "./tenant_build.ts";
import type { TenantEnvironment } from "./tenant_environment.ts";
import { type RejectedUpdate, updateUserId } from "../../money/delivery/inbox.ts";
import { checkUpdate, movesMoney, type UpdateCheck } from "../../money/delivery/update_shape.ts";
import { UpdateDeadLetters } from "../../money/delivery/update_dead_letters.ts";
import type { SqlRunner } from "../../money/ports.ts";
import { describeError } from "../../adapters/telegram/describe_error.ts";
import { secrets } from "../../adapters/observability/redact.ts";

/**
 * How many times a payment update may fail before it is set aside. Each failure restarts the
 * tenant (0.5 s, then 1 s of backoff), so a storage blip of a second or two is still ridden out
 * by the retries, while a payment that can never be applied stops holding its user's lane
 * within seconds.
 */
export const MAX_UPDATE_ATTEMPTS = 3;

/** Called when something the tenant cannot shrug off failed: `part` names it for the log. */
export type PartFailed = (part: string, error: unknown) => void;

/** What the dispatcher tells its tenant actor. */
export interface DispatcherHooks {
  /** A payment update failed (or storage did): the tenant must crash so a restart retries. */
  failed: PartFailed;
  /** Notices were queued in the outbox outside the payment services: send them now. */
  queuedNotice(): void;
}

/** An update that failed the check, with what is wrong. */
interface Quarantined {
  value: unknown;
  check: Extract<UpdateCheck, { ok: false }>;
}

/** Lanes, pre-checkout queries in flight, and how each update ends; see the module doc. */
export class UpdateDispatcher {
  readonly #parts: Pick<TenantParts, "bot" | "inbox" | "outbox" | "texts" | "logger" | "config">;
  readonly #env: Pick<TenantEnvironment, "clock" | "db" | "metrics" | "updateBudget">;
  readonly #budget: UpdateBudget;
  readonly #hooks: DispatcherHooks;
  readonly #deadLetters: UpdateDeadLetters;
  readonly #lanes: Lanes;
  /** Pre-checkout queries running beside the lanes, awaited by a stop. */
  readonly #inFlight = new Set<Promise<void>>();
  /** Updates queued or running, by id: a sweep of the inbox must not queue them again. */
  readonly #active = new Set<number>();
  readonly #metricLabels: { tenant: string };

  constructor(
    parts: Pick<TenantParts, "bot" | "inbox" | "outbox" | "texts" | "logger" | "config">,
    env: Pick<TenantEnvironment, "clock" | "db" | "metrics" | "updateBudget">,
    hooks: DispatcherHooks,
  ) {
    this.#parts = parts;
    this.#env = env;
    this.#budget = env.updateBudget ?? updateBudget();
    this.#hooks = hooks;
    const { config } = parts;
    this.#deadLetters = new UpdateDeadLetters({
      tenantId: config.id,
      clock: env.clock,
      inbox: parts.inbox,
      outbox: parts.outbox,
      texts: parts.texts,
      locale: config.locale,
      admins: config.admins,
      redact: (text) => secrets.redact(text),
    });
    this.#lanes = new Lanes({ onError: (error) => hooks.failed("update lane", error) });
    this.#metricLabels = { tenant: config.id };
  }

  /**
   * Checks a batch, records it in the inbox (the malformed updates as rejected or dead) and
   * queues the updates it had not seen; resolves once they are queued, which is when Telegram
   * may be told they arrived. When `stop` aborts while it waits for permits, the rest of the
   * batch stays pending in the inbox, where the next start finds it.
   */
  async recordAndDispatch(batch: readonly unknown[], stop?: AbortSignal): Promise<void> {
    const wellFormed: Update[] = [];
    const malformed: Quarantined[] = [];
    for (const value of batch) {
      const check = checkUpdate(value);
      if (check.ok) wellFormed.push(check.update);
      else malformed.push({ value, check });
    }
    const { inbox } = this.#parts;
    const recording = this.#env.db.transaction(async (tx) => ({
      fresh: await inbox.record(tx, wellFormed),
      setAside: await this.#quarantine(tx, malformed),
    }));
    // Pre-checkout queries go at once, while their batch is being committed: Telegram gives them
    // 10 s, they move no money (the order's approval is its own transaction) and need no order,
    // so they need not wait for the inbox's fsync nor behind the batch's other updates waiting
    // for permits (they take none). Each is still recorded with its batch, and marked done only
    // once that commit is durable. The price: one delivered twice (a crash before its batch was
    // confirmed) is answered twice, and the second answer is refused by Telegram as too old.
    for (const update of wellFormed) {
      if (update.pre_checkout_query && !this.#active.has(update.update_id)) {
        this.#dispatchPreCheckout(update, recording);
      }
    }
    const { fresh, setAside } = await recording;
    this.#reportQuarantined(malformed, setAside);
    for (const update of fresh) {
      if (!update.pre_checkout_query && !(await this.#dispatch(update, stop))) return;
    }
  }

  /**
   * Queues the inbox's pending updates that are not queued or running already: at start, those
   * recorded before a crash or a stop but never finished; later, those another instance recorded
   * for this tenant (a webhook it received while this instance owns the tenant).
   */
  async sweep(stop?: AbortSignal): Promise<void> {
    for (const update of await this.#parts.inbox.pending(this.#env.db)) {
      if (!this.#active.has(update.update_id) && !(await this.#admit(update, stop))) return;
    }
  }

  /**
   * An operator's retry of a dead letter: it goes back to the inbox as pending, its failures
   * forgotten, and is queued. False when this tenant has no such dead letter.
   */
  async retryDeadLetter(updateId: number, stop?: AbortSignal): Promise<boolean> {
    const update = await this.#env.db.transaction((tx) => this.#deadLetters.take(tx, updateId));
    if (update === undefined) return false;
    this.#parts.logger.warn("Dead letter {updateId} is retried at an operator's request.", {
      updateId,
    });
    await this.#admit(update, stop);
    return true;
  }

  /** Waits for every queued and running update to end, which gives back all their permits. */
  async drain(): Promise<void> {
    await this.#lanes.drain();
    await Promise.all(this.#inFlight);
  }

  /**
   * Queues an update already in the inbox (recorded before this release checked shapes, or
   * retried by an operator) once it passes the check; quarantines it otherwise. False when
   * `stop` aborted the wait for a permit.
   */
  async #admit(update: { update_id: number }, stop?: AbortSignal): Promise<boolean> {
    const check = checkUpdate(update);
    if (check.ok) return await this.#dispatch(check.update, stop);
    const malformed = [{ value: update, check }];
    const setAside = await this.#env.db.transaction(async (tx) => {
      const buried = await this.#quarantine(tx, malformed);
      // Out of the pending ones either way: a burial marks the update done, a rejection here.
      await this.#parts.inbox.markDoneIn(tx, update.update_id);
      return buried;
    });
    this.#reportQuarantined(malformed, setAside);
    return true;
  }

  /**
   * Records malformed updates in the caller's transaction: one carrying a payment is set aside
   * as a dead letter (its admins told), any other is rejected. Returns how many were newly set
   * aside.
   */
  async #quarantine(tx: SqlRunner, malformed: readonly Quarantined[]): Promise<number> {
    const rejected: RejectedUpdate[] = [];
    let setAside = 0;
    for (const { value, check } of malformed) {
      if (check.movesMoney && check.updateId !== undefined) {
        const update = { ...(value as object), update_id: check.updateId };
        const outcome = { attempts: 0, error: `malformed: ${check.reason}` };
        if (await this.#deadLetters.bury(tx, update, outcome)) setAside++;
      } else {
        rejected.push({ updateId: check.updateId, reason: check.reason, payload: value });
      }
    }
    await this.#parts.inbox.reject(tx, rejected);
    return setAside;
  }

  /** Logs and counts what the quarantine did, once it is durable. */
  #reportQuarantined(malformed: readonly Quarantined[], setAside: number): void {
    const { logger } = this.#parts;
    const { metrics } = this.#env;
    let rejected = 0;
    for (const { check } of malformed) {
      // The reason names a field, never the content: updates hold users' messages.
      const fields = { updateId: check.updateId ?? "without an id", reason: check.reason };
      if (check.movesMoney && check.updateId !== undefined) {
        logger.error(
          "Update {updateId} carries a payment but is malformed ({reason}); set aside as a dead letter.",
          fields,
        );
      } else {
        rejected++;
        if (check.movesMoney) {
          logger.error(
            "Update {updateId} carries a payment but has no usable id ({reason}); rejected. Reconciliation credits the payment from Telegram's transactions.",
            fields,
          );
        } else logger.warn("Update {updateId} rejected: {reason}.", fields);
      }
    }
    if (rejected > 0) metrics?.updatesRejected.inc(this.#metricLabels, rejected);
    if (setAside > 0) {
      metrics?.updatesDeadLettered.inc(this.#metricLabels, setAside);
      this.#hooks.queuedNotice();
    }
  }

  /**
   * Pre-checkout queries skip the lanes: Telegram gives them 10 s, and they must never wait
   * behind a slow handler, nor for a permit. Every other update waits for a permit, which its
   * lane task gives back however it ends. False, and nothing queued, when `stop` aborted that
   * wait.
   */
  async #dispatch(update: Update, stop?: AbortSignal): Promise<boolean> {
    if (update.pre_checkout_query) {
      this.#dispatchPreCheckout(update, Promise.resolve());
      return true;
    }
    this.#active.add(update.update_id);
    let permit: Permit;
    try {
      permit = await this.#budget.acquire(this, stop);
    } catch (error) {
      this.#active.delete(update.update_id);
      if (stop?.aborted) return false;
      throw error;
    }
    try {
      await this.#lanes.add(updateUserId(update) ?? "anonymous", async () => {
        try {
          await this.#run(update, undefined, () => permit.release());
        } finally {
          permit.release();
        }
      });
    } catch (error) {
      permit.release(); // never queued
      throw error;
    }
    return true;
  }

  /**
   * Runs a pre-checkout query beside the lanes; its inbox row is marked done once `recorded`
   * (the commit of its batch) has settled.
   */
  #dispatchPreCheckout(update: Update, recorded: Promise<unknown>): void {
    this.#active.add(update.update_id);
    // Its outcome failing to be recorded (storage) fails the tenant, as in a lane.
    const running: Promise<void> = this.#run(update, recorded)
      .catch((error) => this.#hooks.failed("pre-checkout update", error))
      .finally(() => this.#inFlight.delete(running));
    this.#inFlight.add(running);
  }

  /**
   * Runs one update and records the outcome once `recorded` (the commit that wrote its inbox
   * row) has settled — a failed commit is the batch's to report. Throws only when that outcome
   * cannot be recorded (storage), which fails the tenant. `handled` is called once the handler
   * has ended, before its outcome is written: the permit it held bounds handlers, and an update
   * waiting for its mark's commit holds little more than its id. Holding the permit through that
   * wait (a shared batch's commit, `inbox.ts`) kept PostgreSQL at 10 tenants at 0.77–0.85× SQLite's
   * rate; released here, 0.87–0.95× (BENCHMARKS.md, issue 15).
   */
  async #run(update: Update, recorded?: Promise<unknown>, handled?: () => void): Promise<void> {
    const { clock, metrics } = this.#env;
    const labels = this.#metricLabels;
    const started = clock.now();
    try {
      await this.#parts.bot.handleUpdate(update);
      metrics?.updatesHandled.inc(labels);
      if (update.pre_checkout_query) {
        metrics?.preCheckoutLatency.observe(labels, (clock.now() - started) / 1000);
      }
    } catch (error) {
      metrics?.handlerErrors.inc(labels);
      const cause = error instanceof BotError ? error.error : error;
      this.#parts.logger.error("Update {updateId} failed: {error}", {
        updateId: update.update_id,
        error: describeError(cause),
      });
      // A failed payment stays active: it is pending until the tenant's restart applies it.
      if (movesMoney(update)) return await this.#paymentFailed(update, cause);
      await this.#tellUserItFailed(update);
    }
    handled?.();
    if (recorded) await recorded.then(() => {}, () => {});
    await this.#parts.inbox.markDone(this.#env.db, update.update_id);
    this.#active.delete(update.update_id);
  }

  /**
   * A payment update whose handling failed stays pending — money is never dropped on an error —
   * and crashes the tenant, whose restart applies it again. Once it has failed
   * {@linkcode MAX_UPDATE_ATTEMPTS} times it is set aside instead, so the tenant goes on.
   */
  async #paymentFailed(update: Update, cause: unknown): Promise<void> {
    const { inbox } = this.#parts;
    const { db } = this.#env;
    const part = `payment update ${update.update_id}`;
    const error = describeError(cause);
    let attempts: number;
    try {
      attempts = await inbox.recordFailure(db, update.update_id, secrets.redact(error));
    } catch {
      // Storage failing is exactly what a restart retries: the update stays pending, uncounted.
      return this.#hooks.failed(part, cause);
    }
    if (attempts < MAX_UPDATE_ATTEMPTS) return this.#hooks.failed(part, cause);
    let buried: boolean;
    try {
      const outcome = { attempts, error: `failed ${attempts} times: ${error}` };
      buried = await db.transaction((tx) => this.#deadLetters.bury(tx, update, outcome));
    } catch (storageError) {
      return this.#hooks.failed(part, storageError);
    }
    if (!buried) {
      // Set aside already, yet pending again: it only has to leave the pending ones.
      return await inbox.markDone(db, update.update_id);
    }
    this.#parts.logger.error(
      "Payment update {updateId} failed {attempts} times; set aside as a dead letter, admins told. Reconciliation credits it from Telegram's transactions.",
      { updateId: update.update_id, attempts },
    );
    this.#env.metrics?.updatesDeadLettered.inc(this.#metricLabels);
    this.#hooks.queuedNotice();
  }

  /** A message whose handler (often a plugin's) failed gets a reply rather than silence. */
  async #tellUserItFailed(update: Update): Promise<void> {
    const message = update.message;
    if (!message || message.chat.type !== "private") return;
    const { bot, texts, logger } = this.#parts;
    try {
      await bot.api.sendMessage(
        message.chat.id,
        texts.forUser(message.from?.language_code).t("plugin.error"),
      );
    } catch (error) {
      logger.warn("Could not tell user {chatId} about the failure: {error}", {
        chatId: message.chat.id,
        error: describeError(error),
      });
    }
  }
}
