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
 *   "remote",
 * ]);
 * ```
 * @module
 */
import type { ChildState } from "../../actors/kernel/supervisor.ts";
import type { UpdateDeadLetter } from "../../money/delivery/update_dead_letters.ts";
import type { RefundOutcome } from "../../money/payments/refunds.ts";
import type { StarBalance } from "../../money/bot_stars/types.ts";

/**
 * A tenant's state: its supervisor's {@linkcode ChildState}, or `disabled` (`enabled: false` in
 * its file) or `invalid` (its file was refused, so it never started), or — when several
 * instances share the database — `remote`: another instance runs it (or is about to).
 */
export type TenantState = ChildState | "disabled" | "invalid" | "remote";

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
  remote: true,
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
  /**
   * The instance holding the tenant's lease when several processes share one database (`null`
   * while none does); absent while one process serves them all.
   */
  readonly owner?: string | null;
  /** The epoch of that lease: it grows by one at every change of owner. */
  readonly epoch?: number;
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
  /** This instance's id when several instances share the database (`INSTANCE_ID`). */
  readonly instanceId?: string;
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

/**
 * How an operator's refund from the console went: the payment refunds service's own outcome,
 * or `not_running` (no such tenant, or it is not running: its bot cannot be asked now).
 */
export type OperatorRefund = RefundOutcome | { kind: "not_running"; chargeId: string };

/** A product as the console's config summary shows it. */
export interface ProductSummary {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly price: number;
  readonly enabled: boolean;
}

/**
 * A tenant's config without its secrets (token, webhook secret, API hash): only what an
 * operator needs to recognise the bot and its settings.
 */
export interface TenantSummary {
  readonly id: string;
  /** The tenant file. */
  readonly source: string;
  readonly updates: "polling" | "webhook";
  readonly apiRoot: string;
  readonly testEnvironment: boolean;
  readonly locale: string;
  readonly admins: readonly number[];
  readonly starsEnabled: boolean;
  readonly products: readonly ProductSummary[];
  /** The plugin module, when the tenant has one. */
  readonly plugin?: string;
  /** True when the bot's balance is read over MTProto first. */
  readonly mtproto: boolean;
}

/** What the operator console asks of the runtime beyond {@linkcode RuntimeView}. */
export interface OperatorDesk {
  /**
   * Refunds a payment through the running tenant's refunds service (idempotent: a second
   * request for the same charge finds it done and asks Telegram nothing).
   */
  refund(tenantId: string, chargeId: string): Promise<OperatorRefund>;
  /** The bot's own Stars with their source and age, or why they cannot be read now. */
  starsBalance(tenantId: string): Promise<StarBalance | { error: string }>;
  /** The tenant's last good config without secrets; undefined for an unknown tenant. */
  tenantSummary(tenantId: string): TenantSummary | undefined;
  /** Outbox items not yet sent; undefined while the tenant is not running. */
  outboxBacklog(tenantId: string): Promise<number | undefined>;
}
