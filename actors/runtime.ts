/**
 * The whole runtime as one supervision tree:
 *
 * ```text
 * root (one-for-one)
 * └── tenants (one-for-one)
 *     ├── tenant:shop
 *     └── tenant:quiz …
 * ```
 *
 * `main.ts` starts it from the config; the demo and the tests start it in-process.
 *
 * @example
 * ```ts ignore
 * import { Runtime } from "./runtime.ts";
 * const runtime = await Runtime.start({ tenants, db: await openDatabase("sqlite::memory:") });
 * console.log(runtime.tenantStatus());
 * await runtime.stop();
 * ```
 * @module
 */
import {
  type ChildStatus,
  Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
} from "./supervisor.ts";
import { type Clock, systemClock } from "./clock.ts";
import { startTenant } from "./tenant.ts";
import type { TenantConfig } from "../config/tenant_schema.ts";
import type { Database } from "../adapters/storage/database.ts";
import { runtimeLogger } from "../adapters/logging.ts";
import { describeError } from "../adapters/telegram/describe_error.ts";
import { redactTokens } from "../adapters/redact.ts";

/** What the runtime is started with. */
export interface RuntimeOptions {
  tenants: readonly TenantConfig[];
  /** The process's database; tenants share it, keyed by tenant id. */
  db: Database;
  clock?: Clock;
  /** Restart policy overrides; the defaults are explained in `supervisor.ts`. */
  supervision?: Omit<SupervisorOptions, "clock" | "onEvent">;
  /** Long-poll duration in seconds (30 by default). */
  pollTimeoutSeconds?: number;
}

/**
 * How long a tenant gets to stop: enough to finish the batch in hand and confirm it to Telegram
 * (one short request), short enough that a stuck tenant cannot hold a deploy hostage.
 */
const tenantShutdownMs = 10_000;

/** A running runtime. */
export class Runtime {
  readonly #root: Supervisor;
  readonly #tenants: () => Supervisor | undefined;

  private constructor(root: Supervisor, tenants: () => Supervisor | undefined) {
    this.#root = root;
    this.#tenants = tenants;
  }

  /** Starts every enabled tenant, in config order; one that cannot start does not stop the rest. */
  static async start(options: RuntimeOptions): Promise<Runtime> {
    const clock = options.clock ?? systemClock;
    const env = { clock, db: options.db, pollTimeoutSeconds: options.pollTimeoutSeconds };
    const supervision = { ...options.supervision, clock, onEvent: logSupervisorEvent };
    const specs = options.tenants.filter((t) => t.enabled).map((config) => ({
      id: config.id,
      start: () => startTenant(config, env),
      restart: "permanent" as const,
      shutdownMs: tenantShutdownMs,
    }));
    let tenants: Supervisor | undefined;
    const root = new Supervisor("root", [{
      id: "tenants",
      // A fresh tenant supervisor for every (re)start: a stopped supervisor does not run again.
      start: async () => {
        tenants = new Supervisor("tenants", specs, supervision);
        await tenants.start();
        return tenants;
      },
      restart: "permanent",
      // Tenants stop one after another, each within its own deadline.
      shutdownMs: tenantShutdownMs * Math.max(1, specs.length),
    }], supervision);
    await root.start();
    return new Runtime(root, () => tenants);
  }

  /** Each tenant's supervision state, in start order. */
  tenantStatus(): ChildStatus[] {
    return this.#tenants()?.status() ?? [];
  }

  /** Stops every tenant in reverse start order. */
  stop(): Promise<void> {
    return this.#root.stop();
  }
}

const log = runtimeLogger("supervisor");

/** Supervision events become log lines: the operator's view of crashes and restarts. */
function logSupervisorEvent(event: SupervisorEvent): void {
  const who = { supervisor: event.supervisor, id: event.id };
  switch (event.type) {
    case "child-start-failed":
      log.warn("{supervisor}/{id} failed to start: {error}", {
        ...who,
        error: describeError(event.error),
      });
      return;
    case "child-exited":
      if (event.reason.kind === "failure") {
        log.warn("{supervisor}/{id} crashed after {ranMs} ms: {error}", {
          ...who,
          ranMs: event.ranMs,
          error: describeError(event.reason.error),
        });
      }
      return;
    case "restart-scheduled":
      log.info("{supervisor}/{id} restarts in {delayMs} ms (attempt {attempt}).", {
        ...who,
        delayMs: event.delayMs,
        attempt: event.attempt,
      });
      return;
    case "child-parked":
      log.error("{supervisor}/{id} is failed ({cause}): {error}; retrying in {retryInMs} ms.", {
        ...who,
        cause: event.cause,
        error: redactTokens(event.error),
        retryInMs: event.retryInMs,
      });
      return;
    case "stop-timeout":
      log.error("{supervisor}/{id} did not stop within {shutdownMs} ms; abandoned.", {
        ...who,
        shutdownMs: event.shutdownMs,
      });
      return;
    case "stop-error":
      log.warn("{supervisor}/{id} failed while stopping: {error}", {
        ...who,
        error: describeError(event.error),
      });
      return;
    case "child-started":
    case "child-stopped":
    case "child-removed":
      log.debug("{supervisor}/{id}: {type}", { ...who, type: event.type });
  }
}
