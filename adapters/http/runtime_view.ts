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
 * const view: RuntimeView = { tenants: () => [shop, quiz] };
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

/**
 * Every {@linkcode TenantState}, in lifecycle order.
 */
export const TENANT_STATES: readonly TenantState[] = Object.keys(STATES) as TenantState[];

/**
 * One tenant as operators see it.
 */
export interface TenantReport {
  /** The tenant id (its file name). */
  readonly id: string;
  /** `false` when the file says `enabled: false`; such a tenant never counts against readiness. */
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
}

/**
 * Read access to the runtime for the operations endpoints.
 */
export interface RuntimeView {
  /** A fresh snapshot of every tenant, in config order. */
  tenants(): TenantReport[];
}
