/**
 * The BalanceActor: one actor for the whole process that owns every conversation with Telegram
 * about the bots' own Stars — the balance (MTProto `payments.getStarsStatus` through GramJS, or
 * the Bot API's `getMyStarBalance`) and the transactions (`getStarTransactions`) — so that those
 * calls are serialized, cached and never flood Telegram however many operators ask.
 *
 * - It never waits for Telegram inside `receive`: a read runs as a job outside it and reports back
 *   with a `JobDone` message, so a slow or flood-waiting bot never delays another bot.
 * - Per tenant, one job runs at a time (one upstream call in flight per bot); the others wait in
 *   order. Identical requests share one job: a hundred concurrent balance asks make one call.
 * - Answers are cached per tenant for the tenant's TTL (by offset and limit for transaction
 *   pages) and served with their age. `Invalidate` drops both caches, and a read already running
 *   then is neither cached nor joined by later requests, so the next answer is fresh.
 * - The balance falls back from MTProto (self, then user) to the Bot API to the last known value,
 *   stored in the database; see `fallback_chain.ts`. Flood waits and timeouts: `upstream_call.ts`.
 *
 * State lives in memory and starts over if the actor restarts: tenants register again then, and
 * the last known balances are still in the database.
 *
 * @example Shared reads, the cache and invalidation
 * ```ts
 * import assert from "node:assert/strict";
 * import { startBalanceActor } from "./balance_actor.ts";
 * import { BalanceClient } from "./balance_client.ts";
 * import { ManualClock } from "../kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const clock = new ManualClock(0);
 * const actor = startBalanceActor({ db, clock });
 * const balances = new BalanceClient(actor.ref);
 * let calls = 0;
 * await balances.register({
 *   id: "shop",
 *   cacheTtlMs: 60_000,
 *   botApi: {
 *     getMyStarBalance: () => Promise.resolve({ amount: 250 + 10 * calls++ }),
 *     getStarTransactions: () => Promise.resolve({ transactions: [] }),
 *   },
 * });
 *
 * // Three operators ask at once: one call to Telegram answers them all.
 * const answers = await Promise.all([1, 2, 3].map(() => balances.balance("shop")));
 * assert.equal(calls, 1);
 * const [first] = answers;
 * assert.equal(first.amount, 250);
 * assert.equal(first.source, "bot_api");
 * // No MTProto credentials: those steps of the fallback chain were skipped, and say why.
 * assert.deepEqual(first.skipped.map((step) => step.source), ["mtproto_self", "mtproto_user"]);
 *
 * await clock.advance(1_000);
 * const cached = await balances.balance("shop");
 * assert.equal(calls, 1);
 * assert.equal(cached.ageMs, 1_000);
 *
 * await balances.invalidate("shop"); // a payment came in
 * assert.equal((await balances.balance("shop")).amount, 260);
 * assert.equal(calls, 2);
 *
 * await actor.stop();
 * await db.close();
 * ```
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { Actor, type ActorContext, ActorStoppedError, type Reply } from "../kernel/actor.ts";
import type { Clock } from "../kernel/clock.ts";
import type { DeadLetters } from "../kernel/dead_letters.ts";
import type { Database } from "../../money/ports.ts";
import { runtimeLogger } from "../../adapters/observability/logging.ts";
import { type JobDone, type JobEnvironment, runJob } from "./jobs.ts";
import { TenantBalanceState } from "./tenant_state.ts";
import {
  type BalanceTenant,
  type StarBalance,
  type TransactionsPage,
  UnknownBalanceTenantError,
} from "../../money/bot_stars/types.ts";
import { validateBalanceTenant, validatePageRequest } from "../../money/bot_stars/validate.ts";

/**
 * The BalanceActor's protocol. Callers use {@linkcode BalanceClient} rather than building these.
 */
export type BalanceMsg =
  /** Adds a tenant; a tenant registered again gets the new upstreams and empty caches. */
  | { type: "Register"; tenant: BalanceTenant }
  /** Removes a tenant; its waiting requests fail. Its last known balance stays stored. */
  | { type: "Unregister"; tenantId: string }
  | { type: "GetBalance"; tenantId: string; reply: Reply<StarBalance> }
  | {
    type: "GetTransactions";
    tenantId: string;
    offset: number;
    limit: number;
    reply: Reply<TransactionsPage>;
  }
  /** The tenant's Stars changed (payment, refund, renewal): the next reads ask Telegram. */
  | { type: "Invalidate"; tenantId: string }
  /** Internal: a job finished. */
  | { type: "JobDone"; done: JobDone };

/**
 * The default longest wait for one upstream answer: 10 s. A healthy Telegram answers these reads
 * in well under a second, so a call still pending after ten seconds hangs on a dead connection.
 * It is also below {@linkcode BalanceClient}'s 15 s ask timeout, so for a bot without MTProto a
 * hung Bot API still leaves time to answer with the last known value instead of a timeout.
 */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/**
 * The default longest flood wait that is slept: 60 s. Telegram's short waits (seconds) are worth
 * sitting out for a fresh value; a longer one is not slept — the read fails fast with the flood
 * error and the last known value is served — since no operator waits minutes for a number.
 */
export const DEFAULT_FLOOD_WAIT_MAX_MS = 60_000;

/** What {@linkcode startBalanceActor} needs. */
export interface BalanceActorOptions {
  /** Where the last known balance of every tenant is kept (the `kv` table). */
  db: Database;
  clock: Clock;
  /** Default: the runtime logger `constellation.balance`. */
  logger?: Logger;
  /** Longest wait for one upstream answer, in ms; default {@linkcode DEFAULT_CALL_TIMEOUT_MS}. */
  callTimeoutMs?: number;
  /** Longest flood wait slept, in ms; default {@linkcode DEFAULT_FLOOD_WAIT_MAX_MS}. */
  floodWaitMaxMs?: number;
  deadLetters?: DeadLetters;
  /** Told whether each read was served from the cache; the runtime counts it for `/metrics`. */
  onCacheLookup?: (tenantId: string, hit: boolean) => void;
}

function requireMs(name: string, value: number, min: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new RangeError(
      `balance actor: ${name} must be a finite number of ms >= ${min}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Starts the BalanceActor.
 *
 * @throws {RangeError} when `callTimeoutMs` is below 1 ms or `floodWaitMaxMs` is negative.
 */
export function startBalanceActor(options: BalanceActorOptions): Actor<BalanceMsg> {
  const { db, clock } = options;
  const logger = options.logger ?? runtimeLogger("balance");
  const environment: JobEnvironment = {
    db,
    clock,
    logger,
    callTimeoutMs: requireMs("callTimeoutMs", options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, 1),
    floodWaitMaxMs: requireMs(
      "floodWaitMaxMs",
      options.floodWaitMaxMs ?? DEFAULT_FLOOD_WAIT_MAX_MS,
      0,
    ),
  };

  const behavior = () => {
    const tenants = new Map<string, TenantBalanceState>();

    const find = (tenantId: string, reply: Reply<never>): TenantBalanceState | undefined => {
      const state = tenants.get(tenantId);
      if (state === undefined) reply.fail(new UnknownBalanceTenantError(tenantId));
      return state;
    };

    /** Starts the tenant's next job, if its upstream is free, as a task outside `receive`. */
    const startNext = (state: TenantBalanceState, ctx: ActorContext<BalanceMsg>) => {
      const started = state.startNext();
      if (started === undefined) return;
      const { job, controller, gates, cached } = started;
      const { tenant } = state;
      const signal = AbortSignal.any([ctx.signal, controller.signal]);
      runJob(environment, { tenant, job, gates, signal, cached })
        .then((done) => ctx.self.send({ type: "JobDone", done }))
        .catch((error) => {
          // Stopped: the actor fails every ask still waiting, nothing else to tell.
          if (error instanceof ActorStoppedError) return;
          logger.error("Balance of {tenantId}: reporting a finished job failed: {error}", {
            tenantId: tenant.id,
            error: String(error),
          });
        });
    };

    const register = (tenant: BalanceTenant) => {
      try {
        validateBalanceTenant(tenant);
      } catch (error) {
        // One bad registration must not crash the actor every other tenant relies on.
        logger.error("Balance: refused a tenant registration: {error}", { error: String(error) });
        return;
      }
      const existing = tenants.get(tenant.id);
      if (existing) {
        existing.replaceTenant(tenant);
        logger.info("Balance: tenant {tenantId} registered again", { tenantId: tenant.id });
      } else {
        tenants.set(tenant.id, new TenantBalanceState(tenant));
        logger.debug("Balance: tenant {tenantId} registered", { tenantId: tenant.id });
      }
    };

    const unregister = (tenantId: string) => {
      const state = tenants.get(tenantId);
      if (state === undefined) return;
      tenants.delete(tenantId);
      state.close(
        new UnknownBalanceTenantError(tenantId, "was unregistered before its request was answered"),
      );
      logger.debug("Balance: tenant {tenantId} unregistered", { tenantId });
    };

    const getBalance = (
      { tenantId, reply }: Extract<BalanceMsg, { type: "GetBalance" }>,
      ctx: ActorContext<BalanceMsg>,
    ) => {
      const state = find(tenantId, reply);
      if (state === undefined) return;
      const hit = state.answerBalanceFromCache(reply, clock.now());
      options.onCacheLookup?.(tenantId, hit);
      if (hit) return;
      state.requestBalance(reply);
      startNext(state, ctx);
    };

    const getTransactions = (
      { tenantId, offset, limit, reply }: Extract<BalanceMsg, { type: "GetTransactions" }>,
      ctx: ActorContext<BalanceMsg>,
    ) => {
      try {
        validatePageRequest(offset, limit);
      } catch (error) {
        reply.fail(error);
        return;
      }
      const state = find(tenantId, reply);
      if (state === undefined) return;
      const hit = state.answerPageFromCache(offset, limit, reply, clock.now());
      options.onCacheLookup?.(tenantId, hit);
      if (hit) return;
      state.requestPage(offset, limit, reply);
      startNext(state, ctx);
    };

    const complete = (done: JobDone, ctx: ActorContext<BalanceMsg>) => {
      // An unknown tenant, or a job that is not the running one, means the tenant was
      // unregistered while the job ran; its waiters got their answer then.
      const state = tenants.get(done.tenantId);
      if (state?.finish(done, clock.now())) startNext(state, ctx);
    };

    return {
      receive(msg: BalanceMsg, ctx: ActorContext<BalanceMsg>) {
        switch (msg.type) {
          case "Register":
            return register(msg.tenant);
          case "Unregister":
            return unregister(msg.tenantId);
          case "GetBalance":
            return getBalance(msg, ctx);
          case "GetTransactions":
            return getTransactions(msg, ctx);
          case "Invalidate":
            return tenants.get(msg.tenantId)?.invalidate();
          case "JobDone":
            return complete(msg.done, ctx);
        }
      },
    };
  };

  return Actor.spawn<BalanceMsg>("balance", behavior, {
    clock,
    deadLetters: options.deadLetters,
  });
}
