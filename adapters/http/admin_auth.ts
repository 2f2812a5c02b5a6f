/**
 * The admin token check of the operator endpoints (`/status`, the dead-letter actions): off
 * (404) until `ADMIN_TOKEN` is set, so nothing is exposed by default; 401 with a challenge for a
 * missing or wrong token, compared in constant time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refuseWithoutAdminToken } from "./admin_auth.ts";
 *
 * const asking = (authorization?: string) =>
 *   new Request("http://localhost/status", {
 *     headers: authorization === undefined ? {} : { authorization },
 *   });
 * assert.equal(refuseWithoutAdminToken(asking("Bearer let-me-in"), "let-me-in"), undefined);
 * assert.equal(refuseWithoutAdminToken(asking("Bearer guess"), "let-me-in")?.status, 401);
 * assert.equal(refuseWithoutAdminToken(asking(), "let-me-in")?.status, 401);
 * assert.equal(refuseWithoutAdminToken(asking("Bearer x"), undefined)?.status, 404);
 * ```
 * @module
 */
import { constantTimeEqual } from "./constant_time.ts";
import { jsonResponse } from "./responses.ts";

/** The answer refusing `request`, or undefined when it carries the admin token. */
export function refuseWithoutAdminToken(
  request: Request,
  adminToken: string | undefined,
): Response | undefined {
  if (adminToken === undefined || adminToken === "") {
    return jsonResponse(404, { error: "disabled: set ADMIN_TOKEN" });
  }
  const challenge = { "www-authenticate": 'Bearer realm="constellation"' };
  const header = request.headers.get("authorization");
  const match = header === null ? null : /^Bearer +(\S+) *$/i.exec(header);
  if (match === null) {
    return jsonResponse(401, { error: "expected Authorization: Bearer <ADMIN_TOKEN>" }, challenge);
  }
  if (!constantTimeEqual(match[1], adminToken)) {
    return jsonResponse(401, { error: "wrong admin token" }, challenge);
  }
  return undefined;
}
