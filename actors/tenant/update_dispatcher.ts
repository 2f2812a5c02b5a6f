/**
 * Runs a tenant's updates once they are durable: each on its user's lane, so one user's updates
 * keep their order while users never wait for each other, and each outcome recorded in the
 * inbox. A batch is recorded before any of it runs, so that whatever a crash interrupts is
 * found pending at the next start and run again.
 *
 * @example
 * ```ts ignore
 * const updates = new UpdateDispatcher(parts, env, (part, error) => crash(part, error));
 * await updates.replayPending();
 * await updates.recordAndDispatch(batch);
 * await updates.drain();
 * ```
 * @module
 */
import { BotError } from "grammy";
import type { Update } from "grammy/types";
import { Lanes } from "../kernel/lanes.ts";
import type { TenantParts } from "./tenant_build.ts";
import type { TenantEnvironment } from "./tenant_environment.ts";
import { updateUserId } from "../../money/delivery/inbox.ts";
import { describeError } from "../../adapters/telegram/describe_error.ts";

/** True for updates that change what a user paid for; their failures must not be marked done. */
function movesMoney(update: Update): boolean {
  return update.message?.successful_payment !== undefined ||
    update.message?.refunded_payment !== undefined || update.subscription !== undefined;
}

/** Called when something the tenant cannot shrug off failed: `part` names it for the log. */
export type PartFailed = (part: string, error: unknown) => void;

/** Lanes, pre-checkout queries in flight, and how each update ends; see the module doc. */
export class UpdateDispatcher {
  readonly #parts: Pick<TenantParts, "bot" | "inbox" | "texts" | "logger" | "config">;
  readonly #env: Pick<TenantEnvironment, "clock" | "db" | "metrics">;
  readonly #failed: PartFailed;
  readonly #lanes: Lanes;
  /** Pre-checkout queries running beside the lanes, awaited by a stop. */
  readonly #inFlight = new Set<Promise<void>>();
  readonly #metricLabels: { tenant: string };

  constructor(
    parts: Pick<TenantParts, "bot" | "inbox" | "texts" | "logger" | "config">,
    env: Pick<TenantEnvironment, "clock" | "db" | "metrics">,
    failed: PartFailed,
  ) {
    this.#parts = parts;
    this.#env = env;
    this.#failed = failed;
    this.#lanes = new Lanes({ onError: (error) => failed("update lane", error) });
    this.#metricLabels = { tenant: parts.config.id };
  }

  /**
   * Records a batch in the inbox and queues the updates it had not seen; resolves once they are
   * queued, which is when Telegram may be told they arrived.
   */
  async recordAndDispatch(updates: readonly Update[]): Promise<void> {
    const { db } = this.#env;
    const fresh = await db.transaction((tx) => this.#parts.inbox.record(tx, updates));
    for (const update of fresh) await this.#dispatch(update);
  }

  /** Queues the updates recorded before a crash or a stop but never finished. */
  async replayPending(): Promise<void> {
    for (const update of await this.#parts.inbox.pending(this.#env.db)) {
      await this.#dispatch(update);
    }
  }

  /** Waits for every queued and running update to end. */
  async drain(): Promise<void> {
    await this.#lanes.drain();
    await Promise.all(this.#inFlight);
  }

  /**
   * Pre-checkout queries skip the lanes: Telegram gives them 10 s, and they must never wait
   * behind a slow handler.
   */
  async #dispatch(update: Update): Promise<void> {
    if (update.pre_checkout_query) {
      const running: Promise<void> = this.#run(update).finally(() =>
        this.#inFlight.delete(running)
      );
      this.#inFlight.add(running);
    } else {
      await this.#lanes.add(updateUserId(update) ?? "anonymous", () => this.#run(update));
    }
  }

  /** Runs one update and records the outcome; never throws. */
  async #run(update: Update): Promise<void> {
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
      if (movesMoney(update)) {
        // Left pending, so money is never dropped on an error: the restart this causes applies
        // it again.
        this.#failed(`payment update ${update.update_id}`, cause);
        return;
      }
      await this.#tellUserItFailed(update);
    }
    await this.#parts.inbox.markDone(this.#env.db, update.update_id);
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
