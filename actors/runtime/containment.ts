/**
 * Process-level containment: no error of a tenant or its plugin ends the process. Deno ends a
 * process on an unhandled promise rejection or an exception thrown from a timer; with many bots
 * in one process that let one plugin's bug stop them all, and the update that caused it ran
 * again at every start. {@linkcode containUncaughtErrors} listens for both events, prevents the
 * exit, and traces the error to the tenant whose work it came from, which is then crashed
 * through its supervisor (and restarted); an error traced to no tenant is logged and counted.
 *
 * Tracing: each tenant's start runs inside {@linkcode runAsTenant}, and everything it starts —
 * its actor, poller, handlers and the promises and timers those create — inherits that scope
 * (an `AsyncLocalStorage`). A rejection is reported in the scope that created the promise, so it
 * is traced there. A throw in a timer is reported outside any scope: it is logged and counted,
 * and the process keeps running. A plugin's code, where such bugs are likeliest, runs in a worker
 * (one per plugin file, `adapters/plugins/`), whose uncaught errors end only that worker.
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Metrics } from "../../adapters/observability/metrics.ts";
import { runtimeLogger } from "../../adapters/observability/logging.ts";

const tenantScope = new AsyncLocalStorage<string>();

/** Runs `start` (and everything it starts, now or later) as work of tenant `tenantId`. */
export function runAsTenant<T>(tenantId: string, start: () => T): T {
  return tenantScope.run(tenantId, start);
}

/** The tenant whose work is running now, if any. */
export function currentTenant(): string | undefined {
  return tenantScope.getStore();
}

/** Who an uncaught error belongs to, and what to do with it: the runtime. */
export interface UncaughtErrorOwner {
  /** Crashes the tenant through its supervisor; false when it is not running. */
  crashTenant(tenantId: string, error: unknown): boolean;
}

/** What else {@linkcode containUncaughtErrors} reports to. */
export interface ContainmentOptions {
  metrics?: Metrics;
}

const log = runtimeLogger("containment");

/** The text an error is traced and logged by: its stack when it has one. */
function traceText(error: unknown): string {
  return error instanceof Error ? error.stack ?? `${error.name}: ${error.message}` : String(error);
}

/**
 * Keeps the process alive through uncaught errors and crashes only the tenant each belongs to;
 * see the module doc. Returns a function that removes the listeners.
 */
export function containUncaughtErrors(
  owner: UncaughtErrorOwner,
  options: ContainmentOptions = {},
): () => void {
  const contain = (error: unknown, where: string) => {
    const text = traceText(error);
    const tenant = currentTenant();
    if (tenant === undefined) {
      options.metrics?.uncaughtErrors.inc({ tenant: "" });
      log.error("{where} outside any tenant; the process keeps running: {error}", {
        where,
        error: text,
      });
      return;
    }
    options.metrics?.uncaughtErrors.inc({ tenant });
    const crashed = owner.crashTenant(tenant, error);
    log.error("{where} in tenant {tenant}; {outcome}: {error}", {
      where,
      tenant,
      outcome: crashed ? "restarting the tenant" : "the tenant is not running",
      error: text,
    });
  };
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    contain(event.reason, "Unhandled promise rejection");
  };
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    contain(event.error ?? event.message, "Uncaught exception");
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  globalThis.addEventListener("error", onError);
  return () => {
    globalThis.removeEventListener("unhandledrejection", onRejection);
    globalThis.removeEventListener("error", onError);
  };
}
