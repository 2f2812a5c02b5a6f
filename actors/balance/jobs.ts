/**
 * Jobs of the BalanceActor: one upstream read for one tenant (its balance, or one page of its
 * transactions) together with every request waiting for it. The actor starts a job as a task
 * outside its `receive` and gets a {@linkcode JobDone} message back, so a slow tenant never
 * holds up another.
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Reply } from "../kernel/actor.ts";
import type { Clock } from "../kernel/clock.ts";
import type { Database } from "../../money/ports.ts";
import { type FloodGates, UpstreamCaller } from "./upstream_call.ts";
import { type BalanceOutcome, readBalance } from "./fallback_chain.ts";
import type { BalanceReading } from "../../money/bot_stars/last_balance.ts";
import type {
  BalanceTenant,
  StarBalance,
  StarTransaction,
  TransactionsPage,
} from "../../money/bot_stars/types.ts";
import { readTransactions } from "../../money/bot_stars/validate.ts";

/** A balance read and the requests waiting for it. */
export interface BalanceJob {
  kind: "balance";
  key: string;
  waiters: Reply<StarBalance>[];
}

/** A transactions page read and the requests waiting for it. */
export interface TransactionsJob {
  kind: "transactions";
  key: string;
  offset: number;
  limit: number;
  waiters: Reply<TransactionsPage>[];
}

/** Any job. Requests with the same `key` are identical and share one job. */
export type Job = BalanceJob | TransactionsJob;

/** The key of the balance job: there is one kind of balance read. */
export const BALANCE_KEY = "balance";

/** The key of a transactions page job; pages are cached and shared by offset and limit. */
export function pageKey(offset: number, limit: number): string {
  return `transactions:${offset}:${limit}`;
}

/** A job's value, or the error every waiter gets. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A page as Telegram gave it, and when. */
export interface FetchedPage {
  transactions: StarTransaction[];
  fetchedAt: number;
}

/**
 * A finished job, told back to the actor; `kind` tells which job and so which result. `gates`
 * are the tenant's flood gates as the job left them.
 */
export type JobDone =
  & { tenantId: string; gates: FloodGates }
  & (
    | { kind: "balance"; job: BalanceJob; result: Settled<BalanceOutcome> }
    | { kind: "transactions"; job: TransactionsJob; result: Settled<FetchedPage> }
  );

/** What every job shares: the actor's options. */
export interface JobEnvironment {
  db: Database;
  clock: Clock;
  logger: Logger;
  callTimeoutMs: number;
  floodWaitMaxMs: number;
}

/** One job to run. */
export interface JobRun {
  tenant: BalanceTenant;
  job: Job;
  /** A copy of the tenant's flood gates; the job updates it and returns it in `JobDone`. */
  gates: FloodGates;
  /** Aborted when the tenant is unregistered or the actor stops. */
  signal: AbortSignal;
  /** The balance cached in memory, even expired, for the last-known fallback. */
  cached?: BalanceReading;
}

async function settle<T>(work: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Runs a job to its end. Never rejects: a failure is a result like any other, so the actor
 * always learns that the tenant's upstream is free again.
 */
export async function runJob(environment: JobEnvironment, run: JobRun): Promise<JobDone> {
  const { db, clock, logger, callTimeoutMs, floodWaitMaxMs } = environment;
  const { tenant, job, gates, signal, cached } = run;
  const caller = new UpstreamCaller({ clock, callTimeoutMs, floodWaitMaxMs, signal, gates });
  const tenantId = tenant.id;
  if (job.kind === "balance") {
    const result = await settle(() =>
      readBalance({ tenant, caller, db, clock, logger, signal, cached })
    );
    return { kind: "balance", tenantId, gates, job, result };
  }
  const result = await settle(async () => {
    const answer = await caller.call(
      "bot_api",
      "getStarTransactions",
      (callSignal) => tenant.botApi.getStarTransactions(job.offset, job.limit, callSignal),
    );
    return { transactions: readTransactions(answer), fetchedAt: clock.now() };
  });
  return { kind: "transactions", tenantId, gates, job, result };
}
