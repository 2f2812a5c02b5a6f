/**
 * The operations endpoints, served next to the webhooks:
 *
 * - `GET /healthz`: 200 `ok` while the process can answer at all (liveness).
 * - `GET /readyz`: 200 while the process can serve (its database is open, its config loaded and
 *   its HTTP server up, which hold once this route answers at all), 503 once it drains
 *   (readiness). A tenant that is parked (its token refused), invalid or in backoff does not make
 *   the process unready: taking the pod out of a load balancer would cut every healthy tenant's
 *   webhooks too. Per-tenant health is in `/status` and the `tenant_state` metric; the body only
 *   counts the tenants by state.
 * - `GET /metrics`: Prometheus text.
 * - `GET /status`: every tenant in JSON with its dead letters (updates it set aside), behind
 *   `Authorization: Bearer <ADMIN_TOKEN>`; answers 404 while `ADMIN_TOKEN` is not set, so the
 *   endpoint is off unless an operator turns it on.
 * - `POST /dead-letters/<tenantId>/<updateId>/retry`: runs a dead letter again in its tenant
 *   (202; 503 while the tenant is not running), and `…/discard` forgets it (200); 404 for an
 *   unknown tenant or dead letter. Behind the admin token like `/status`.
 *
 * Every body that quotes tenant errors (`/status`) or metric labels (`/metrics`)
 * passes through `redact` first: error texts may quote request URLs and with them bot tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { opsRoutes } from "./ops_routes.ts";
 * import type { TenantReport } from "./runtime_view.ts";
 * import { startHttpServer } from "./server.ts";
 * import { createMetrics } from "../observability/metrics.ts";
 * import { redactTokens } from "../observability/redact.ts";
 *
 * const quiz: TenantReport = {
 *   id: "quiz",
 *   enabled: true,
 *   state: "failed",
 *   updates: "polling",
 *   restarts: 3,
 *   lastError: "FatalError: GET /bot123456:AAAAAAAAAAAAAAAAAAAAAAAA/getMe: 401 Unauthorized",
 * };
 * let draining = false;
 * const routes = opsRoutes({
 *   runtime: { tenants: () => [quiz], draining: () => draining },
 *   deadLetters: {
 *     deadLetters: () => Promise.resolve([]),
 *     retryDeadLetter: () => Promise.resolve("not_found"),
 *     discardDeadLetter: () => Promise.resolve(false),
 *   },
 *   metrics: createMetrics(),
 *   adminToken: "let-me-in",
 *   redact: redactTokens,
 * });
 * await using server = await startHttpServer({ port: 0, hostname: "127.0.0.1", routes });
 * const get = (path: string, headers: HeadersInit = {}) =>
 *   fetch(`http://127.0.0.1:${server.port}${path}`, { headers });
 *
 * // A parked tenant does not make the process unready; draining does.
 * const ready = await get("/readyz");
 * assert.equal(ready.status, 200);
 * assert.deepEqual(await ready.json(), { ready: true, tenants: { failed: 1 } });
 * draining = true;
 * const drained = await get("/readyz");
 * assert.equal(drained.status, 503);
 * assert.deepEqual(await drained.json(), { ready: false, reason: "draining", tenants: { failed: 1 } });
 *
 * const anonymous = await get("/status");
 * assert.equal(anonymous.status, 401);
 * await anonymous.body?.cancel();
 * const status = await get("/status", { authorization: "Bearer let-me-in" });
 * const [shown] = (await status.json()).tenants;
 * assert.equal(shown.restarts, 3);
 * assert.deepEqual(shown.deadLetters, []);
 * ```
 * @module
 */
import type { Metrics } from "../observability/metrics.ts";
import { refuseWithoutAdminToken } from "./admin_auth.ts";
import { deadLetterRoutes } from "./dead_letter_routes.ts";
import { textResponse } from "./responses.ts";
import type { Route } from "./routes.ts";
import {
  countTenantStates,
  type DeadLetterDesk,
  type RuntimeView,
  type TenantReport,
} from "./runtime_view.ts";
import type { UpdateDeadLetter } from "../../money/delivery/update_dead_letters.ts";

/** What the operations endpoints read. */
export interface OpsRoutesOptions {
  runtime: RuntimeView;
  /** The tenants' dead letters: listed in `/status`, retried and discarded by operators. */
  deadLetters: DeadLetterDesk;
  metrics: Metrics;
  /** `ADMIN_TOKEN`; without it `/status` answers 404. */
  adminToken?: string;
  /** Removes secrets (bot tokens, webhook secrets, API hashes) from a text. */
  redact: (text: string) => string;
}

/** The operations routes. */
export function opsRoutes(options: OpsRoutesOptions): Route[] {
  const { runtime, metrics, redact } = options;
  // Each string is redacted before it is escaped into JSON, so a secret holding a character
  // that JSON escapes is still recognised.
  const redactedJson = (status: number, body: unknown) =>
    textResponse(
      status,
      JSON.stringify(body, (_key, value) => typeof value === "string" ? redact(value) : value),
      { "content-type": "application/json; charset=utf-8" },
    );

  return [
    { method: "GET", path: "/healthz", handle: () => textResponse(200, "ok") },
    {
      method: "GET",
      path: "/readyz",
      handle() {
        // Readiness is the process's, never a tenant's: see the module documentation.
        const tenants = countTenantStates(runtime.tenants());
        return runtime.draining()
          ? redactedJson(503, { ready: false, reason: "draining", tenants })
          : redactedJson(200, { ready: true, tenants });
      },
    },
    {
      method: "GET",
      path: "/metrics",
      async handle() {
        const text = redact(await metrics.render());
        return textResponse(200, text, { "content-type": metrics.contentType });
      },
    },
    {
      method: "GET",
      path: "/status",
      async handle(request) {
        const denied = refuseWithoutAdminToken(request, options.adminToken);
        if (denied !== undefined) return denied;
        // The tenants are known without the database: while it is down (when operators look
        // most), /status still answers, saying the dead letters could not be read.
        let deadLetters: UpdateDeadLetter[] | undefined;
        let storageError: string | undefined;
        try {
          deadLetters = await options.deadLetters.deadLetters();
        } catch (error) {
          storageError = `dead letters could not be read: ${
            error instanceof Error ? error.message : String(error)
          }`;
        }
        const tenants = runtime.tenants().map((tenant) => statusOf(tenant, deadLetters));
        // `instance` names this process when several share the database, else it is null.
        return redactedJson(200, {
          instance: runtime.instanceId ?? null,
          ...(storageError !== undefined && { storageError }),
          tenants,
        });
      },
    },
    ...deadLetterRoutes(options),
  ];
}

/** One dead letter as `/status` shows it. */
function deadLetterOf(letter: UpdateDeadLetter) {
  return {
    updateId: letter.updateId,
    kind: letter.kind,
    payment: letter.movesMoney,
    attempts: letter.attempts,
    error: letter.error,
    deadAt: new Date(letter.deadAt).toISOString(),
  };
}

function statusOf(tenant: TenantReport, deadLetters: readonly UpdateDeadLetter[] | undefined) {
  return {
    id: tenant.id,
    state: tenant.state,
    updates: tenant.updates,
    restarts: tenant.restarts,
    lastError: tenant.lastError ?? null,
    lastUpdateAt: tenant.lastUpdateAt === undefined
      ? null
      : new Date(tenant.lastUpdateAt).toISOString(),
    ...(tenant.configError !== undefined && { configError: tenant.configError }),
    ...(tenant.owner !== undefined && { owner: tenant.owner, epoch: tenant.epoch ?? 0 }),
    // The tenant serves, but without what these do; they are being retried.
    failingOptionalCalls: (tenant.failingOptionalCalls ?? []).map((failing) => ({
      call: failing.call,
      error: failing.error,
      attempts: failing.attempts,
      failingSince: new Date(failing.failingSince).toISOString(),
      nextAttemptAt: new Date(failing.nextAttemptAt).toISOString(),
    })),
    // null: unknown at the moment (see `storageError`).
    deadLetters: deadLetters?.filter((letter) => letter.tenantId === tenant.id).map(deadLetterOf) ??
      null,
  };
}
