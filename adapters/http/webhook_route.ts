/**
 * `POST /telegram/<tenantId>`: where Telegram delivers updates to tenants on webhooks. The path
 * names the tenant only; the tenant's secret travels in the `X-Telegram-Bot-Api-Secret-Token`
 * header (set with `setWebhook`'s `secret_token`), so it never lands in access logs.
 *
 * Telegram retries any answer other than 2xx, so the status codes are chosen for that:
 * 200 only once the update is durably recorded (a crash after 200 must not lose it), 503 while
 * draining or while the tenant is stopping or restarting, 500 on a storage failure (all retried
 * later), and 4xx for requests that would fail the same way again. Any JSON body is handed to
 * the tenant, which checks it against the Update shape and records a malformed one as rejected:
 * it is answered 200 too, so Telegram does not send it again and again. Checks run from
 * cheapest to dearest, and the refusals before the last two never reach
 * {@linkcode WebhookTarget.accept}:
 *
 * | answer | when                                                                     |
 * | ------ | ------------------------------------------------------------------------ |
 * | 404    | no such tenant, or the tenant is not on webhooks                         |
 * | 401    | the secret header is missing or wrong                                    |
 * | 503    | the runtime is draining for shutdown                                     |
 * | 413    | the body is over 1 MiB (declared or streamed)                            |
 * | 415    | the body is not declared `Content-Type: application/json`                |
 * | 400    | the body is not UTF-8 JSON                                               |
 * | 503    | the tenant is stopping or restarting (`TenantUnavailableError`)          |
 * | 500    | `accept` failed otherwise                                                |
 * | 200    | `{}`: recorded, as an update to run or as a rejected one                 |
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TenantUnavailableError, webhookRoute, type WebhookTarget } from "./webhook_route.ts";
 * import { startHttpServer } from "./server.ts";
 * import { createMetrics } from "../observability/metrics.ts";
 *
 * const inbox: unknown[] = [];
 * let shopRunning = true;
 * const target: WebhookTarget = {
 *   secretFor: (tenantId) => (tenantId === "shop" ? "hook_secret" : undefined),
 *   accept: async (tenantId, update) => {
 *     if (!shopRunning) throw new TenantUnavailableError(tenantId);
 *     inbox.push(update);
 *   },
 *   draining: () => false,
 * };
 * const metrics = createMetrics();
 * const routes = [webhookRoute({ target, metrics })];
 * await using server = await startHttpServer({ port: 0, hostname: "127.0.0.1", routes });
 * const deliver = async (
 *   body: string,
 *   secret = "hook_secret",
 *   tenant = "shop",
 *   type = "application/json",
 * ) => {
 *   const response = await fetch(`http://127.0.0.1:${server.port}/telegram/${tenant}`, {
 *     method: "POST",
 *     headers: { "x-telegram-bot-api-secret-token": secret, "content-type": type },
 *     body,
 *   });
 *   await response.body?.cancel();
 *   return response.status;
 * };
 *
 * assert.equal(await deliver(JSON.stringify({ update_id: 1 })), 200);
 * assert.deepEqual(inbox, [{ update_id: 1 }]);
 * assert.equal(await deliver(JSON.stringify({ update_id: 2 }), "guess"), 401);
 * assert.equal(await deliver(JSON.stringify({ update_id: 2 }), "hook_secret", "quiz"), 404);
 * assert.equal(await deliver("{not json"), 400);
 * assert.equal(await deliver(JSON.stringify({ update_id: 2 }), "hook_secret", "shop", "text/plain"), 415);
 * shopRunning = false;
 * assert.equal(await deliver(JSON.stringify({ update_id: 2 })), 503); // Telegram retries later
 * assert.equal(inbox.length, 1);
 * assert.match(
 *   await metrics.render(),
 *   /constellation_webhook_requests_total\{tenant="shop",outcome="unavailable",status="503"\} 1/,
 * );
 * ```
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Metrics } from "../observability/metrics.ts";
import { runtimeLogger } from "../observability/logging.ts";
import { redactTokens } from "../observability/redact.ts";
import { constantTimeEqual } from "./constant_time.ts";
import { BodyTooLargeError, readBodyLimited } from "./read_body.ts";
import { jsonResponse } from "./responses.ts";
import type { Route, RouteContext } from "./routes.ts";

/** The runtime's side of the webhook: the lead's runtime implements it. */
export interface WebhookTarget {
  /** The tenant's expected secret token, or undefined if no such tenant is on webhooks. */
  secretFor(tenantId: string): string | undefined;
  /**
   * Durably accepts one update for the tenant, as parsed from the body and not yet checked (the
   * tenant records a malformed one as rejected); resolves only after it is safe to return 200.
   * Rejects on storage failure.
   */
  accept(tenantId: string, update: unknown): Promise<void>;
  /** True while the runtime drains for shutdown: answer 503 so Telegram retries later. */
  draining(): boolean;
}

/**
 * What {@linkcode WebhookTarget.accept} throws for a tenant that exists and is on webhooks but
 * is not running at the moment (stopping, restarting after a crash or a config change): the
 * route answers 503, and Telegram delivers the update again once the tenant is back.
 */
export class TenantUnavailableError extends Error {
  /** The tenant the update was for. */
  readonly tenantId: string;

  constructor(tenantId: string) {
    super(`tenant ${tenantId} is not running at the moment`);
    this.name = "TenantUnavailableError";
    this.tenantId = tenantId;
  }
}

/** What the route is built from. */
export interface WebhookRouteOptions {
  target: WebhookTarget;
  /** When given, every answer is counted in `webhook_requests_total{status}`. */
  metrics?: Metrics;
  /** Where refusals and failures are logged; the `http` runtime logger by default. */
  logger?: Logger;
  /** Applied to every logged error text; removes bot tokens by default. */
  redact?: (text: string) => string;
  /** Largest body accepted; {@linkcode MAX_WEBHOOK_BODY_BYTES} by default. */
  maxBodyBytes?: number;
}

/**
 * 1 MiB: far above any real update (a message is at most a few KiB of JSON), low enough that a
 * flood of large bodies cannot exhaust memory.
 */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** Sent with every 503: the answer is temporary, and a few seconds is enough to get past it. */
const RETRY_LATER = { "retry-after": "5" };

/** The `outcome` label of `constellation_webhook_requests_total`, by the status answered. */
const WEBHOOK_OUTCOMES: Partial<Record<number, string>> = {
  200: "recorded",
  400: "malformed",
  401: "bad_secret",
  404: "not_found",
  413: "too_large",
  415: "not_json",
  500: "error",
  503: "unavailable",
};

/** The header in which Telegram sends `setWebhook`'s `secret_token`. */
const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/** The path of a tenant's webhook, to append to `PUBLIC_URL` when calling `setWebhook`. */
export function webhookPath(tenantId: string): string {
  return `/telegram/${encodeURIComponent(tenantId)}`;
}

/** The `POST /telegram/:tenantId` route. */
export function webhookRoute(options: WebhookRouteOptions): Route {
  const receive = receiver(options);
  return {
    method: "POST",
    path: "/telegram/:tenantId",
    async handle(request, context) {
      let status = 500;
      try {
        const response = await receive(request, context);
        status = response.status;
        return response;
      } finally {
        // Counted in `finally` so an unexpected throw (answered 500 by the server) counts too.
        // Only a webhook tenant's id becomes a label: any path could otherwise add series.
        const id = context.params.tenantId;
        const tenant = options.target.secretFor(id) === undefined ? "" : id;
        options.metrics?.webhookRequests.inc({
          tenant,
          outcome: WEBHOOK_OUTCOMES[status] ?? "other",
          status: String(status),
        });
      }
    },
  };
}

function receiver(options: WebhookRouteOptions) {
  const { target } = options;
  const log = options.logger ?? runtimeLogger("http");
  const redact = options.redact ?? redactTokens;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;

  return async (request: Request, { params, remote }: RouteContext): Promise<Response> => {
    const tenant = params.tenantId;
    const expected = target.secretFor(tenant);
    // Same answer for "no such tenant" and "tenant on polling": the caller learns nothing more.
    if (expected === undefined) return jsonResponse(404, { error: "not found" });

    const given = request.headers.get(SECRET_HEADER);
    if (given === null || given === "") {
      log.warn("Webhook for {tenant} from {remote} without a secret token.", { tenant, remote });
      return jsonResponse(401, { error: `missing ${SECRET_HEADER} header` });
    }
    if (!constantTimeEqual(given, expected)) {
      log.warn("Webhook for {tenant} from {remote} with a wrong secret token.", { tenant, remote });
      return jsonResponse(401, { error: `wrong ${SECRET_HEADER}` });
    }

    if (target.draining()) {
      return jsonResponse(503, { error: "shutting down; retry later" }, RETRY_LATER);
    }

    let body: Uint8Array;
    try {
      body = await readBodyLimited(request, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        return jsonResponse(413, { error: `body exceeds ${maxBodyBytes} bytes` });
      }
      throw error;
    }
    // Telegram always declares JSON: a body declared as anything else is not an update.
    const type = request.headers.get("content-type");
    if (!isJson(type)) {
      return jsonResponse(415, {
        error: `expected Content-Type: application/json, got ${type === null ? "none" : type}`,
      });
    }
    const parsed = parseJson(body);
    if (parsed.ok === false) return jsonResponse(400, { error: parsed.error });

    try {
      await target.accept(tenant, parsed.value);
    } catch (error) {
      if (error instanceof TenantUnavailableError) {
        return jsonResponse(503, { error: "tenant not running; retry later" }, RETRY_LATER);
      }
      log.error("Webhook update {updateId} for {tenant} was not recorded: {error}", {
        tenant,
        updateId: (parsed.value as { update_id?: unknown } | null)?.update_id ?? "without an id",
        error: redact(error instanceof Error ? error.message : String(error)),
      });
      return jsonResponse(500, { error: "could not record the update; retry later" });
    }
    return jsonResponse(200, {});
  };
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** True for `application/json`, with or without parameters such as `charset`. */
function isJson(contentType: string | null): boolean {
  return contentType?.split(";")[0].trim().toLowerCase() === "application/json";
}

/**
 * The JSON value in `body`, or a sentence saying why there is none. Whether it is an Update is
 * the tenant's to check (`update_shape.ts`), so that a malformed one is recorded, not just
 * refused. Error texts never quote the body, which may hold users' messages.
 */
function parseJson(body: Uint8Array): { ok: true; value: unknown } | { ok: false; error: string } {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    return { ok: false, error: "body is not valid UTF-8" };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, error: "body is not valid JSON" };
  }
}
