/**
 * Keeps this instance's tenant leases when several instances share one PostgreSQL database. Every
 * renewal interval (and at once when another instance joins, leaves or releases a tenant) it:
 *
 * 1. heartbeats, and reads which instances are live;
 * 2. renews every lease it holds in one statement, moving each local deadline; a lease the
 *    database no longer gives it is lost, and its tenant stops at once;
 * 3. computes each tenant's desired owner (`rendezvous.ts`): a tenant held here that should run
 *    elsewhere (or no longer runs at all) is **handed over** — the tenant drains (stops polling,
 *    finishes and confirms its batch, flushes due sends) and the lease is released at once, so
 *    the new owner need not wait out the TTL;
 * 4. acquires the tenants that should run here and nobody holds (or whose lease expired), and
 *    starts them. An acquisition never waits for a lock: a lease whose former owner still has a
 *    transaction open counts as held until the next pass, so a paused former owner can never
 *    hold up this instance's renewals; when that owner is no longer live, its transactions are
 *    ended (`PostgresLeases.endStragglers`) and the acquisition is tried again at once.
 *
 * A crashed instance's tenants move once their leases expire (within TTL + one renewal
 * interval); a graceful stop releases them at once. Starting and handing over run beside the
 * loop, so a slow start never delays the renewals of the other leases.
 *
 * Defaults, and why:
 * - **TTL 15 s**: long enough that a garbage-collection pause or a slow statement does not cost
 *   a lease, short enough that a crashed instance's bots are back within about 20 s.
 * - **Renewal every 5 s** (TTL/3): two renewals can fail in a row (a database blip) before a
 *   lease is in danger.
 * - **Margin TTL/5** (3 s): the local deadline is that much before the earliest moment the
 *   database lets another instance take the lease; the holder's last long poll (which the
 *   poller keeps inside the local deadline, see `TenantLease.windowMs`) ends before then.
 *
 * @module
 */
import type { Clock } from "../kernel/clock.ts";
import { desiredOwner } from "./rendezvous.ts";
import { TenantLease } from "./tenant_lease.ts";
import type {
  AcquiredLease,
  LeaseRow,
  PostgresLeases,
} from "../../adapters/storage/postgres/leases.ts";
import type { Logger } from "../../money/ports.ts";
import type { Metrics } from "../../adapters/observability/metrics.ts";
import { describeError } from "../../adapters/telegram/describe_error.ts";
import { formatDuration } from "../../adapters/observability/durations.ts";

/** The lease table as the keeper uses it (`adapters/storage/postgres/leases.ts`). */
export type LeaseTable = Pick<
  PostgresLeases,
  | "instanceId"
  | "heartbeat"
  | "liveInstances"
  | "leave"
  | "acquire"
  | "endStragglers"
  | "renew"
  | "release"
  | "all"
  | "holds"
  | "holdsTogether"
>;

/** How long leases last and how often they are renewed; see the module documentation. */
export interface LeaseTimings {
  ttlMs: number;
  renewMs: number;
}

/** The defaults of {@linkcode LeaseTimings}; see the module documentation for why. */
export const DEFAULT_LEASE_TIMINGS: Readonly<LeaseTimings> = { ttlMs: 15_000, renewMs: 5_000 };

/** What the keeper asks of the runtime. */
export interface LeaseKeeperHooks {
  /** The tenants that may run (enabled, with a usable config), by id. */
  tenants(): readonly string[];
  /** A lease was acquired: start the tenant on it. */
  acquired(lease: TenantLease): Promise<void>;
  /** The tenant moves away: drain and stop it; its lease is released once this resolves. */
  handOver(tenantId: string): Promise<void>;
  /** The lease is gone (expired locally, taken, fenced off): stop the tenant at once. */
  lost(tenantId: string, reason: string): void;
}

/** Tells the other instances to look again, and hears when they tell this one. */
export interface ClusterSignal {
  notify(): Promise<void>;
  listen(onSignal: () => void): Promise<() => Promise<void>>;
}

/** What the keeper is made from. */
export interface LeaseKeeperOptions {
  leases: LeaseTable;
  timings: LeaseTimings;
  hooks: LeaseKeeperHooks;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  signal?: ClusterSignal;
  /** Monotonic milliseconds; `performance.now` by default. */
  monotonic?: () => number;
}

/** One tenant's lease as `/status` shows it. */
export interface LeaseView {
  owner: string | null;
  epoch: number;
}

/** Keeps this instance's leases; see the module documentation. */
export class LeaseKeeper {
  readonly #options: LeaseKeeperOptions;
  readonly #monotonic: () => number;
  readonly #marginMs: number;
  readonly #held = new Map<string, TenantLease>();
  /** Tenants with a start or a handover under way: the loop leaves them alone meanwhile. */
  readonly #busy = new Map<string, Promise<void>>();
  #view = new Map<string, LeaseView>();
  #acquiring = true;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #poked = false;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(options: LeaseKeeperOptions) {
    this.#options = options;
    this.#monotonic = options.monotonic ?? (() => performance.now());
    this.#marginMs = Math.round(options.timings.ttlMs / 5);
  }

  /** This instance's id. */
  get instanceId(): string {
    return this.#options.leases.instanceId;
  }

  /** Joins the cluster: the first pass runs before this resolves, then one every interval. */
  async start(): Promise<void> {
    this.#running = true;
    this.#unlisten = await this.#options.signal?.listen(() => this.poke()).catch((error) => {
      this.#options.logger.warn(
        "Cannot listen for cluster changes ({error}); relying on the {interval} pass.",
        { error: describeError(error), interval: formatDuration(this.#options.timings.renewMs) },
      );
      return undefined;
    });
    await this.#pass();
    await this.#signalOthers();
    this.#loop = this.#run();
  }

  /** Runs the next pass now (another instance joined, left or released a tenant). */
  poke(): void {
    this.#poked = true;
    this.#wake?.();
  }

  /** The leases of every tenant as last read, for `/status` and metrics. */
  leases(): ReadonlyMap<string, LeaseView> {
    return this.#view;
  }

  /** The lease held here for `tenantId`, if any. */
  leaseOf(tenantId: string): TenantLease | undefined {
    return this.#held.get(tenantId);
  }

  /**
   * Stops taking tenants (the process is stopping); the held leases are still renewed while the
   * tenants drain, until {@linkcode LeaseKeeper.leave}.
   */
  stopAcquiring(): void {
    this.#acquiring = false;
  }

  /** Releases every lease at once and leaves the cluster; the tenants must be stopped first. */
  async leave(): Promise<void> {
    this.#acquiring = false;
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled(this.#busy.values());
    const { leases, logger } = this.#options;
    for (const lease of [...this.#held.values()]) await this.#release(lease);
    try {
      await leases.leave();
    } catch (error) {
      logger.warn("Could not leave the cluster cleanly ({error}); the others notice in a TTL.", {
        error: describeError(error),
      });
    }
    await this.#signalOthers();
    await this.#unlisten?.().catch(() => {});
  }

  async #run(): Promise<void> {
    const { clock, timings } = this.#options;
    while (this.#running) {
      if (!this.#poked) {
        await new Promise<void>((resolve) => {
          const timer = clock.setTimeout(() => resolve(), timings.renewMs);
          this.#wake = () => {
            clock.clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
      }
      this.#poked = false;
      if (this.#running) await this.#pass();
    }
  }

  /** One pass; see the module documentation. Never throws. */
  async #pass(): Promise<void> {
    const { leases, logger } = this.#options;
    let live: string[] | undefined;
    try {
      await leases.heartbeat();
      live = await leases.liveInstances();
      if (!live.includes(this.instanceId)) live = [...live, this.instanceId];
    } catch (error) {
      logger.warn(
        "Cluster heartbeat failed ({error}); held tenants run until their leases lapse.",
        {
          error: describeError(error),
        },
      );
    }
    await this.#renew();
    if (live !== undefined) {
      this.#moveAway(live);
      if (this.#acquiring) await this.#acquireMine(live);
    }
    await this.#readView();
  }

  async #renew(): Promise<void> {
    const held = [...this.#held.values()];
    if (held.length === 0) return;
    const sentAt = this.#monotonic();
    let stillHeld: Set<string>;
    try {
      stillHeld = await this.#options.leases.renew(held);
    } catch (error) {
      this.#options.logger.warn("Renewing {count} tenant leases failed: {error}", {
        count: held.length,
        error: describeError(error),
      });
      return;
    }
    for (const lease of held) {
      if (stillHeld.has(lease.tenantId)) lease.renewed(sentAt);
      else this.#lose(lease, "taken", "another instance holds it now");
    }
  }

  /** Hands over every held tenant that should run elsewhere, or not at all. */
  #moveAway(live: readonly string[]): void {
    const wanted = new Set(this.#options.hooks.tenants());
    for (const [tenantId, lease] of this.#held) {
      if (this.#busy.has(tenantId)) continue;
      const owner = wanted.has(tenantId) ? desiredOwner(tenantId, live) : undefined;
      if (owner === this.instanceId) continue;
      const why = owner === undefined ? "it no longer runs" : `it moves to ${owner}`;
      this.#whileBusy(tenantId, async () => {
        this.#options.logger.info("Tenant {tenant}: handing over ({why}).", {
          tenant: tenantId,
          why,
        });
        await this.#options.hooks.handOver(tenantId).catch((error) =>
          this.#options.logger.error("Tenant {tenant}: stopping for the handover failed: {error}", {
            tenant: tenantId,
            error: describeError(error),
          })
        );
        await this.#release(lease);
        await this.#signalOthers();
      });
    }
  }

  /** Acquires and starts the tenants that should run here and are not held. */
  async #acquireMine(live: readonly string[]): Promise<void> {
    for (const tenantId of this.#options.hooks.tenants()) {
      if (!this.#acquiring) return;
      if (this.#held.has(tenantId) || this.#busy.has(tenantId)) continue;
      if (desiredOwner(tenantId, live) !== this.instanceId) continue;
      const sentAt = this.#monotonic();
      let acquired = await this.#tryAcquire(tenantId);
      if (acquired === null) continue;
      if (acquired === undefined && await this.#endStragglers(tenantId)) {
        acquired = await this.#tryAcquire(tenantId);
      }
      if (acquired) this.#take(acquired, sentAt);
    }
  }

  /** One acquisition: the lease, `undefined` when held elsewhere, `null` when it failed (logged). */
  async #tryAcquire(tenantId: string): Promise<AcquiredLease | undefined | null> {
    try {
      return await this.#options.leases.acquire(tenantId);
    } catch (error) {
      this.#options.logger.warn("Tenant {tenant}: acquiring its lease failed: {error}", {
        tenant: tenantId,
        error: describeError(error),
      });
      return null;
    }
  }

  /**
   * Ends a dead former owner's transactions that keep `tenantId`'s lease locked; true when it
   * ended some, so the lease may be free now.
   */
  async #endStragglers(tenantId: string): Promise<boolean> {
    const { leases, logger } = this.#options;
    try {
      const ended = await leases.endStragglers(tenantId);
      if (ended === undefined) return false;
      logger.warn(
        "Tenant {tenant}: ended {ended} open transactions of {owner}, which is no longer live and whose expired lease they kept locked.",
        { tenant: tenantId, ended: ended.ended, owner: ended.owner },
      );
      return ended.ended > 0;
    } catch (error) {
      logger.warn("Tenant {tenant}: ending a former owner's transactions failed: {error}", {
        tenant: tenantId,
        error: describeError(error),
      });
      return false;
    }
  }

  #take(acquired: AcquiredLease, sentAt: number): void {
    const { tenantId, epoch, previousOwner } = acquired;
    const { leases, clock, timings, metrics, logger } = this.#options;
    const lease: TenantLease = new TenantLease({
      tenantId,
      epoch,
      sentAt,
      timings: { ttlMs: timings.ttlMs, marginMs: this.#marginMs },
      clock,
      monotonic: this.#monotonic,
      check: (tx, together): Promise<boolean> =>
        together
          ? leases.holdsTogether(tx, { tenantId, epoch })
          : leases.holds(tx, { tenantId, epoch }),
      onExpired: () =>
        this.#lose(lease, "expired", `not renewed within ${formatDuration(timings.ttlMs)}`),
      onFencedOff: (_, reason) => {
        metrics?.fencedWrites.inc({ tenant: tenantId });
        logger.warn("Tenant {tenant}: a write was fenced off ({reason}).", {
          tenant: tenantId,
          reason,
        });
        this.#lose(lease, "fenced", reason);
      },
    });
    this.#held.set(tenantId, lease);
    const kind = epoch === 1 ? "fresh" : previousOwner === null ? "handover" : "failover";
    metrics?.leaseAcquisitions.inc({ tenant: tenantId, kind });
    logger.info("Tenant {tenant}: lease acquired (epoch {epoch}, {kind}).", {
      tenant: tenantId,
      epoch,
      kind,
      previousOwner,
    });
    this.#whileBusy(tenantId, () => this.#options.hooks.acquired(lease));
  }

  /** The lease is gone without a release: the tenant stops at once. */
  #lose(lease: TenantLease, reason: "expired" | "taken" | "fenced", detail: string): void {
    if (this.#held.get(lease.tenantId) !== lease) return;
    this.#held.delete(lease.tenantId);
    lease.end(detail);
    this.#options.metrics?.leaseLosses.inc({ tenant: lease.tenantId, reason });
    this.#options.logger.warn(
      "Tenant {tenant}: lease lost (epoch {epoch}: {detail}); stopping it.",
      {
        tenant: lease.tenantId,
        epoch: lease.epoch,
        detail,
      },
    );
    this.#options.hooks.lost(lease.tenantId, detail);
  }

  async #release(lease: TenantLease): Promise<void> {
    if (this.#held.get(lease.tenantId) !== lease) return;
    this.#held.delete(lease.tenantId);
    lease.end("released");
    try {
      const released = await this.#options.leases.release(lease);
      if (released) {
        this.#options.logger.info("Tenant {tenant}: lease released (epoch {epoch}).", {
          tenant: lease.tenantId,
          epoch: lease.epoch,
        });
      }
    } catch (error) {
      this.#options.logger.warn(
        "Tenant {tenant}: releasing its lease failed ({error}); it moves once the lease expires.",
        { tenant: lease.tenantId, error: describeError(error) },
      );
    }
  }

  #whileBusy(tenantId: string, work: () => Promise<void>): void {
    const done = work().catch((error) =>
      this.#options.logger.error("Tenant {tenant}: {error}", {
        tenant: tenantId,
        error: describeError(error),
      })
    ).finally(() => this.#busy.delete(tenantId));
    this.#busy.set(tenantId, done);
  }

  async #readView(): Promise<void> {
    let rows: LeaseRow[];
    try {
      rows = await this.#options.leases.all();
    } catch {
      return; // the last view stays; the heartbeat's failure was logged
    }
    this.#view = new Map(
      rows.map((row) => [row.tenantId, { owner: row.live ? row.owner : null, epoch: row.epoch }]),
    );
  }

  async #signalOthers(): Promise<void> {
    await this.#options.signal?.notify().catch(() => {});
  }
}
