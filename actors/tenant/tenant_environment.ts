/**
 * What every tenant shares with the rest of the process. It has a file of its own so that the
 * tenant actor's steps (intake, dispatch, housekeeping, outbox) can each name the few members
 * they use without importing the actor that composes them.
 *
 * @module
 */
import type { DeadLetters } from "../kernel/dead_letters.ts";
import type { TenantBuildEnvironment } from "./tenant_build.ts";
import type { Metrics } from "../../adapters/observability/metrics.ts";
import type { BalanceRegistry } from "../balance/registry.ts";
import type { UpdateBudget } from "./update_budget.ts";

/** What every tenant shares with the rest of the process. */
export interface TenantEnvironment extends TenantBuildEnvironment {
  deadLetters?: DeadLetters;
  /** Long-poll duration in seconds; tests shorten it so stops are quick. */
  pollTimeoutSeconds?: number;
  /**
   * How long a long poll started now may last, in ms: the time left on the tenant's lease when
   * several instances share the database (`actors/cluster/tenant_lease.ts`); unbounded alone.
   */
  pollWindowMs?: () => number;
  /** The process's public https address, for webhook tenants (`PUBLIC_URL`). */
  publicUrl?: string;
  metrics?: Metrics;
  /**
   * The process's budget of updates in flight, shared by every tenant (`update_budget.ts`). A
   * tenant started without one gets its own, which applies only the per-tenant limit.
   */
  updateBudget?: UpdateBudget;
  /** The process's BalanceActor, which the tenant registers with while it runs. */
  balances?: BalanceRegistry;
  /**
   * The tenant's only source of randomness, returning [0, 1): where the first reconciliation
   * falls, and the jitter of the poller's and the outbox sender's retries. Injected so a test can
   * pin them; the composition root (the runtime, or a test starting a tenant alone) passes
   * `Math.random`.
   */
  random: () => number;
}
