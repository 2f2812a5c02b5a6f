/**
 * One tenant lease as its holder sees it: the epoch it acquired, and a **local deadline** on the
 * monotonic clock — the time the last renewal was *sent*, plus the TTL, minus a margin. The
 * database's expiry is at least that late (its `now()` ran after the send), so once the local
 * deadline passes, the lease may be gone and the tenant stops polling and writing at once, even
 * when the database cannot be reached to ask. A lease is also the tenant's
 * {@linkcode Fence}: every write transaction checks it in the database.
 *
 * @example The local deadline moves with each renewal, and ends the lease when missed
 * ```ts
 * import assert from "node:assert/strict";
 * import { TenantLease } from "./tenant_lease.ts";
 * import { ManualClock } from "../kernel/clock.ts";
 *
 * const clock = new ManualClock(0);
 * const ended: string[] = [];
 * const lease = new TenantLease({
 *   tenantId: "shop",
 *   epoch: 3,
 *   sentAt: 0,
 *   timings: { ttlMs: 15_000, marginMs: 3_000 },
 *   clock,
 *   monotonic: () => clock.now(),
 *   check: async () => true,
 *   onExpired: (l) => ended.push(`expired ${l.epoch}`),
 *   onFencedOff: () => {},
 * });
 * assert.equal(lease.windowMs(), 12_000);
 * await clock.advance(10_000);
 * lease.renewed(10_000);
 * await clock.advance(11_000);
 * assert.ok(lease.heldLocally());
 * await clock.advance(1_000); // 22 s: the renewal sent at 10 s covered until 22 s
 * assert.equal(lease.heldLocally(), false);
 * assert.deepEqual(ended, ["expired 3"]);
 * assert.ok(lease.signal.aborted);
 * ```
 * @module
 */
import type { Clock, TimerId } from "../kernel/clock.ts";
import type { SqlRunner } from "../../money/ports.ts";
import type { Fence } from "../../adapters/storage/fenced_database.ts";

/** How long a lease lasts and how early its holder gives it up. */
export interface LeaseWindow {
  /** How long a lease lasts after its last renewal, by the database's clock. */
  ttlMs: number;
  /** How long before that the holder stops, by its own clock. */
  marginMs: number;
}

/** What a {@linkcode TenantLease} is made from. */
export interface TenantLeaseOptions {
  tenantId: string;
  epoch: number;
  /** When the statement that acquired it was sent, on `monotonic`. */
  sentAt: number;
  timings: LeaseWindow;
  clock: Clock;
  /** A clock that never jumps (`performance.now`), in ms. */
  monotonic: () => number;
  /** The fence's check inside a write transaction (`PostgresLeases.holds`); see `Fence.check`. */
  check(tx: SqlRunner, together?: boolean): Promise<boolean>;
  /** The local deadline passed without a renewal. */
  onExpired(lease: TenantLease): void;
  /** A write was refused in the database. */
  onFencedOff(lease: TenantLease, reason: string): void;
}

/** A held lease; see the module documentation. */
export class TenantLease implements Fence {
  readonly tenantId: string;
  readonly epoch: number;
  readonly #options: TenantLeaseOptions;
  readonly #ended = new AbortController();
  #deadline = 0;
  #timer: TimerId | undefined;

  constructor(options: TenantLeaseOptions) {
    this.tenantId = options.tenantId;
    this.epoch = options.epoch;
    this.#options = options;
    this.renewed(options.sentAt);
  }

  /** Aborted once the lease is over: lost, expired or released. */
  get signal(): AbortSignal {
    return this.#ended.signal;
  }

  /** Moves the local deadline after a renewal that was sent at `sentAt` (monotonic). */
  renewed(sentAt: number): void {
    if (this.#ended.signal.aborted) return;
    const { timings, clock, monotonic } = this.#options;
    this.#deadline = sentAt + timings.ttlMs - timings.marginMs;
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#timer = clock.setTimeout(() => this.#checkDeadline(), this.#deadline - monotonic());
  }

  /** How long from now the lease is surely held: a long poll started now must end by then. */
  windowMs(): number {
    if (this.#ended.signal.aborted) return 0;
    return Math.max(0, this.#deadline - this.#options.monotonic());
  }

  heldLocally(): boolean {
    return this.windowMs() > 0;
  }

  check(tx: SqlRunner, together?: boolean): Promise<boolean> {
    return this.#options.check(tx, together);
  }

  fencedOff(reason: string): void {
    this.#options.onFencedOff(this, reason);
  }

  /** Ends the lease (lost, expired or released): the tenant's signal aborts with `reason`. */
  end(reason: string): void {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#ended.signal.aborted) this.#ended.abort(new Error(reason));
  }

  #checkDeadline(): void {
    this.#timer = undefined;
    if (this.#ended.signal.aborted) return;
    const left = this.#deadline - this.#options.monotonic();
    if (left > 0) {
      // A timer may fire a little early; wait out the rest.
      this.#timer = this.#options.clock.setTimeout(() => this.#checkDeadline(), left);
      return;
    }
    this.end("its local deadline passed without a renewal");
    this.#options.onExpired(this);
  }
}
