/**
 * The balance fallback chain of one tenant: MTProto with the bot as itself, MTProto with the bot
 * as a user, the Bot API's `getMyStarBalance`, and finally the last known value. Each step that
 * gives no value is logged and listed with its reason, so an operator sees why a balance is
 * stale or where it came from. No step ever invents a value: when none is known, the read fails.
 *
 * A fresh reading is stored as the last known value before it is returned, so it survives
 * restarts.
 *
 * @example Telegram goes down: the last known value is served, with the reasons
 * ```ts
 * import assert from "node:assert/strict";
 * import { getLogger } from "@logtape/logtape";
 * import { readBalance } from "./fallback_chain.ts";
 * import { UpstreamCaller } from "./upstream_call.ts";
 * import { ManualClock } from "../kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import type { BalanceTenant } from "../../money/bot_stars/types.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const clock = new ManualClock(1_000);
 * const signal = new AbortController().signal;
 * const gates = { mtproto: 0, bot_api: 0 };
 * const caller = new UpstreamCaller({ clock, callTimeoutMs: 1, floodWaitMaxMs: 0, signal, gates });
 * let telegramUp = true;
 * const outage = () => Promise.reject(new Error("502 Bad Gateway"));
 * const tenant: BalanceTenant = {
 *   id: "shop",
 *   cacheTtlMs: 60_000,
 *   botApi: {
 *     getMyStarBalance: () => telegramUp ? Promise.resolve({ amount: 42 }) : outage(),
 *     getStarTransactions: () => Promise.resolve({ transactions: [] }),
 *   },
 * };
 * const options = { tenant, caller, db, clock, logger: getLogger(["example"]), signal };
 *
 * const fresh = await readBalance(options);
 * assert.equal(fresh.lastKnown, false);
 * assert.deepEqual(fresh.reading, {
 *   amount: 42,
 *   nanostarAmount: 0,
 *   source: "bot_api",
 *   fetchedAt: 1_000,
 * });
 *
 * telegramUp = false;
 * await clock.advance(5_000);
 * const stale = await readBalance(options);
 * assert.equal(stale.lastKnown, true);
 * assert.equal(stale.reading.amount, 42);
 * assert.deepEqual(stale.skipped, [
 *   { source: "mtproto_self", reason: "no MTProto credentials" },
 *   { source: "mtproto_user", reason: "no MTProto credentials" },
 *   { source: "bot_api", reason: "502 Bad Gateway" },
 * ]);
 * await db.close();
 * ```
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Clock } from "../kernel/clock.ts";
import type { Database } from "../../money/ports.ts";
import { redactTokens } from "../../adapters/observability/redact.ts";
import type { UpstreamCaller, UpstreamSession } from "./upstream_call.ts";
import {
  type BalanceReading,
  loadLastBalance,
  saveLastBalance,
} from "../../money/bot_stars/last_balance.ts";
import {
  type BalanceTenant,
  BalanceUnavailableError,
  type SkippedStep,
  type StarAmount,
  type UpstreamBalanceSource,
  UpstreamTimeoutError,
} from "../../money/bot_stars/types.ts";
import { readStarAmount } from "../../money/bot_stars/validate.ts";

/** What {@linkcode readBalance} needs. */
export interface BalanceChainOptions {
  tenant: BalanceTenant;
  caller: UpstreamCaller;
  db: Database;
  clock: Clock;
  logger: Logger;
  /** Aborted when the tenant is unregistered or the actor stops; the read then rejects. */
  signal: AbortSignal;
  /** The reading cached in memory, even expired: the freshest value if storing it failed. */
  cached?: BalanceReading;
}

/**
 * A balance read: the reading, whether it is the last known value (every upstream failed), and
 * the steps that gave no value.
 */
export interface BalanceOutcome {
  reading: BalanceReading;
  lastKnown: boolean;
  skipped: SkippedStep[];
}

type Read = (signal: AbortSignal) => Promise<StarAmount>;

interface UpstreamStep {
  source: UpstreamBalanceSource;
  session: UpstreamSession;
  /** The call's name in errors and logs. */
  call: string;
  /** The call to make, or `undefined` when the tenant has no such upstream (no MTProto). */
  upstream(tenant: BalanceTenant): Read | undefined;
}

const STEPS: readonly UpstreamStep[] = [
  {
    source: "mtproto_self",
    session: "mtproto",
    call: "payments.getStarsStatus(self)",
    upstream: ({ mtproto }) => mtproto && ((signal) => mtproto.getStarsStatus("self", signal)),
  },
  {
    source: "mtproto_user",
    session: "mtproto",
    call: "payments.getStarsStatus(user)",
    upstream: ({ mtproto }) => mtproto && ((signal) => mtproto.getStarsStatus("user", signal)),
  },
  {
    source: "bot_api",
    session: "bot_api",
    call: "getMyStarBalance",
    upstream: ({ botApi }) => (signal) => botApi.getMyStarBalance(signal),
  },
];

function reasonOf(error: unknown): string {
  return redactTokens(error instanceof Error ? error.message : String(error));
}

/**
 * Reads the tenant's balance through the chain, as described in the module documentation.
 *
 * @throws {BalanceUnavailableError} when every upstream failed and no value was ever known.
 * @throws the signal's reason when the signal aborts.
 */
export async function readBalance(options: BalanceChainOptions): Promise<BalanceOutcome> {
  const { tenant, caller, clock, logger, signal } = options;
  const skipped: SkippedStep[] = [];
  const skip = (source: SkippedStep["source"], reason: string, expected = false) => {
    skipped.push({ source, reason });
    const fields = { tenantId: tenant.id, source, reason };
    // Missing credentials is configuration, not news; a failing upstream is worth an info line.
    if (expected) logger.debug("Balance of {tenantId}: skipped {source}: {reason}", fields);
    else logger.info("Balance of {tenantId}: skipped {source}: {reason}", fields);
  };
  // A session that timed out is taken as down for the rest of this read: asking it again
  // would only spend another timeout before the next session gets its turn.
  const unanswered = new Map<UpstreamSession, string>();

  for (const step of STEPS) {
    const read = step.upstream(tenant);
    if (read === undefined) {
      // Only the MTProto steps lack an upstream: the Bot API is always there.
      skip(step.source, "no MTProto credentials", true);
      continue;
    }
    const down = unanswered.get(step.session);
    if (down !== undefined) {
      skip(step.source, `not asked: ${down}`);
      continue;
    }
    try {
      const answer = await caller.call(step.session, step.call, read);
      const { amount, nanostarAmount } = readStarAmount(answer, step.call);
      const reading = { amount, nanostarAmount, source: step.source, fetchedAt: clock.now() };
      logger.debug("Balance of {tenantId}: {amount} Stars from {source}", {
        tenantId: tenant.id,
        amount,
        source: step.source,
      });
      await remember(options, reading);
      return { reading, lastKnown: false, skipped };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof UpstreamTimeoutError) unanswered.set(step.session, error.message);
      skip(step.source, reasonOf(error));
    }
  }
  return await fallBackToLastKnown(options, skipped);
}

/** Stores the reading; a storage failure is logged but does not hide a value Telegram gave. */
async function remember(options: BalanceChainOptions, reading: BalanceReading): Promise<void> {
  try {
    await saveLastBalance(options.db, options.tenant.id, reading);
  } catch (error) {
    options.logger.warn("Balance of {tenantId}: storing the last known value failed: {error}", {
      tenantId: options.tenant.id,
      error: reasonOf(error),
    });
  }
}

async function fallBackToLastKnown(
  options: BalanceChainOptions,
  skipped: SkippedStep[],
): Promise<BalanceOutcome> {
  const { tenant, db, clock, logger, cached } = options;
  let stored: BalanceReading | undefined;
  let storeProblem: string | undefined;
  try {
    stored = await loadLastBalance(db, tenant.id);
  } catch (error) {
    storeProblem = `reading the stored value failed: ${reasonOf(error)}`;
  }
  const newest = [stored, cached]
    .filter((reading) => reading !== undefined)
    .sort((a, b) => b.fetchedAt - a.fetchedAt)[0];
  if (newest === undefined) {
    const reason = storeProblem ?? "no balance was ever read from Telegram";
    throw new BalanceUnavailableError(tenant.id, [...skipped, { source: "last_known", reason }]);
  }
  if (storeProblem !== undefined) {
    logger.warn("Balance of {tenantId}: {problem}; serving the value cached in memory", {
      tenantId: tenant.id,
      problem: storeProblem,
    });
  }
  logger.info(
    "Balance of {tenantId}: every upstream failed; serving the last known {amount} Stars " +
      "(from {source}, {ageMs} ms old)",
    {
      tenantId: tenant.id,
      amount: newest.amount,
      source: newest.source,
      ageMs: clock.now() - newest.fetchedAt,
    },
  );
  return { reading: newest, lastKnown: true, skipped };
}
