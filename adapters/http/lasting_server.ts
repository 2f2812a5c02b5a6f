/**
 * The HTTP server, kept serving. When its `node:http` listener reports an error (`server.ts`:
 * the server closes and `finished` rejects), it is logged and the server listens again on the
 * same port, after 1 s doubling to 30 s while listening keeps failing; the bots never stop
 * meanwhile (polling tenants do not need the port, and Telegram retries webhooks). Under a flood
 * of connections the server's own connection cap keeps it from running out of file descriptors
 * (`open_files.ts`); a listener that stops accepting without reporting an error is not seen
 * here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startLastingHttpServer } from "./lasting_server.ts";
 *
 * await using server = await startLastingHttpServer({
 *   port: 0,
 *   hostname: "127.0.0.1",
 *   routes: [{ method: "GET", path: "/healthz", handle: () => new Response("ok") }],
 * });
 * const response = await fetch(`http://127.0.0.1:${server.port}/healthz`);
 * assert.equal(await response.text(), "ok");
 * ```
 * @module
 */
import { type Clock, systemClock } from "../../actors/kernel/clock.ts";
import { backoffDelay, type BackoffPolicy } from "../../actors/kernel/backoff.ts";
import { runtimeLogger } from "../observability/logging.ts";
import { redactTokens } from "../observability/redact.ts";
import { type HttpServer, type HttpServerOptions, startHttpServer } from "./server.ts";

/** How to start a lasting server: a server's options, and how it comes back. */
export interface LastingServerOptions extends HttpServerOptions {
  /** Starts one server; {@linkcode startHttpServer} unless a test passes its own. */
  start?: (options: HttpServerOptions) => Promise<HttpServer>;
  /** Waits between attempts to listen again; 1 s doubling to 30 s by default. */
  relistenBackoff?: BackoffPolicy;
  clock?: Clock;
  random?: () => number;
}

const relistenDefaults: BackoffPolicy = {
  minMs: 1_000,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
  resetAfterMs: 0,
};

/**
 * Starts the server and keeps it serving; see the module doc. Rejects, like
 * {@linkcode startHttpServer}, when the port cannot be bound at start.
 */
export async function startLastingHttpServer(options: LastingServerOptions): Promise<HttpServer> {
  const start = options.start ?? startHttpServer;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const policy = options.relistenBackoff ?? relistenDefaults;
  const log = options.logger ?? runtimeLogger("http");
  const redact = options.redact ?? redactTokens;
  const text = (error: unknown) => redact(error instanceof Error ? error.message : String(error));
  const stopping = new AbortController();
  let current = await start(options);
  // A server started on port 0 comes back on the port it got, where clients already are.
  const serving = { ...options, port: current.port };

  /** Listens again until it works or the server is shut down; false when shut down. */
  const relisten = async (): Promise<boolean> => {
    for (let attempt = 0;; attempt++) {
      const delay = backoffDelay(policy, attempt, random);
      try {
        await clock.sleep(delay, stopping.signal);
      } catch {
        return false; // shut down while waiting
      }
      try {
        current = await start(serving);
        log.info("The HTTP server listens again on port {port}.", { port: serving.port });
        return true;
      } catch (error) {
        log.error("The HTTP server could not listen again ({error}); next try in a moment.", {
          error: text(error),
        });
      }
    }
  };

  const finished = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await current.finished;
        return; // shut down, by us or through options.signal
      } catch (error) {
        if (stopping.signal.aborted) return;
        log.error("The HTTP server stopped serving: {error}; it will listen again.", {
          error: text(error),
        });
      }
      if (!await relisten()) return;
    }
  })();

  const shutdown = async () => {
    stopping.abort();
    // A server whose listener failed has already ended; shutting it down again changes nothing.
    await current.shutdown().catch(() => {});
    await finished;
  };
  return {
    port: serving.port,
    finished,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}
