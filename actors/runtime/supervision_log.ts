/**
 * Turns supervision events into log lines — the operator's view of crashes, restarts and parked
 * tenants — and counts restarts for `/metrics`. Error texts are redacted: a network error quotes
 * the request URL, and that URL carries the bot token.
 *
 * @module
 */
import type { SupervisorEvent } from "../kernel/supervisor.ts";
import { runtimeLogger } from "../../adapters/observability/logging.ts";
import { describeError } from "../../adapters/telegram/describe_error.ts";
import type { Metrics } from "../../adapters/observability/metrics.ts";
import { formatDuration } from "../../adapters/observability/durations.ts";

const log = runtimeLogger("supervisor");

/** What {@linkcode supervisionObserver} reports through. */
export interface SupervisionObserverOptions {
  /** Counts tenant restarts when given. */
  metrics?: Metrics;
  /**
   * True (once) when the tenant `id`'s next start is a config reload's, not a restart after a
   * failure: such a start is counted by the runtime in `tenant_config_reloads_total` instead.
   */
  takeConfigReload?(id: string): boolean;
  /**
   * Blanks out the secrets the process knows (the runtime's redactor): a parked child's error
   * is a bare string, which may quote a webhook secret or an API hash as well as a token.
   */
  redact(text: string): string;
}

/** An `onEvent` handler for supervisors. */
export function supervisionObserver(
  options: SupervisionObserverOptions,
): (event: SupervisorEvent) => void {
  const { metrics, redact } = options;
  const started = new Set<string>();
  return (event) => {
    const who = { supervisor: event.supervisor, id: event.id };
    switch (event.type) {
      case "child-started":
        // Every start after a child's first is a restart, unless a config change caused it.
        if (event.supervisor === "tenants") {
          const reload = options.takeConfigReload?.(event.id) ?? false;
          if (started.has(event.id) && !reload) metrics?.tenantRestarts.inc({ tenant: event.id });
        }
        started.add(event.id);
        log.debug("{supervisor}/{id} started.", who);
        return;
      case "child-start-failed":
        if (event.supervisor === "tenants") options.takeConfigReload?.(event.id);
        log.warn("{supervisor}/{id} failed to start: {error}", {
          ...who,
          error: describeError(event.error),
        });
        return;
      case "child-exited":
        if (event.reason.kind === "failure") {
          log.warn("{supervisor}/{id} crashed after {ran}: {error}", {
            ...who,
            ran: formatDuration(event.ranMs),
            ranMs: event.ranMs,
            error: describeError(event.reason.error),
          });
        }
        return;
      case "restart-scheduled":
        log.info("{supervisor}/{id} restarts in {delay} (attempt {attempt}).", {
          ...who,
          delay: formatDuration(event.delayMs),
          delayMs: event.delayMs,
          attempt: event.attempt,
        });
        return;
      case "child-parked":
        log.error("{supervisor}/{id} is failed ({cause}): {error}; retrying in {retryIn}.", {
          ...who,
          cause: event.cause,
          error: redact(event.error),
          retryIn: formatDuration(event.retryInMs),
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
      case "child-stopped":
      case "child-removed":
        started.delete(event.id);
        log.debug("{supervisor}/{id}: {type}", { ...who, type: event.type });
    }
  };
}
