/**
 * What an operator does with a dead letter (an update its tenant set aside, listed in
 * `/status`), behind the admin token like `/status`:
 *
 * | request                                          | answer                                    |
 * | ------------------------------------------------ | ----------------------------------------- |
 * | `POST /dead-letters/<tenantId>/<updateId>/retry`   | 202: back in the inbox, running again     |
 * | `POST /dead-letters/<tenantId>/<updateId>/discard` | 200: forgotten for good                   |
 * | either, for an unknown tenant or dead letter      | 404                                       |
 * | `retry` while the tenant is not running           | 503 with `Retry-After`                    |
 * | an update id that is not an integer               | 400                                       |
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deadLetterRoutes } from "./dead_letter_routes.ts";
 * import { startHttpServer } from "./server.ts";
 *
 * const dead = new Set(["shop/7"]);
 * const routes = deadLetterRoutes({
 *   adminToken: "let-me-in",
 *   deadLetters: {
 *     deadLetters: () => Promise.resolve([]),
 *     retryDeadLetter: (tenant, updateId) =>
 *       Promise.resolve(dead.delete(`${tenant}/${updateId}`) ? "retried" : "not_found"),
 *     discardDeadLetter: (tenant, updateId) =>
 *       Promise.resolve(dead.delete(`${tenant}/${updateId}`)),
 *   },
 * });
 * await using server = await startHttpServer({ port: 0, hostname: "127.0.0.1", routes });
 * const post = async (path: string, token = "let-me-in") => {
 *   const response = await fetch(`http://127.0.0.1:${server.port}${path}`, {
 *     method: "POST",
 *     headers: { authorization: `Bearer ${token}` },
 *   });
 *   await response.body?.cancel();
 *   return response.status;
 * };
 * assert.equal(await post("/dead-letters/shop/7/retry", "guess"), 401);
 * assert.equal(await post("/dead-letters/shop/7/retry"), 202);
 * assert.equal(await post("/dead-letters/shop/7/discard"), 404); // retried already
 * assert.equal(await post("/dead-letters/shop/x/discard"), 400);
 * ```
 * @module
 */
import { refuseWithoutAdminToken } from "./admin_auth.ts";
import { jsonResponse } from "./responses.ts";
import type { Route, RouteContext } from "./routes.ts";
import type { DeadLetterDesk } from "./runtime_view.ts";

/** What the routes need. */
export interface DeadLetterRoutesOptions {
  deadLetters: DeadLetterDesk;
  /** `ADMIN_TOKEN`; without it the routes answer 404. */
  adminToken?: string;
}

/** The target of a request, or the answer refusing it. */
function targetOf(
  request: Request,
  { params }: RouteContext,
  adminToken: string | undefined,
): { tenantId: string; updateId: number } | Response {
  const denied = refuseWithoutAdminToken(request, adminToken);
  if (denied !== undefined) return denied;
  const updateId = Number(params.updateId);
  if (!/^\d+$/.test(params.updateId) || !Number.isSafeInteger(updateId)) {
    return jsonResponse(400, { error: "the update id must be a non-negative integer" });
  }
  return { tenantId: params.tenantId, updateId };
}

function notFound(tenantId: string, updateId: number): Response {
  return jsonResponse(404, { error: `tenant ${tenantId} has no dead letter ${updateId}` });
}

/** The retry and discard routes; see the module doc. */
export function deadLetterRoutes(options: DeadLetterRoutesOptions): Route[] {
  const { deadLetters, adminToken } = options;
  return [
    {
      method: "POST",
      path: "/dead-letters/:tenantId/:updateId/retry",
      async handle(request, context) {
        const target = targetOf(request, context, adminToken);
        if (target instanceof Response) return target;
        const { tenantId, updateId } = target;
        switch (await deadLetters.retryDeadLetter(tenantId, updateId)) {
          case "retried":
            return jsonResponse(202, { retrying: { tenant: tenantId, updateId } });
          case "not_found":
            return notFound(tenantId, updateId);
          case "unavailable":
            return jsonResponse(
              503,
              { error: `tenant ${tenantId} is not running; retry once it is` },
              { "retry-after": "5" },
            );
        }
      },
    },
    {
      method: "POST",
      path: "/dead-letters/:tenantId/:updateId/discard",
      async handle(request, context) {
        const target = targetOf(request, context, adminToken);
        if (target instanceof Response) return target;
        const { tenantId, updateId } = target;
        return await deadLetters.discardDeadLetter(tenantId, updateId)
          ? jsonResponse(200, { discarded: { tenant: tenantId, updateId } })
          : notFound(tenantId, updateId);
      },
    },
  ];
}
