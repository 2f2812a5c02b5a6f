/**
 * The outbox sender: one actor per tenant that makes the Bot API calls queued in the
 * {@linkcode Outbox}, oldest first and one at a time, and retries them until Telegram accepts
 * them.
 *
 * It looks for due items when told (`Kick`, after the tenant commits outbox rows), when its own
 * timer fires at the next retry time (`Wake`), and as soon as it starts, so rows left behind by a
 * crash or a restart go out without waiting for new ones.
 *
 * How a failed call is treated depends on what failed:
 * - `429 Too Many Requests`: retried after Telegram's `retry_after`, and the whole sender holds
 *   off until then, because the flood limit is on the bot, not on the one item.
 * - `5xx`: retried with backoff; the sender moves on to the next item, so one item Telegram
 *   chokes on cannot hold the others back.
 * - a network failure (grammY `HttpError`) or `401 Unauthorized` (the token was revoked):
 *   retried with backoff, and the sender holds off until then, because every other call would
 *   fail the same way and the items themselves are fine.
 * - any other `4xx` (chat not found, bot blocked by the user): given up (`failed`) with a
 *   warning, since sending the same request again cannot succeed.
 * - `400 CHARGE_ALREADY_REFUNDED` for `refundStarPayment`: counted as sent; the refund exists.
 * - anything else (a bug in the `call` function): retried with backoff and logged as an error,
 *   so nothing is lost while someone fixes it.
 * Retries never give up: Telegram outages end, and a receipt or refund must arrive after one.
 *
 * Delivery is at least once. Telegram has no idempotency key for `sendMessage`, so if the
 * process dies after Telegram accepted a call but before the item is marked sent, the call is
 * made again at the next start. That gap of one database write is the only one: items are marked
 * before the next call, and a call cut short by a stop stays pending.
 *
 * @example
 * ```ts
 * import { startOutboxSender } from "./outbox_sender.ts";
 * import { Outbox } from "../../money/delivery/outbox.ts";
 * import { systemClock } from "../kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const outbox = new Outbox("shop", systemClock);
 * const sender = startOutboxSender({
 *   tenantId: "shop",
 *   db,
 *   outbox,
 *   clock: systemClock,
 *   // In the runtime: (method, params, signal) => bot.api.raw[method](params, signal)
 *   call: async (method, params) => console.log(method, params),
 * });
 * await db.transaction((tx) =>
 *   outbox.enqueue(tx, "notice:1", { method: "sendMessage", params: { chat_id: 42, text: "Hi" } })
 * );
 * sender.ref.tell({ type: "Kick" });
 * await sender.ref.ask<void>((reply) => ({ type: "Drain", reply }), { timeoutMs: 5_000 });
 * await sender.stop();
 * await db.close();
 * ```
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { Actor, type ActorContext, type Reply } from "../kernel/actor.ts";
import { backoffDelay, type BackoffPolicy, resolveBackoffPolicy } from "../kernel/backoff.ts";
import type { Clock, TimerId } from "../kernel/clock.ts";
import type { Outbox, OutboxItem } from "../../money/delivery/outbox.ts";
import { isChargeAlreadyRefunded } from "../../money/payments/bot_api.ts";
import type { Database } from "../../money/ports.ts";
import { readBotApiFailure } from "../../adapters/telegram/bot_api_failure.ts";
import { redactTokens } from "../../adapters/observability/redact.ts";
import { errorMessage } from "../kernel/error_text.ts";
import { tenantLogger } from "../../adapters/observability/logging.ts";

/**
 * The sender's protocol. Every message makes the sender send what is due; they differ in who
 * sends them and whether an answer is wanted.
 *
 * @example
 * ```ts ignore
 * await db.transaction((tx) => outbox.enqueue(tx, `receipt:${chargeId}`, call));
 * sender.ref.tell({ type: "Kick" }); // only after the commit: a pass before it sees no row
 * ```
 */
export type OutboxSenderMsg =
  /** From the tenant, after it committed outbox rows. */
  | { type: "Kick" }
  /** From the sender itself: it just started, or its timer says a retry is due. */
  | { type: "Wake" }
  /**
   * Send what is due now and answer when done. Items not due yet, or held back while Telegram
   * asked the bot to slow down, stay pending; a stop first rejects the ask.
   */
  | { type: "Drain"; reply: Reply<void> };

/** What {@linkcode startOutboxSender} needs. */
export interface OutboxSenderOptions {
  tenantId: string;
  db: Database;
  /** The tenant's outbox (built with the same tenant id). */
  outbox: Outbox;
  clock: Clock;
  /** Default: the tenant's logger, sub-category `outbox`. */
  logger?: Logger;
  /**
   * Makes one Bot API call; the tenant passes `bot.api.raw[method](params, signal)`. It must
   * throw grammY's `GrammyError` / `HttpError` so failures can be told apart, and give up
   * when `signal` aborts.
   */
  call(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<unknown>;
  /**
   * Runs after Telegram accepted an item's call and before the item is marked sent (the item is
   * passed as it was read, `sentAt` still `null`), e.g. to record that a refund is done. If the
   * process dies in between, the call is made again and this runs again, so it must be
   * idempotent. If it throws, the error is logged and the item is still marked sent: the call
   * succeeded and must not be repeated.
   */
  onSent?(item: OutboxItem, result: unknown): Promise<void>;
  /**
   * Waits until a send to `chatId` (`null`: no chat) fits the bot's flood limits; the tenant
   * passes its `SendPacer`. Default: no pacing.
   */
  pace?(chatId: number | null, signal: AbortSignal): Promise<void>;
  /** Retry delays for 5xx and network failures; default {@linkcode OUTBOX_BACKOFF_POLICY}. */
  backoff?: BackoffPolicy;
  /** Source of jitter, returning [0, 1]; default `Math.random`. */
  random?: () => number;
}

/**
 * Retry delays for outbox items: 1 s, doubling, up to 5 minutes, with 20 % jitter.
 *
 * One second rides out a dropped connection or a single 502 before the user notices a missing
 * receipt. Doubling reaches the ceiling after nine failures (about eight and a half minutes into
 * an outage). Five minutes bounds how late a receipt arrives after Telegram comes back, while a
 * long outage costs only twelve calls an hour per stuck item. The jitter spreads the retries of
 * the many tenants in one process, which an outage hits together. `resetAfterMs` does not apply:
 * the delay follows the item's own attempt count, which only grows.
 *
 * @example
 * ```ts
 * import { OUTBOX_BACKOFF_POLICY } from "./outbox_sender.ts";
 * OUTBOX_BACKOFF_POLICY.maxMs; // 300000
 * ```
 */
export const OUTBOX_BACKOFF_POLICY: BackoffPolicy = Object.freeze(
  resolveBackoffPolicy({ minMs: 1_000, maxMs: 300_000, factor: 2, jitter: 0.2 }),
);

/** Items read per query; a pass keeps reading until nothing is due. */
const BATCH_SIZE = 20;

/** What to do about one failed call. */
type Verdict =
  /** The goal of the call was reached anyway. */
  | { kind: "done" }
  /** Try again; `pauseAll` holds back every item until then, `delayMs` overrides the backoff. */
  | { kind: "retry"; pauseAll: boolean; delayMs?: number; unexpected?: boolean }
  /** Give up: the same request cannot succeed. */
  | { kind: "failed" };

/** grammY's message names the method as well as Telegram's answer: what an outbox row wants. */
function describe(error: unknown): string {
  return redactTokens(errorMessage(error));
}

function classify(item: OutboxItem, error: unknown): Verdict {
  const failure = readBotApiFailure(error);
  if (failure.kind === "refused") {
    const code = failure.code;
    if (
      code === 400 && item.method === "refundStarPayment" && isChargeAlreadyRefunded(failure)
    ) {
      return { kind: "done" };
    }
    if (code === 429) {
      const seconds = failure.retryAfterSeconds;
      return seconds !== undefined
        ? { kind: "retry", pauseAll: true, delayMs: seconds * 1_000 }
        : { kind: "retry", pauseAll: true };
    }
    // A revoked token is the bot's problem, not the item's: it will go once the token is fixed.
    if (code === 401) return { kind: "retry", pauseAll: true };
    if (code >= 500) return { kind: "retry", pauseAll: false };
    if (code >= 400) return { kind: "failed" };
  }
  if (failure.kind === "unreachable") return { kind: "retry", pauseAll: true };
  return { kind: "retry", pauseAll: false, unexpected: true };
}

/**
 * Starts the outbox sender of one tenant. It sends whatever is due right away (rows left from
 * before a restart), then whenever it gets a message or a retry falls due. Stopping it aborts
 * the call in flight; that item stays pending and goes at the next start.
 *
 * @throws {TypeError} when `tenantId` is empty or `call` is not a function.
 * @throws {RangeError} when `backoff` is not a valid policy.
 * @example
 * ```ts ignore
 * const sender = startOutboxSender({
 *   tenantId: config.id,
 *   db,
 *   outbox,
 *   clock,
 *   call: (method, params, signal) => bot.api.raw[method](params, signal),
 * });
 * ```
 */
export function startOutboxSender(options: OutboxSenderOptions): Actor<OutboxSenderMsg> {
  const { tenantId, db, outbox, clock } = options;
  if (typeof tenantId !== "string" || tenantId.trim() === "") {
    throw new TypeError(`outbox sender: tenantId must be a non-empty string`);
  }
  if (typeof options.call !== "function") {
    throw new TypeError(`outbox sender of tenant "${tenantId}": call must be a function`);
  }
  const backoff = resolveBackoffPolicy(options.backoff ?? OUTBOX_BACKOFF_POLICY);
  const random = options.random ?? Math.random;
  const logger = options.logger ?? tenantLogger(tenantId).getChild("outbox");

  const behavior = () => {
    let timer: TimerId | undefined;
    // Until when every call is held back (flood wait, network down, token revoked). Kept in
    // memory only: after a restart, one call finds out whether the condition still holds.
    let pausedUntil = 0;

    const clearTimer = () => {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    };

    /** Arms the timer for the next moment there may be something to send. */
    const schedule = async (ctx: ActorContext<OutboxSenderMsg>) => {
      const next = await outbox.nextDueAt(db);
      if (next === undefined) return;
      const at = Math.max(next, pausedUntil);
      timer = clock.setTimeout(() => ctx.self.tell({ type: "Wake" }), at - clock.now());
    };

    const succeed = async (item: OutboxItem, result: unknown) => {
      try {
        await options.onSent?.(item, result);
      } catch (error) {
        logger.error(
          "Outbox item {id} ({method}) was sent, but its follow-up failed: {error}",
          { id: item.id, method: item.method, error: describe(error) },
        );
      }
      await outbox.markSent(db, item.id);
    };

    /** Sends one item; returns whether the pass may go on to the next one. */
    const attempt = async (item: OutboxItem, signal: AbortSignal): Promise<boolean> => {
      let result: unknown;
      try {
        await options.pace?.(item.chatId, signal);
        result = await options.call(item.method, item.params, signal);
      } catch (error) {
        // Stopping cut the call short: leave the item as it was, it goes at the next start.
        if (signal.aborted) return false;
        return await fail(item, error);
      }
      await succeed(item, result);
      return true;
    };

    const fail = async (item: OutboxItem, error: unknown): Promise<boolean> => {
      const verdict = classify(item, error);
      const text = describe(error);
      const fields = { id: item.id, method: item.method, attempts: item.attempts + 1, error: text };
      switch (verdict.kind) {
        case "done":
          // refundStarPayment answers True on success; the refund exists, so it is that success.
          await succeed(item, true);
          return true;
        case "failed":
          await outbox.markFailed(db, item.id, text);
          logger.warn("Outbox item {id} ({method}) gave up: {error}", fields);
          return true;
        case "retry": {
          const delay = verdict.delayMs ?? backoffDelay(backoff, item.attempts, random);
          // Whole milliseconds, and at least one, so a pass never retries an item in a loop.
          const at = clock.now() + Math.max(1, Math.ceil(delay));
          await outbox.markRetry(db, item.id, text, at);
          if (verdict.pauseAll) pausedUntil = at;
          const line = "Outbox item {id} ({method}) failed (attempt {attempts}), retrying in " +
            "{delayMs} ms: {error}";
          const details = { ...fields, delayMs: at - clock.now() };
          if (verdict.unexpected) logger.error(line, details);
          else logger.info(line, details);
          return !verdict.pauseAll;
        }
      }
    };

    /** Sends every due item, oldest first, then arms the timer. */
    const pass = async (ctx: ActorContext<OutboxSenderMsg>) => {
      clearTimer();
      if (pausedUntil <= clock.now()) {
        drain: for (;;) {
          const batch = await outbox.due(db, BATCH_SIZE);
          if (batch.length === 0) break;
          for (const item of batch) {
            if (ctx.signal.aborted) return;
            if (!(await attempt(item, ctx.signal))) break drain;
          }
        }
      }
      if (!ctx.signal.aborted) await schedule(ctx);
    };

    return {
      preStart(ctx: ActorContext<OutboxSenderMsg>) {
        ctx.self.tell({ type: "Wake" });
      },
      async receive(msg: OutboxSenderMsg, ctx: ActorContext<OutboxSenderMsg>) {
        await pass(ctx);
        if (msg.type === "Drain") msg.reply();
      },
      postStop() {
        clearTimer();
      },
    };
  };

  return Actor.spawn(`outbox-sender:${tenantId}`, behavior, { clock });
}
