/**
 * What the operations endpoints (`/readyz`, `/status`) and the `tenant_state` metric know about
 * the tenants: one report per tenant file, running or not. The runtime implements
 * {@linkcode RuntimeView}; the HTTP layer only reads it, so it never reaches into actors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type RuntimeView, TENANT_STATES, type TenantReport } from "./runtime_view.ts";
 *
 * const shop: TenantReport = {
 *   id: "shop",
 *   enabled: true,
 *   state: "running",
 *   updates: "polling",
 *   restarts: 0,
 * };
 * const quiz: TenantReport = {
 *   id: "quiz",
 *   enabled: true,
 *   state: "invalid",
 *   updates: "polling",
 *   restarts: 0,
 *   configError: "products[1].price: expected an integer ≥ 1, got 0",
 * };
 * const view: RuntimeView = { tenants: () => [shop, quiz], draining: () => false };
 * assert.deepEqual(view.tenants().map((tenant) => tenant.state), ["running", "invalid"]);
 * assert.deepEqual(TENANT_STATES, [
 *   "starting",
 *   "running",
 *   "backoff",
 *   "failed",
 *   "stopping",
 *   "stopped",
 *   "disabled",
 *   "invalid",
 * ]);
 * ```
 * @module
 */
import type { ChildState } from "../../actors/kernel/supervisor.ts";
import type { UpdateDeadLetter } from "../../money/delivery/update_dead_letters.ts";

/**
 * A tenant's state: its supervisor's {@linkcode ChildState}, or `disabled` (`enabled: false` in
 * its file) or `invalid` (its file was refused, so it never started).
 */
export type TenantState = ChildState | "disabled" | "invalid";

// A record keyed by every state: adding a ChildState without listing it here fails to compile,
// so the tenant_state metric can never silently miss a state.
const STATES: Record<TenantState, true> = {
  starting: true,
  running: true,
  backoff: true,
  failed: true,
  stopping: true,
  stopped: true,
  disabled: true,
  invalid: true,
};

/** Every {@linkcode TenantState}, in lifecycle order. */
export const TENANT_STATES: readonly TenantState[] = Object.keys(STATES) as TenantState[];

/** How many tenants are in each state, in lifecycle order; states none is in are left out. */
export function countTenantStates(
  tenants: Iterable<{ state: TenantState }>,
): Partial<Record<TenantState, number>> {
  const counts: Partial<Record<TenantState, number>> = {};
  for (const { state } of tenants) counts[state] = (counts[state] ?? 0) + 1;
  const ordered: Partial<Record<TenantState, number>> = {};
  for (const state of TENANT_STATES) if (counts[state]) ordered[state] = counts[state];
  return ordered;
}

/**
 * The tenants counted by state for a log line: `3 tenants (1 running, 1 backoff, 1 invalid)`,
 * `1 tenant (1 running)`, `no tenant`.
 */
export function describeTenantStates(tenants: Iterable<{ state: TenantState }>): string {
  const counts = Object.entries(countTenantStates(tenants));
  const total = counts.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return "no tenant";
  const states = counts.map(([state, count]) => `${count} ${state}`).join(", ");
  return `${total} ${total === 1 ? "tenant" : "tenants"} (${states})`;
}

/** One tenant as operators see it. */
export interface TenantReport {
  /** The tenant id (its file name). */
  readonly id: string;
  /** `false` when the file says `enabled: false`; counted in `/readyz` as `disabled`. */
  readonly enabled: boolean;
  readonly state: TenantState;
  /** How the tenant receives updates. */
  readonly updates: "polling" | "webhook";
  /** Restarts since the process started. */
  readonly restarts: number;
  /** Text of the most recent failure; may hold secrets until redacted. */
  readonly lastError?: string;
  /** When the tenant last handled an update, in ms since the Unix epoch. */
  readonly lastUpdateAt?: number;
  /** Why the tenant's file was refused, for `invalid` tenants. */
  readonly configError?: string;
  /**
   * Calls the tenant serves without (its command menu …) that keep failing and are being
   * retried; empty or absent when all went through.
   */
  readonly failingOptionalCalls?: readonly FailingOptionalCall[];
}

/** One optional call that keeps failing: the tenant serves, but without what it does. */
export interface FailingOptionalCall {
  /** The call: `setMyCommands (chat 42, ru)`. */
  readonly call: string;
  /** What its last attempt failed with; may hold secrets until redacted. */
  readonly error: string;
  readonly attempts: number;
  /** When it first failed, in ms since the Unix epoch. */
  readonly failingSince: number;
  /** When it is tried next, in ms since the Unix epoch. */
  readonly nextAttemptAt: number;
}

/** Read access to the runtime for the operations endpoints. */
export interface RuntimeView {
  /** A fresh snapshot of every tenant, in config order. */
  tenants(): TenantReport[];
  /**
   * True once the process drains ahead of a stop: `/readyz` answers 503 from then on. The only
   * thing that makes a serving process unready; a tenant's own state never does.
   */
  draining(): boolean;
}

/**
 * How an operator's retry of a dead letter went: `retried` (it runs again now), `not_found` (no
 * such tenant or dead letter) or `unavailable` (the tenant is not running; retry once it is).
 */
export type DeadLetterRetry = "retried" | "not_found" | "unavailable";

/**
 * The updates tenants have set aside (dead letters), for `/status` and the retry and discard
 * endpoints.
 */
export interface DeadLetterDesk {
  /** Every tenant's dead letters, running or not. */
  deadLetters(): Promise<UpdateDeadLetter[]>;
  /** Runs a dead letter again in its tenant. */
  retryDeadLetter(tenantId: string, updateId: number): Promise<DeadLetterRetry>;
  /** Forgets a dead letter for good; false when there is no such tenant or dead letter. */
  discardDeadLetter(tenantId: string, updateId: number): Promise<boolean>;
}
