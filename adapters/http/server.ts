/**
 * The process's one HTTP server: every tenant's webhook and the operations endpoints share one
 * port, `HTTP_PORT`, dispatched through a {@linkcode RouteTable}. Unknown paths get a 404 JSON
 * body, a known path with the wrong method a 405 naming the allowed ones, and a handler that
 * throws a 500 that says nothing about why: the reason is logged (redacted) instead, since
 * internals and secrets must not reach whoever sent the request.
 *
 * The port faces the internet, so clients are held to {@linkcode HttpLimits}: at most so many
 * connections at once (half the open-files limit, `open_files.ts`; more are closed as soon as
 * they are accepted), 10 s to send a request's headers, 30 s for the whole request, 5 s for an
 * idle keep-alive connection. Before, idle and half-sent connections were held forever until the
 * process ran out of file descriptors and died. The server runs on `node:http` for that:
 * `Deno.serve` has no connection cap and no read timeouts, and fails outright when accepting
 * fails; the routes still see Fetch API requests (`node_exchange.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startHttpServer } from "./server.ts";
 *
 * await using server = await startHttpServer({
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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "@logtape/logtape";
import { runtimeLogger } from "../observability/logging.ts";
import { redactTokens } from "../observability/redact.ts";
import { jsonResponse } from "./responses.ts";
import { type Route, RouteTable } from "./routes.ts";
import { toRequest, writeResponse } from "./node_exchange.ts";
import { connectionCapFor, readOpenFilesLimit } from "./open_files.ts";

/** What clients may hold of the server; see the module doc for the defaults and why. */
export interface HttpLimits {
  /** Connections held at once; one more is closed as soon as it is accepted. */
  readonly maxConnections: number;
  /** How long a client may take to send a request's headers (the first byte included). */
  readonly headersTimeoutMs: number;
  /** How long a client may take to send a whole request, body included; ≥ the headers'. */
  readonly requestTimeoutMs: number;
  /** How long a keep-alive connection may stay idle between requests. */
  readonly keepAliveTimeoutMs: number;
}

/**
 * The timeouts of {@linkcode HttpLimits}. Telegram sends a webhook's headers and its body (at
 * most 1 MiB) at once, so these only ever cut clients that hold a connection without using it.
 */
export const DEFAULT_HTTP_TIMEOUTS = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
});

/** How to start the server. */
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
  /**
   * Overrides of the defaults: {@linkcode DEFAULT_HTTP_TIMEOUTS}, and a connection cap of half
   * the process's open-files limit (`open_files.ts`; `HTTP_MAX_CONNECTIONS`).
   */
  limits?: Partial<HttpLimits>;
  /** Where listening and handler failures are logged; the `http` runtime logger by default. */
  logger?: Logger;
  /** Applied to every logged text; removes bot tokens by default. */
  redact?: (text: string) => string;
  /** Aborting it shuts the server down, like {@linkcode HttpServer.shutdown}. */
  signal?: AbortSignal;
}

/** A running server. */
export interface HttpServer {
  /** The port actually bound (differs from the option when it was 0). */
  readonly port: number;
  /**
   * Resolves once the server has closed, whether by `shutdown()` or by the signal; rejects when
   * it failed while serving.
   */
  readonly finished: Promise<void>;
  /**
   * Stops accepting connections, waits for requests in flight, closes every connection (a
   * client still sending is cut), and frees the port.
   */
  shutdown(): Promise<void>;
  /** The same as {@linkcode shutdown}, for `await using server = await startHttpServer(…)`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** How often, at most, the log says that connections are being refused. */
const refusalLogEveryMs = 60_000;

/**
 * Binds the port and starts serving `routes`; resolves once the server is listening.
 *
 * @throws {Error} naming the address when the port is already in use.
 * @throws {TypeError} naming a malformed or duplicate route.
 * @throws {RangeError} naming a limit that is not a positive number.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const hostname = options.hostname ?? "0.0.0.0";
  const log = options.logger ?? runtimeLogger("http");
  const redact = options.redact ?? redactTokens;
  const table = new RouteTable(options.routes);
  const openFiles = readOpenFilesLimit();
  const wanted = options.limits ?? {};
  const limits = checkedLimits({
    maxConnections: wanted.maxConnections ?? connectionCapFor(openFiles),
    headersTimeoutMs: wanted.headersTimeoutMs ?? DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs,
    requestTimeoutMs: wanted.requestTimeoutMs ?? DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs,
    keepAliveTimeoutMs: wanted.keepAliveTimeoutMs ?? DEFAULT_HTTP_TIMEOUTS.keepAliveTimeoutMs,
  });
  // The port is known once listening; requests come only after that.
  let origin = "";

  const inFlight = new Set<Promise<void>>();
  const serve = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const served = answer(incoming, outgoing).finally(() => inFlight.delete(served));
    inFlight.add(served);
  };
  const answer = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const request = toRequest(incoming, origin);
    const remote = `${incoming.socket.remoteAddress}:${incoming.socket.remotePort}`;
    const response = request === undefined
      ? jsonResponse(400, { error: "malformed request: expected a path, headers and a method" })
      : await dispatch(table, request, remote, log, redact);
    // A body the route did not read to its end (refused early: too large, a wrong secret) is
    // not read after it either: the connection closes after the answer, or the next request on
    // it would wait behind the rest of this body.
    if (!incoming.complete) outgoing.setHeader("connection", "close");
    // A client that left before its answer leaves nothing to write to.
    await writeResponse(response, outgoing).catch(() => outgoing.destroy());
  };

  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks the two timeouts on this period (30 s by default): a fraction of the shorter
    // one cuts a slow client close to its deadline.
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, limits.headersTimeoutMs / 4)),
  }, serve);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;

  let open = 0;
  let refused = 0;
  let refusalLoggedAt = -Infinity;
  // Before node's own listener: a connection over the cap never reaches the HTTP parser.
  server.prependListener("connection", (socket: Socket) => {
    if (open >= limits.maxConnections) {
      socket.destroy();
      refused++;
      if (Date.now() - refusalLoggedAt >= refusalLogEveryMs) {
        refusalLoggedAt = Date.now();
        log.warn(
          "Refusing HTTP connections: {max} are open, the most allowed; {refused} refused so far.",
          { max: limits.maxConnections, refused },
        );
      }
      return;
    }
    open++;
    socket.once("close", () => open--);
  });

  await listen(server, options.port, hostname);
  const port = (server.address() as AddressInfo).port;
  origin = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  log.info(
    "HTTP server listening on {hostname}:{port}: at most {max} connections (open files: " +
      "{openFiles}), headers within {headersMs} ms, whole requests within {requestMs} ms.",
    {
      hostname,
      port,
      max: limits.maxConnections,
      openFiles: describeOpenFiles(openFiles),
      headersMs: limits.headersTimeoutMs,
      requestMs: limits.requestTimeoutMs,
    },
  );

  const finished = new Promise<void>((resolve, reject) => {
    server.once("close", () => resolve());
    server.once("error", (error) => {
      log.error("The HTTP server on {hostname}:{port} failed: {error}", {
        hostname,
        port,
        error: redact(error.message),
      });
      server.close();
      reject(error);
    });
  });
  // Rejections are for whoever awaits `finished`; one nobody awaits must not end the process.
  finished.catch(() => {});

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      server.close();
      server.closeIdleConnections();
      await Promise.all(inFlight);
      // Whoever is still connected is sending slowly, or holding an idle connection.
      server.closeAllConnections();
      await finished.catch(() => {});
    })();
  options.signal?.addEventListener("abort", () => void shutdown(), { once: true });
  if (options.signal?.aborted) void shutdown();
  return { port, finished, shutdown, [Symbol.asyncDispose]: shutdown };
}

function describeOpenFiles(limit: { soft: number; hard: number } | undefined): string {
  if (!limit) return "limit not readable without --allow-all, the system's default assumed";
  const shown = (n: number) => (n === Infinity ? "unlimited" : String(n));
  return `${shown(limit.soft)}, hard limit ${shown(limit.hard)}`;
}

function checkedLimits(limits: HttpLimits): HttpLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`HTTP limit ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new RangeError(
      `HTTP limit headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed ` +
        `requestTimeoutMs (${limits.requestTimeoutMs}): the headers are part of the request`,
    );
  }
  return limits;
}

/** Listens on `hostname:port`; a port in use is an error that names it. */
function listen(server: Server, port: number, hostname: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error & { code?: string }) => {
      if (error.code !== "EADDRINUSE") return reject(error);
      reject(
        new Error(`cannot listen on ${hostname}:${port}: the port is already in use (HTTP_PORT)`, {
          cause: error,
        }),
      );
    };
    server.once("error", failed);
    server.listen(port, hostname, () => {
      server.off("error", failed);
      resolve();
    });
  });
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
