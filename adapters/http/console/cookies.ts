/**
 * The console's session cookie: `HttpOnly` (no script reads it), `SameSite=Strict` (no other
 * site's page sends it), scoped to `/console`, and `Secure` when the console is served over
 * https (`PUBLIC_URL`), so it never travels in the clear there.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sessionCookie, sessionIdOf } from "./cookies.ts";
 *
 * const set = sessionCookie("abc", { secure: true, maxAgeSeconds: 60 });
 * assert.match(set, /HttpOnly/);
 * assert.match(set, /SameSite=Strict/);
 * assert.match(set, /Secure/);
 * const request = new Request("http://x/console", { headers: { cookie: "a=1; cs_session=abc" } });
 * assert.equal(sessionIdOf(request), "abc");
 * ```
 * @module
 */

/** The cookie's name. */
export const SESSION_COOKIE = "cs_session";

/** The `Set-Cookie` value holding a session id; `maxAgeSeconds: 0` deletes it. */
export function sessionCookie(
  id: string,
  options: { secure: boolean; maxAgeSeconds: number },
): string {
  const parts = [
    `${SESSION_COOKIE}=${id}`,
    "Path=/console",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${options.maxAgeSeconds}`,
  ];
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

/** The session id the request's cookie carries, if any. */
export function sessionIdOf(request: Request): string | undefined {
  const header = request.headers.get("cookie");
  if (header === null) return undefined;
  for (const part of header.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === SESSION_COOKIE) return value.join("=") || undefined;
  }
  return undefined;
}
