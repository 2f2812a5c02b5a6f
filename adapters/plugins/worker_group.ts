/**
 * One plugin worker over its runs, for the tenants that use it (its *members*): a process-wide
 * one per plugin file (`plugin_workers.ts`), or a tenant's own (`"pluginWorker": "own"`).
 *
 * **The worker starts on demand.** A worker costs about 13 MiB and 30 ms to start, and most
 * tenants of a large fleet are idle most of the time, so nothing starts with a tenant: the first
 * update of any member starts the worker, and each member's first update installs that member's
 * plugin instance in it. A worker that has handled nothing for `idleStopAfterMs` (5 minutes),
 * counting every member's updates, is stopped, to start again with the next update; so is one
 * whose last member leaves. A plugin therefore must not count on its in-memory state or its
 * timers outliving an idle spell (nor a restart, as before).
 *
 * **Restarts.** A run that fails (`worker_session.ts`: a crash, a blocked thread, too much
 * memory, a module that cannot load) fails the updates of every member in it; each member that
 * was in it is told, and the worker is started again with backoff (`actors/kernel/backoff.ts`),
 * on demand too: until the delay has passed, updates fail at once, and the next update after it
 * starts the worker, where each member reinstalls with its own next update. A broken plugin of
 * idle tenants so costs nothing, rather than a worker started every 30 s forever.
 *
 * The limits, backoff, idle stop and clock are those of the member that made the group; members
 * of one file share them, as they share its worker.
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Clock, TimerId } from "../../actors/kernel/clock.ts";
import { backoffDelay, type BackoffPolicy } from "../../actors/kernel/backoff.ts";
import {
  type Ending,
  PluginFailure,
  type PluginLimits,
  type TenantBinding,
  WorkerSession,
} from "./worker_session.ts";

/** How a group runs its worker; see the module doc. */
export interface GroupOptions {
  /** The plugin module's real path. */
  path: string;
  /** The worker's name: whom it serves. */
  name: string;
  limits: PluginLimits;
  backoff: BackoffPolicy;
  /** Jitter of the restart delays, returning [0, 1]. */
  random: () => number;
  clock: Clock;
  idleStopAfterMs: number;
  /** Where what concerns the worker itself is logged. */
  logger: Logger;
}

/** A tenant using a group's worker. */
export interface Member {
  readonly binding: TenantBinding;
  /** Its instance is being installed in a run: `installed` settles when that is known. */
  joining(installed: Promise<void>): void;
  /** A run it was in failed for `reason`; the worker starts again after `delayMs`. */
  workerFailed(reason: string, delayMs: number): void;
}

/** One plugin worker over its runs; see the module doc. */
export class WorkerGroup {
  readonly #options: GroupOptions;
  readonly #members = new Set<Member>();
  /** The running worker; none before the first update, while idle or while a restart waits. */
  #session: WorkerSession | undefined;
  /** When the current worker was started (the clock's time), for the backoff's reset. */
  #sessionStartedAt = 0;
  /** Updates in the worker now; it is never stopped as idle while it holds one. */
  #busy = 0;
  /** When the worker last received or finished an update (the clock's time). */
  #lastUsedAt = 0;
  #idleTimer: TimerId | undefined;
  /** After a failure, no worker is started before this time (the clock's). */
  #retryAt = 0;
  /** Runs that ended one after another, for the backoff. */
  #failures = 0;
  /** Why the last run ended, for the updates that fail meanwhile. */
  #lastFailure = "";

  constructor(options: GroupOptions) {
    this.#options = options;
  }

  /** Whether a worker runs now. */
  get running(): boolean {
    return this.#session !== undefined;
  }

  /** How many tenants use this worker (whether it runs or not). */
  get members(): number {
    return this.#members.size;
  }

  /** The running worker, if any, for a look at it (`wants`) without starting one. */
  get session(): WorkerSession | undefined {
    return this.#session;
  }

  add(member: Member): void {
    this.#members.add(member);
  }

  /**
   * Takes `member` out: its instance leaves the worker, and the worker stops if no member is
   * left. Returns whether none is.
   */
  remove(member: Member, reason: string): boolean {
    this.#members.delete(member);
    this.#session?.leave(member.binding.tenantId, reason);
    if (this.#members.size > 0) return false;
    this.#clearIdleTimer();
    this.#session?.terminate(reason);
    this.#session = undefined;
    return true;
  }

  /**
   * The running worker with `member`'s instance in it, started and joined now if need be; throws
   * a {@linkcode PluginFailure} while a restart waits.
   */
  sessionFor(member: Member): WorkerSession {
    const now = this.#clock.now();
    this.#lastUsedAt = now;
    let session = this.#session;
    if (session === undefined) {
      if (now < this.#retryAt) {
        throw new PluginFailure(`the plugin is restarting (${this.#lastFailure})`);
      }
      session = this.#start(now);
    }
    if (!session.holds(member.binding.tenantId)) member.joining(session.join(member.binding));
    return session;
  }

  /** An update goes into the worker: it is not idle until the update is out. */
  began(): void {
    this.#busy++;
  }

  /** An update came out of the worker. */
  finished(): void {
    this.#busy--;
    this.#lastUsedAt = this.#clock.now();
  }

  get #clock(): Clock {
    return this.#options.clock;
  }

  #start(now: number): WorkerSession {
    const { path, name, limits, logger } = this.#options;
    const session = WorkerSession.start({ path, name, limits, logger });
    this.#session = session;
    this.#sessionStartedAt = now;
    void session.ended.then((ending) => this.#ended(session, ending));
    this.#armIdleTimer(this.#options.idleStopAfterMs);
    return session;
  }

  #ended(session: WorkerSession, { reason, failure, tenants }: Ending): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    this.#clearIdleTimer();
    // No instance left (each failed to install, and its tenant backs off): no failure of the
    // worker, so no delay for the other members.
    if (!failure) return;
    this.#lastFailure = reason;
    const now = this.#clock.now();
    const { backoff, random } = this.#options;
    if (now - this.#sessionStartedAt >= backoff.resetAfterMs) this.#failures = 0;
    const delayMs = Math.round(backoffDelay(backoff, this.#failures, random));
    this.#failures++;
    this.#retryAt = now + delayMs;
    // Told: the members that were in it. The others lost nothing, and learn of the delay only
    // if an update of theirs comes before it is over.
    const hit = new Set(tenants);
    for (const member of this.#members) {
      if (hit.has(member.binding.tenantId)) member.workerFailed(reason, delayMs);
    }
  }

  #armIdleTimer(delayMs: number): void {
    this.#clearIdleTimer();
    this.#idleTimer = this.#clock.setTimeout(() => this.#checkIdle(), delayMs);
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer !== undefined) this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Stops a worker idle for `idleStopAfterMs`; otherwise looks again when it would be. */
  #checkIdle(): void {
    this.#idleTimer = undefined;
    const session = this.#session;
    if (session === undefined) return;
    const { idleStopAfterMs } = this.#options;
    const idleMs = this.#clock.now() - this.#lastUsedAt;
    if (this.#busy > 0 || idleMs < idleStopAfterMs) {
      this.#armIdleTimer(this.#busy > 0 ? idleStopAfterMs : idleStopAfterMs - idleMs);
      return;
    }
    this.#session = undefined;
    this.#failures = 0; // it ran until it had nothing to do: the next start is no retry
    session.terminate("idle");
    this.#options.logger.debug(
      "Stopped the plugin's worker, idle for {idleMs} ms; the next update starts it again.",
      { idleMs },
    );
  }
}
