/**
 * The response shapes the HTTP server uses: JSON for machines, plain text for probes. Nothing
 * here may be cached by a proxy: every answer describes the process at this moment.
 *
 * @example
 * ```ts
 * import { jsonResponse } from "./responses.ts";
 * const response = jsonResponse(404, { error: "not found" });
 * response.headers.get("content-type"); // "application/json; charset=utf-8"
 * ```
 * @module
 */

/**
 * A JSON response with `status`, `body` serialized, and any extra `headers`.
 *
 * @example
 * ```ts
 * import { jsonResponse } from "./responses.ts";
 * jsonResponse(405, { error: "method not allowed" }, { allow: "POST" });
 * ```
 */
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

/**
 * A response whose body is already text; plain text unless `headers` say otherwise.
 *
 * @example
 * ```ts
 * import { textResponse } from "./responses.ts";
 * textResponse(200, "ok").headers.get("content-type"); // "text/plain; charset=utf-8"
 * ```
 */
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
