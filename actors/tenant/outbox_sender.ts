/**
 * The outbox sender: one actor per tenant that makes the Bot API calls queued in the
 * {@linkcode Outbox}, oldest first, and retries them until Telegram accepts them.
 *
 * Calls do not block one another: a few are in flight at once (`maxInFlight`), each with a
 * deadline (`callDeadlineMs`) after which it is abandoned and retried, so one hung receipt holds
 * up only itself. Each chat's items still go in the order they were queued, one at a time: only
 * the first due item of a chat is started, and only when nothing else for that chat is in
 * flight. A chat that must wait for its flood limits or a flood hold (the `pacer`) is passed
 * over, so other chats go meanwhile.
 *
 * It looks for due items when told (`Kick`, after the tenant commits outbox rows), when its own
 * timer fires at the next retry time (`Wake`), and as soon as it starts, so rows left behind by a
 * crash or a restart go out without waiting for new ones.
 *
 * How a failed call is treated depends on what failed:
 * - `429 Too Many Requests`: retried after Telegram's `retry_after`. The bot's flood control
 *   (`flood_holds.ts`) saw the same 429 and holds back that chat, or the whole bot's proactive
 *   sends when several chats are hit; the pacer keeps the sender to it.
 * - `5xx`: retried with backoff; the sender moves on to the next item, so one item Telegram
 *   chokes on cannot hold the others back.
 * - a network failure (grammY `HttpError`) or `401 Unauthorized` (the token was revoked):
 *   retried with backoff, and the sender holds off until then, because every other call would
 *   fail the same way and the items themselves are fine.
 * - no answer within the deadline (the sender's or the client's): retried with backoff; the
 *   others go on, since a call that hangs says nothing about the next one.
 * - any other `4xx` (chat not found, bot blocked by the user): given up (`failed`) with a
 *   warning, since sending the same request again cannot succeed.
 * - `400 CHARGE_ALREADY_REFUNDED` for `refundStarPayment`: counted as sent; the refund exists.
 * - anything else (a bug in the `call` function): retried with backoff and logged as an error,
 *   so nothing is lost while someone fixes it.
 * Retries never give up: Telegram outages end, and a receipt or refund must arrive after one.
 *
 * Delivery is at least once. Telegram has no idempotency key for `sendMessage`, so if the
 * process dies after Telegram accepted a call but before the item is marked sent, the call is
 * made again at the next start; a call abandoned at its deadline may have arrived too, and is
 * made again. Otherwise items are marked as soon as their call is settled, and a call cut short
 * by a stop stays pending.
 *
 * @example A 502 is retried after its backoff, on the sender's clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { GrammyError } from "grammy";
 * import { startOutboxSender } from "./outbox_sender.ts";
 * import { ManualClock } from "../kernel/clock.ts";
 * import { Outbox } from "../../money/delivery/outbox.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { redactTokens } from "../../adapters/observability/redact.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const clock = new ManualClock(0);
 * const outbox = new Outbox("shop", clock, redactTokens);
 * const delivered: unknown[] = [];
 * let outage = true;
 * const sender = startOutboxSender({
 *   tenantId: "shop",
 *   db,
 *   outbox,
 *   clock,
 *   // The tenant passes (method, params, signal) => bot.api.raw[method](params, signal).
 *   call: (method, params) => {
 *     if (outage) {
 *       outage = false;
 *       const answer = { ok: false as const, error_code: 502, description: "Bad Gateway" };
 *       const error = new GrammyError(`Call to '${method}' failed!`, answer, method, params);
 *       return Promise.reject(error);
 *     }
 *     delivered.push(params);
 *     return Promise.resolve(true);
 *   },
 *   random: () => 0.5, // no jitter: the first retry comes after exactly 1 s
 * });
 * const drained = () =>
 *   sender.ref.ask<void>((reply) => ({ type: "Drain", reply }), { timeoutMs: 100 });
 *
 * const notice = { method: "sendMessage", params: { chat_id: 42, text: "Hi" } };
 * await db.transaction((tx) => outbox.enqueue(tx, "notice:1", notice));
 * sender.ref.tell({ type: "Kick" }); // after the commit, as the tenant does
 * await drained();
 * assert.deepEqual(delivered, []);
 * const item = await outbox.get(db, "notice:1");
 * assert.equal(item?.lastError, "Call to 'sendMessage' failed! (502: Bad Gateway)");
 *
 * await clock.advance(1_000);
 * await drained();
 * assert.deepEqual(delivered, [{ chat_id: 42, text: "Hi" }]);
 * assert.equal(await outbox.backlog(db), 0);
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
import { formatDuration } from "../../adapters/observability/durations.ts";

/**
 * The sender's protocol. Every message makes the sender send what is due; they differ in who
 * sends them and whether an answer is wanted.
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
  | { type: "Drain"; reply: Reply<void> }
  /**
   * From the sender itself: the call of item `id` is settled and recorded, so another may
   * start. With `error`, recording the outcome failed (storage), and the sender crashes so its
   * tenant restarts.
   */
  | { type: "Settled"; id: string; error?: unknown };

/** What the sender asks of the bot's flood control; the tenant passes its `SendPacer`. */
export interface OutboxPacer {
  /**
   * The earliest moment a send to `chatId` (`null`: no chat) may go as far as that chat's own
   * limits and Telegram's flood holds are concerned; at or before now when it may go now.
   */
  readyAt(chatId: number | null): number;
  /** Waits for the bot's next slot for a send to `chatId`, and takes it. */
  take(chatId: number | null, signal: AbortSignal): Promise<void>;
}

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
  /** Keeps the sends under the bot's flood limits and holds. Default: no pacing. */
  pacer?: OutboxPacer;
  /**
   * Calls in flight at once; default 4. A few, so that one slow or hung call does not hold up
   * the others, and few enough that a backlog still drains in the order it was queued.
   */
  maxInFlight?: number;
  /**
   * How long one call may take before it is abandoned and retried with backoff; default 15 s.
   * The bot's own client gives up after 10 s (`call_deadline.ts`); this bounds any `call`.
   */
  callDeadlineMs?: number;
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
 */
export const OUTBOX_BACKOFF_POLICY: BackoffPolicy = Object.freeze(
  resolveBackoffPolicy({ minMs: 1_000, maxMs: 300_000, factor: 2, jitter: 0.2 }),
);

/** Chats looked at per pass: the first due item of each, oldest first. */
const CHATS_PER_PASS = 100;

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
      // Only this item waits here: the bot's flood control (`flood_holds.ts`) heard the same
      // 429 and holds back its chat, or the whole bot when several chats are hit.
      const seconds = failure.retryAfterSeconds;
      return seconds !== undefined
        ? { kind: "retry", pauseAll: false, delayMs: seconds * 1_000 }
        : { kind: "retry", pauseAll: false };
    }
    // A revoked token is the bot's problem, not the item's: it will go once the token is fixed.
    if (code === 401) return { kind: "retry", pauseAll: true };
    if (code >= 500) return { kind: "retry", pauseAll: false };
    if (code >= 400) return { kind: "failed" };
  }
  // A call that ran out of time says nothing about the others, which may well go through; a
  // network that fails outright fails every call the same way.
  if (failure.kind === "unreachable") return { kind: "retry", pauseAll: !failure.timedOut };
  return { kind: "retry", pauseAll: false, unexpected: true };
}

/**
 * Starts the outbox sender of one tenant. It sends whatever is due right away (rows left from
 * before a restart), then whenever it gets a message or a retry falls due. Stopping it aborts
 * the calls in flight; their items stay pending and go at the next start.
 *
 * @throws {TypeError} when `tenantId` is empty or `call` is not a function.
 * @throws {RangeError} when `backoff`, `maxInFlight` or `callDeadlineMs` is not valid.
 */
export function startOutboxSender(options: OutboxSenderOptions): Actor<OutboxSenderMsg> {
  const { tenantId, db, outbox, clock, pacer } = options;
  if (typeof tenantId !== "string" || tenantId.trim() === "") {
    throw new TypeError(`outbox sender: tenantId must be a non-empty string`);
  }
  if (typeof options.call !== "function") {
    throw new TypeError(`outbox sender of tenant "${tenantId}": call must be a function`);
  }
  const maxInFlight = options.maxInFlight ?? 4;
  if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) {
    throw new RangeError(`outbox sender: maxInFlight must be an integer >= 1, got ${maxInFlight}`);
  }
  const callDeadlineMs = options.callDeadlineMs ?? 15_000;
  if (!(callDeadlineMs > 0 && Number.isFinite(callDeadlineMs))) {
    throw new RangeError(`outbox sender: callDeadlineMs must be > 0, got ${callDeadlineMs}`);
  }
  const backoff = resolveBackoffPolicy(options.backoff ?? OUTBOX_BACKOFF_POLICY);
  const random = options.random ?? Math.random;
  const logger = options.logger ?? tenantLogger(tenantId).getChild("outbox");

  const behavior = () => {
    let timer: TimerId | undefined;
    // Until when every call is held back (network down, token revoked). Kept in memory only:
    // after a restart, one call finds out whether the condition still holds.
    let pausedUntil = 0;
    /**
     * Items whose call is under way, with their chat: one item per chat at a time. An item
     * leaves only when its `Settled` is handled, so a pass never sees it as due and new.
     */
    const running = new Map<string, number | null>();
    const workers = new Set<Promise<void>>();
    /** Drains asked for while something was still being sent. */
    const drains: Reply<void>[] = [];

    const clearTimer = () => {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
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

    const fail = async (item: OutboxItem, error: unknown, timedOut: boolean) => {
      const verdict: Verdict = timedOut
        ? { kind: "retry", pauseAll: false }
        : classify(item, error);
      const text = timedOut ? `no answer within ${callDeadlineMs} ms` : describe(error);
      const fields = { id: item.id, method: item.method, attempts: item.attempts + 1, error: text };
      switch (verdict.kind) {
        case "done":
          // refundStarPayment answers True on success; the refund exists, so it is that success.
          await succeed(item, true);
          return;
        case "failed":
          await outbox.markFailed(db, item.id, text);
          logger.warn("Outbox item {id} ({method}) gave up: {error}", fields);
          return;
        case "retry": {
          const delay = verdict.delayMs ?? backoffDelay(backoff, item.attempts, random);
          // Whole milliseconds, and at least one, so a pass never retries an item in a loop.
          const at = clock.now() + Math.max(1, Math.ceil(delay));
          await outbox.markRetry(db, item.id, text, at);
          if (verdict.pauseAll) pausedUntil = Math.max(pausedUntil, at);
          const line = "Outbox item {id} ({method}) failed (attempt {attempts}), retrying in " +
            "{retryIn}: {error}";
          const delayMs = at - clock.now();
          const details = { ...fields, retryIn: formatDuration(delayMs), delayMs };
          if (verdict.unexpected) logger.error(line, details);
          else logger.info(line, details);
          return;
        }
      }
    };

    /** Sends one item within its deadline and records the outcome. */
    const attempt = async (item: OutboxItem, stop: AbortSignal) => {
      let result: unknown;
      try {
        await pacer?.take(item.chatId, stop);
      } catch {
        return; // stopped while waiting for a slot: the item goes at the next start
      }
      const deadline = new AbortController();
      const deadlineTimer = clock.setTimeout(() => deadline.abort(), callDeadlineMs);
      try {
        result = await options.call(
          item.method,
          item.params,
          AbortSignal.any([stop, deadline.signal]),
        );
      } catch (error) {
        // Stopping cut the call short: leave the item as it was, it goes at the next start.
        if (stop.aborted) return;
        await fail(item, error, deadline.signal.aborted);
        return;
      } finally {
        clock.clearTimeout(deadlineTimer);
      }
      await succeed(item, result);
    };

    /** Runs one item's call beside the others; the sender hears when it is settled. */
    const start = (item: OutboxItem, ctx: ActorContext<OutboxSenderMsg>) => {
      running.set(item.id, item.chatId);
      const { id } = item;
      const work = attempt(item, ctx.signal).then(
        (): OutboxSenderMsg => ({ type: "Settled", id }),
        (error: unknown): OutboxSenderMsg => ({ type: "Settled", id, error }),
      ).then((settled) => {
        workers.delete(work);
        if (!ctx.signal.aborted) ctx.self.tell(settled);
      });
      workers.add(work);
    };

    /**
     * Starts what may go now: the first due item of each chat that has nothing in flight and
     * whose limits and holds allow a send, oldest first, up to `maxInFlight` at once. Returns
     * when the earliest of the chats it passed over may send.
     */
    const startDue = async (ctx: ActorContext<OutboxSenderMsg>): Promise<number> => {
      let readyAt = Infinity;
      if (pausedUntil > clock.now() || running.size >= maxInFlight) return readyAt;
      const busy = new Set(running.values());
      for (const item of await outbox.dueFirstPerChat(db, CHATS_PER_PASS)) {
        if (running.size >= maxInFlight || ctx.signal.aborted) break;
        if (running.has(item.id) || busy.has(item.chatId)) continue;
        const ready = pacer?.readyAt(item.chatId) ?? -Infinity;
        if (ready > clock.now()) {
          readyAt = Math.min(readyAt, ready);
          continue;
        }
        busy.add(item.chatId);
        start(item, ctx);
      }
      return readyAt;
    };

    /** Arms the timer for the next moment there may be something to send. */
    const schedule = async (ctx: ActorContext<OutboxSenderMsg>, readyAt: number) => {
      const now = clock.now();
      const next = await outbox.nextDueAt(db);
      if (next === undefined) return;
      // Items already due wait for a call in flight (its end wakes the sender) or for their
      // chat (`readyAt`); only a later retry time needs the timer.
      let at = Math.min(readyAt, next > now ? next : Infinity);
      if (pausedUntil > now) at = pausedUntil;
      if (at === Infinity) return;
      timer = clock.setTimeout(() => ctx.self.tell({ type: "Wake" }), at - now);
    };

    const pass = async (ctx: ActorContext<OutboxSenderMsg>) => {
      clearTimer();
      const readyAt = await startDue(ctx);
      if (ctx.signal.aborted) return;
      await schedule(ctx, readyAt);
      // Done when nothing is in flight: what is left waits for its time, or for Telegram.
      if (running.size === 0) drains.splice(0).forEach((reply) => reply());
    };

    return {
      preStart(ctx: ActorContext<OutboxSenderMsg>) {
        ctx.self.tell({ type: "Wake" });
      },
      async receive(msg: OutboxSenderMsg, ctx: ActorContext<OutboxSenderMsg>) {
        // A worker's bookkeeping failed (storage): crash, so the tenant restarts and retries.
        if (msg.type === "Settled") {
          if (msg.error !== undefined) throw msg.error;
          running.delete(msg.id);
        }
        if (msg.type === "Drain") drains.push(msg.reply);
        await pass(ctx);
      },
      async postStop() {
        clearTimer();
        // The stop aborted the calls in flight; their items stay pending once they let go.
        await Promise.allSettled([...workers]);
      },
    };
  };

  return Actor.spawn(`outbox-sender:${tenantId}`, behavior, { clock });
}
