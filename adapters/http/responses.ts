/**
 * The response shapes the HTTP server uses: JSON for machines, plain text for probes. Nothing
 * here may be cached by a proxy: every answer describes the process at this moment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonResponse, textResponse } from "./responses.ts";
 *
 * const notAllowed = jsonResponse(405, { error: "method not allowed" }, { allow: "POST" });
 * assert.equal(notAllowed.status, 405);
 * assert.equal(notAllowed.headers.get("content-type"), "application/json; charset=utf-8");
 * assert.equal(notAllowed.headers.get("allow"), "POST");
 * assert.equal(notAllowed.headers.get("cache-control"), "no-store");
 * assert.deepEqual(await notAllowed.json(), { error: "method not allowed" });
 *
 * const ok = textResponse(200, "ok");
 * assert.equal(ok.headers.get("content-type"), "text/plain; charset=utf-8");
 * assert.equal(await ok.text(), "ok");
 * ```
 * @module
 */

/** A JSON response with `status`, `body` serialized, and any extra `headers`. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return textResponse(status, JSON.stringify(body), {
    "content-type": "application/json; charset=utf-8",
    ...headers,
  });
}

/** A response whose body is already text; plain text unless `headers` say otherwise. */
export function textResponse(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
  });
}
