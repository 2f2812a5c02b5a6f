/**
 * How many updates may be in flight (queued on a lane or running) at once: across the process,
 * and per tenant. Each tenant's dispatcher takes a permit from the process's budget before an
 * update enters its lane and gives it back when the update has ended, so memory stays bounded
 * however many tenants come back to a backlog at once, and the permits go round the tenants in
 * turn, so a busy tenant cannot starve the others (`actors/kernel/fair_budget.ts`). A tenant
 * waiting for permits holds its batch, which holds its poller (and the webhook request): Telegram
 * keeps the rest.
 *
 * Pre-checkout queries take no permit: Telegram gives them 10 s, and they never queue.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_UPDATES_IN_FLIGHT, updateBudget } from "./update_budget.ts";
 *
 * const budget = updateBudget();
 * assert.equal(budget.total, DEFAULT_UPDATES_IN_FLIGHT.total);
 * assert.equal(budget.perOwner, DEFAULT_UPDATES_IN_FLIGHT.perTenant);
 * assert.equal(updateBudget({ total: 50 }).perOwner, 50); // never more than the total
 * ```
 * @module
 */
import { FairBudget } from "../kernel/fair_budget.ts";

/** The process's budget of updates in flight; each tenant's dispatcher is one owner. */
export type UpdateBudget = FairBudget<object>;

/** Limits on updates in flight; see {@linkcode DEFAULT_UPDATES_IN_FLIGHT}. */
export interface UpdatesInFlight {
  /** Across the process (`MAX_UPDATES_IN_FLIGHT`). */
  total: number;
  /** Per tenant (`MAX_UPDATES_IN_FLIGHT_PER_TENANT`); at most `total`. */
  perTenant: number;
}

/** The defaults, each with its reason. */
export const DEFAULT_UPDATES_IN_FLIGHT: Readonly<UpdatesInFlight> = {
  /**
   * 500 across the process. An update in flight costs up to ~90 KB while its handler runs
   * (issue 15), so handlers stay under ~45 MB whether 10 or 1,000 tenants have a backlog. More
   * would not be faster: 2 cores handle ~3,800 updates/s (BENCHMARKS.md), which by Little's law
   * needs ~380 in flight when each reply takes 100 ms at Telegram; past that, work in flight only
   * waits for the CPU. Measured (`tests/deployment/backlog_memory_test.ts`, 200 tenants × 500
   * updates): 500 drained in 59 s with no Bot API call over its 10 s deadline; 1,000 took 81 s,
   * 1,452 replies timed out queued behind the CPU, and the peak RSS was 100 MiB higher.
   */
  total: 500,
  /**
   * 100 per tenant: one `getUpdates` batch (Telegram's largest `limit`), so a tenant alone has
   * its whole batch admitted at once, while a single busy tenant leaves four fifths of the total
   * free: a tenant whose users just wrote is admitted without waiting for the busy one's turn.
   */
  perTenant: 100,
};

/**
 * The budget for `limits` (defaults: {@linkcode DEFAULT_UPDATES_IN_FLIGHT}). A tenant started
 * alone (no runtime) gets one of its own, which only applies the per-tenant limit.
 */
export function updateBudget(limits: Partial<UpdatesInFlight> = {}): UpdateBudget {
  const total = limits.total ?? DEFAULT_UPDATES_IN_FLIGHT.total;
  const perTenant = limits.perTenant ?? DEFAULT_UPDATES_IN_FLIGHT.perTenant;
  return new FairBudget<object>({ total, perOwner: Math.min(perTenant, total) });
}
