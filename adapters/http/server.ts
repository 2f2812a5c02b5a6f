/**
 * The process's one HTTP server: every tenant's webhook and the operations endpoints share a
 * single `Deno.serve` on `HTTP_PORT`, dispatched through a {@linkcode RouteTable}. Unknown paths
 * get a 404 JSON body, a known path with the wrong method a 405 naming the allowed ones, and a
 * handler that throws a 500 that says nothing about why: the reason is logged (redacted) instead,
 * since internals and secrets must not reach whoever sent the request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startHttpServer } from "./server.ts";
 *
 * await using server = startHttpServer({
 *   port: 0, // any free port
 *   hostname: "127.0.0.1",
 *   routes: [
 *     { method: "GET", path: "/healthz", handle: () => new Response("ok") },
 *     { method: "GET", path: "/boom", handle: () => Promise.reject(new Error("secret detail")) },
 *   ],
 * });
 * const get = (path: string, method = "GET") =>
 *   fetch(`http://127.0.0.1:${server.port}${path}`, { method });
 *
 * const ok = await get("/healthz");
 * assert.equal(await ok.text(), "ok");
 * const missing = await get("/nowhere");
 * assert.equal(missing.status, 404);
 * assert.deepEqual(await missing.json(), { error: "not found" });
 * const wrongMethod = await get("/healthz", "POST");
 * assert.equal(wrongMethod.status, 405);
 * assert.equal(wrongMethod.headers.get("allow"), "GET");
 * await wrongMethod.body?.cancel();
 * const failed = await get("/boom");
 * assert.equal(failed.status, 500);
 * assert.deepEqual(await failed.json(), { error: "internal error" }); // the reason is only logged
 * ```
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { runtimeLogger } from "../observability/logging.ts";
import { redactTokens } from "../observability/redact.ts";
import { jsonResponse } from "./responses.ts";
import { type Route, RouteTable } from "./routes.ts";

/**
 * How to start the server.
 */
export interface HttpServerOptions {
  /** `HTTP_PORT`; 0 picks a free port (read it back from {@linkcode HttpServer.port}). */
  port: number;
  /**
   * The interface to bind. Defaults to `0.0.0.0` because Telegram must be able to reach the
   * webhooks from outside (in a container, loopback is unreachable even from the host). Pass
   * `127.0.0.1` to keep the server local, e.g. behind a reverse proxy or in tests.
   */
  hostname?: string;
  routes: readonly Route[];
  /** Where listening and handler failures are logged; the `http` runtime logger by default. */
  logger?: Logger;
  /** Applied to every logged text; removes bot tokens by default. */
  redact?: (text: string) => string;
  /** Aborting it shuts the server down, like {@linkcode HttpServer.shutdown}. */
  signal?: AbortSignal;
}

/**
 * A running server.
 */
export interface HttpServer {
  /** The port actually bound (differs from the option when it was 0). */
  readonly port: number;
  /** Resolves once the server has closed, whether by `shutdown()` or by the signal. */
  readonly finished: Promise<void>;
  /** Stops accepting connections, waits for requests in flight, and frees the port. */
  shutdown(): Promise<void>;
  /** The same as {@linkcode shutdown}, for `await using server = startHttpServer(…)`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Binds the port and starts serving `routes`. Throws at once when the port cannot be bound.
 *
 * @throws {Error} naming the address when the port is already in use.
 * @throws {TypeError} naming a malformed or duplicate route.
 */
export function startHttpServer(options: HttpServerOptions): HttpServer {
  const hostname = options.hostname ?? "0.0.0.0";
  const log = options.logger ?? runtimeLogger("http");
  const redact = options.redact ?? redactTokens;
  const table = new RouteTable(options.routes);

  // The handler declares both parameters on purpose: Deno.serve passes nothing to a handler
  // whose declared arity is zero.
  const handler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) =>
    dispatch(table, request, `${info.remoteAddr.hostname}:${info.remoteAddr.port}`, log, redact);

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      port: options.port,
      hostname,
      signal: options.signal,
      onListen: ({ hostname, port }) =>
        log.info("HTTP server listening on {hostname}:{port}.", { hostname, port }),
    }, handler);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new Error(
        `cannot listen on ${hostname}:${options.port}: the port is already in use (HTTP_PORT)`,
        { cause: error },
      );
    }
    throw error;
  }
  const shutdown = async () => {
    await server.shutdown();
    await server.finished;
  };
  return {
    port: server.addr.port,
    finished: server.finished,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}

async function dispatch(
  table: RouteTable,
  request: Request,
  remote: string,
  log: Logger,
  redact: (text: string) => string,
): Promise<Response> {
  const { pathname } = new URL(request.url);
  const match = table.find(request.method, pathname);
  if (match.kind === "not-found") return jsonResponse(404, { error: "not found" });
  if (match.kind === "wrong-method") {
    const allowed = match.allowed.join(", ");
    return jsonResponse(
      405,
      { error: `method ${request.method} not allowed here; use ${allowed}` },
      { allow: allowed },
    );
  }
  try {
    return await match.route.handle(request, { params: match.params, remote });
  } catch (error) {
    log.error("{method} {path} failed: {error}", {
      method: request.method,
      path: redact(pathname),
      error: redact(error instanceof Error ? error.stack ?? error.message : String(error)),
    });
    return jsonResponse(500, { error: "internal error" });
  }
}
