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

/** The defaults, each with its reason; the same on either storage engine. */
export const DEFAULT_UPDATES_IN_FLIGHT: Readonly<UpdatesInFlight> = {
  /**
   * 200 across the process. Each update in flight holds a Bot API call, and over HTTP/1.1 each
   * call in flight holds a connection of its own, with its buffers, plus the handler's frames.
   * Past what the CPU can serve, more in flight only waits for the CPU while costing memory and
   * garbage collection: what is allocated for an update that waits survives the young
   * generation's collections and is promoted, and the old generation grows with it. Measured
   * (issue 15, `deno task bench`'s `/start` workload, alternating runs):
   * - on SQLite, while an update allocated about 80 KB (a walk through the whole handler tree,
   *   grammY's call wrapping), 100 in flight was the best — 200 gave 0.59–0.72× plain grammY's
   *   rate against 0.74–0.93×, and 500 was slower still and 150 MiB heavier. Once an update
   *   allocated about 45 KB (updates routed straight to their handlers, calls sent directly),
   *   200 came out 9–26 % faster than 100 at 10 tenants (0.97–1.05× plain grammY against
   *   0.77–0.96× in the same two series; the main thread had been idle 14 % of the burst, every
   *   permit waiting on an answer), the same at 100 tenants, for 20 MiB more peak RSS at 10
   *   tenants (222 against 200 MiB; plain grammY 156 MiB);
   * - on PostgreSQL an update's commits are round trips to the server, so each stays in flight
   *   longer, and by Little's law the same rate needs more of them in flight: at 100 tenants 200
   *   in flight gave 2,258–2,464 updates/s at 0.42–0.44 ms of CPU per update, 100 in flight
   *   1,176–1,332 at 0.74–0.80 ms — half the rate, and twice the CPU.
   *
   * By Little's law 200 carries 4,000 updates/s when a reply takes 50 ms at Telegram, while one
   * bot may send about 30 messages a second; a deployment far from Telegram with bursts beyond
   * that raises `MAX_UPDATES_IN_FLIGHT`. `tests/deployment/backlog_memory_test.ts` (200 tenants ×
   * 500 updates) holds the bound.
   */
  total: 200,
  /**
   * 100 per tenant: one `getUpdates` batch (Telegram's largest `limit`), so a tenant alone has its
   * whole batch admitted at once. A busy tenant may then hold half the total, and a permit given
   * back goes to the waiting tenants in turn, so a tenant whose users just wrote waits for one
   * update to end, not for the busy one's backlog.
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
