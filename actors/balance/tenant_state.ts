/**
 * What the BalanceActor knows about one tenant: its caches, the jobs waiting for its upstream,
 * the one job running, and its flood gates. Plain synchronous bookkeeping, used only inside the
 * actor's `receive`, so it needs no locking.
 * @module
 */
import type { Reply } from "../kernel/actor.ts";
import type { FloodGates } from "./upstream_call.ts";
import {
  BALANCE_KEY,
  type BalanceJob,
  type FetchedPage,
  type Job,
  type JobDone,
  pageKey,
  type TransactionsJob,
} from "./jobs.ts";
import type { BalanceReading } from "../../money/bot_stars/last_balance.ts";
import type {
  BalanceTenant,
  SkippedStep,
  StarBalance,
  TransactionsPage,
} from "../../money/bot_stars/types.ts";

interface RunningJob {
  job: Job;
  controller: AbortController;
  /** False once invalidated: its result is not cached and new requests do not join it. */
  current: boolean;
}

/**
 * A job that {@linkcode TenantBalanceState.startNext} marked as running: run it and report back.
 */
export interface StartedJob {
  job: Job;
  /** Aborts the job (the tenant was unregistered). */
  controller: AbortController;
  /** A copy of the tenant's flood gates for the job to use and return. */
  gates: FloodGates;
  /** The balance cached in memory, even expired, as the job's last-known fallback. */
  cached?: BalanceReading;
}

function balanceView(
  reading: BalanceReading,
  skipped: SkippedStep[],
  lastKnown: boolean,
  now: number,
): StarBalance {
  return {
    amount: reading.amount,
    nanostarAmount: reading.nanostarAmount,
    source: lastKnown ? "last_known" : reading.source,
    fetchedAt: reading.fetchedAt,
    ageMs: now - reading.fetchedAt,
    stale: lastKnown,
    // Copies, so a caller changing its answer cannot change the cache.
    skipped: skipped.map((step) => ({ ...step })),
  };
}

function pageView(offset: number, limit: number, page: FetchedPage, now: number): TransactionsPage {
  const { fetchedAt } = page;
  return { transactions: [...page.transactions], offset, limit, fetchedAt, ageMs: now - fetchedAt };
}

/** One tenant's caches and job queue. */
export class TenantBalanceState {
  #tenant: BalanceTenant;
  /** Until when each upstream session is under a flood wait; handed to and back from jobs. */
  #gates: FloodGates = { mtproto: 0, bot_api: 0 };
  /** The last fresh balance; kept after it expires, as the fallback if the chain fails. */
  #balance?: { reading: BalanceReading; skipped: SkippedStep[] };
  #pages = new Map<string, FetchedPage>();
  /** Jobs not started yet, in arrival order, by key. */
  #waiting = new Map<string, Job>();
  #running?: RunningJob;

  constructor(tenant: BalanceTenant) {
    this.#tenant = tenant;
  }

  get tenant(): BalanceTenant {
    return this.#tenant;
  }

  /**
   * Takes new upstreams for the tenant (it registered again). The token may have changed, so
   * this may be another bot: the caches go. Flood gates stay, since the same bot would still be
   * under Telegram's wait.
   */
  replaceTenant(tenant: BalanceTenant): void {
    this.#tenant = tenant;
    this.invalidate();
  }

  /** Drops the cached balance and pages; a running job's result will not be cached. */
  invalidate(): void {
    this.#balance = undefined;
    this.#pages.clear();
    if (this.#running) this.#running.current = false;
  }

  /** Answers from the cache if the balance there is younger than the TTL; says whether it did. */
  answerBalanceFromCache(reply: Reply<StarBalance>, now: number): boolean {
    const cached = this.#balance;
    if (cached === undefined || !this.#fresh(cached.reading.fetchedAt, now)) return false;
    reply(balanceView(cached.reading, cached.skipped, false, now));
    return true;
  }

  /** Answers from the cache if that page is younger than the TTL; says whether it did. */
  answerPageFromCache(
    offset: number,
    limit: number,
    reply: Reply<TransactionsPage>,
    now: number,
  ): boolean {
    const cached = this.#pages.get(pageKey(offset, limit));
    if (cached === undefined || !this.#fresh(cached.fetchedAt, now)) return false;
    reply(pageView(offset, limit, cached, now));
    return true;
  }

  /** Adds `reply` to the balance job running or waiting, or to a new waiting one. */
  requestBalance(reply: Reply<StarBalance>): void {
    const job = this.#joinable("balance", BALANCE_KEY) ??
      this.#enqueue<BalanceJob>({ kind: "balance", key: BALANCE_KEY, waiters: [] });
    job.waiters.push(reply);
  }

  /** Adds `reply` to the job for that page running or waiting, or to a new waiting one. */
  requestPage(offset: number, limit: number, reply: Reply<TransactionsPage>): void {
    const key = pageKey(offset, limit);
    const job = this.#joinable("transactions", key) ??
      this.#enqueue<TransactionsJob>({ kind: "transactions", key, offset, limit, waiters: [] });
    job.waiters.push(reply);
  }

  /** Marks the oldest waiting job as running and returns it; none while one runs. */
  startNext(): StartedJob | undefined {
    if (this.#running) return undefined;
    const next = this.#waiting.values().next();
    if (next.done) return undefined;
    const job = next.value;
    this.#waiting.delete(job.key);
    const controller = new AbortController();
    this.#running = { job, controller, current: true };
    return { job, controller, gates: { ...this.#gates }, cached: this.#balance?.reading };
  }

  /**
   * Takes a finished job's result: caches it (unless invalidated meanwhile), answers its
   * waiters and frees the upstream. Returns false, doing nothing, for a job that is not the one
   * running (it belonged to an earlier registration).
   */
  finish(done: JobDone, now: number): boolean {
    const running = this.#running;
    if (running?.job !== done.job) return false;
    this.#running = undefined;
    this.#gates = done.gates;
    if (!done.result.ok) {
      for (const waiter of done.job.waiters) waiter.fail(done.result.error);
    } else if (done.kind === "balance") {
      const { reading, skipped, lastKnown } = done.result.value;
      if (running.current && !lastKnown) this.#balance = { reading, skipped };
      for (const waiter of done.job.waiters) waiter(balanceView(reading, skipped, lastKnown, now));
    } else {
      const { job, result: { value: page } } = done;
      if (running.current) this.#cachePage(job.key, page, now);
      for (const waiter of job.waiters) waiter(pageView(job.offset, job.limit, page, now));
    }
    return true;
  }

  /** Aborts the running job and fails every waiting request with `error`. */
  close(error: Error): void {
    this.#running?.controller.abort(error);
    for (const job of [this.#running?.job, ...this.#waiting.values()]) {
      for (const waiter of job?.waiters ?? []) waiter.fail(error);
    }
    this.#running = undefined;
    this.#waiting.clear();
  }

  #fresh(fetchedAt: number, now: number): boolean {
    return now - fetchedAt < this.#tenant.cacheTtlMs;
  }

  /** The job a request for `key` shares: the running one unless invalidated, else a waiting one. */
  #joinable<K extends Job["kind"]>(kind: K, key: string): Extract<Job, { kind: K }> | undefined {
    const running = this.#running?.current ? this.#running.job : undefined;
    const found = running?.key === key ? running : this.#waiting.get(key);
    // Keys start with the kind ("balance", "transactions:…"), so this only narrows the type.
    return found?.kind === kind ? found as Extract<Job, { kind: K }> : undefined;
  }

  #enqueue<J extends Job>(job: J): J {
    this.#waiting.set(job.key, job);
    return job;
  }

  #cachePage(key: string, page: FetchedPage, now: number): void {
    // Pages of every offset a caller tried would pile up; expired ones are of no use.
    for (const [oldKey, old] of this.#pages) {
      if (!this.#fresh(old.fetchedAt, now)) this.#pages.delete(oldKey);
    }
    this.#pages.set(key, page);
  }
}
