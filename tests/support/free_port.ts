/**
 * A TCP port on 127.0.0.1 that nothing listens on, for a test that must know a process's port
 * before starting it: a webhook tenant's `PUBLIC_URL` names the port that `HTTP_PORT` binds.
 *
 * The port is found by listening on port 0 and closing at once, so another program could take
 * it in between; on loopback, within one test run, that is rare enough to accept.
 *
 * @example
 * ```ts
 * import { freePort } from "./free_port.ts";
 * const port = freePort();
 * const publicUrl = `http://127.0.0.1:${port}`;
 * ```
 * @module
 */

/**
 * A port on 127.0.0.1 that was free a moment ago.
 *
 * @example
 * ```ts
 * import { freePort } from "./free_port.ts";
 * const env = { HTTP_PORT: String(freePort()) };
 * ```
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
