/**
 * The headers every console answer carries. The CSP allows scripts, styles and connections
 * from the console's own origin only — no inline script, no CDN, no `eval` — and forbids
 * framing (clickjacking a Refund button); answers are never cached, and never leak the console's
 * paths in a Referer to another site.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { securityHeaders } from "./security_headers.ts";
 *
 * const headers = securityHeaders();
 * assert.match(headers["content-security-policy"], /script-src 'self'(;|$)/);
 * assert.match(headers["content-security-policy"], /frame-ancestors 'none'/);
 * assert.equal(headers["x-frame-options"], "DENY");
 * ```
 * @module
 */

const POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** The security headers of a console answer. */
export function securityHeaders(): Record<string, string> {
  return {
    "content-security-policy": POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    // same-origin, not no-referrer: with no-referrer the browser sends `Origin: null` on the
    // console's own form posts, and the origin check could not tell them from a foreign site.
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
  };
}

/** An HTML answer with the security headers. */
export function htmlResponse(
  status: number,
  body: { value: string },
  headers: Record<string, string> = {},
): Response {
  return new Response(body.value, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", ...securityHeaders(), ...headers },
  });
}

/** A JSON answer with the security headers. */
export function consoleJson(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      ...securityHeaders(),
      ...headers,
    },
  });
}

/** A redirect after a form (303: the browser follows it with GET). */
export function seeOther(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, {
    status: 303,
    headers: { location, ...securityHeaders(), ...headers },
  });
}
