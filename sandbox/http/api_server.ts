/**
 * The HTTP face of the sandbox: `GET|POST /bot<token>/<method>` and the test-environment form
 * `/bot<token>/test/<method>`, answered with Telegram's envelope and with the HTTP status equal
 * to `error_code`. A bot created with `testEnvironment: true` exists only under `/test/`, and a
 * production bot only without it; the other path answers 401 Unauthorized, as Telegram's
 * production and test servers do not know each other's tokens. Binds 127.0.0.1 only.
 * @module
 */

import { ApiError, notFound, unauthorized } from "../errors.ts";
import { dispatchCall } from "../methods/dispatch.ts";
import type { World } from "../world/world.ts";
import { TransportFault } from "../world/faults.ts";
import { readParams } from "./request_params.ts";
import { TransportFaults } from "./transport_faults.ts";

const ROUTE = /^\/bot([^/]+)\/(?:(test)\/)?([^/]+)\/?$/;

/** A running API server. */
export interface ApiServer {
  /** `http://127.0.0.1:<port>`, to pass as grammY's `client.apiRoot`. */
  readonly apiRoot: string;
  readonly port: number;
  /** Stops accepting requests and waits for the ones in flight. */
  close(): Promise<void>;
}

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Answers requests under a path prefix other than the Bot API's (`/_sandbox/…`). */
export interface ExtraRoute {
  readonly prefix: string;
  handle(request: Request): Promise<Response>;
}

async function handle(
  world: World,
  faults: TransportFaults,
  request: Request,
  extra: readonly ExtraRoute[],
): Promise<Response> {
  const path = new URL(request.url).pathname;
  const route = extra.find((candidate) => path.startsWith(candidate.prefix));
  if (route) return await route.handle(request);
  try {
    const match = ROUTE.exec(new URL(request.url).pathname);
    if (!match || (request.method !== "GET" && request.method !== "POST")) throw notFound();
    const [, encodedToken, testPath, method] = match;
    const bot = world.bots.get(decodeURIComponent(encodedToken));
    if (!bot || bot.identity.testEnvironment !== (testPath === "test")) throw unauthorized();
    const params = await readParams(request);
    // Deno.serve aborts the request's signal when the client disconnects before the answer.
    const result = await dispatchCall(world, bot, method, params, request.signal);
    return reply(200, { ok: true, result });
  } catch (error) {
    if (error instanceof ApiError) return reply(error.body.error_code, error.toEnvelope());
    if (error instanceof TransportFault) return faults.respond(error.kind);
    // A bug in the sandbox, not a Telegram behaviour: answer 500 with the reason so the test
    // that hit it shows what broke.
    console.error("sandbox: internal error", error);
    return reply(500, {
      ok: false,
      error_code: 500,
      description: `Internal Server Error: ${(error as Error).message}`,
    });
  }
}

/** Starts the server on 127.0.0.1 (`port` 0 picks a free port). */
export function startApiServer(
  world: World,
  port: number,
  extra: readonly ExtraRoute[] = [],
): ApiServer {
  const faults = new TransportFaults();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => {}, onError: faults.onError },
    (request) => handle(world, faults, request, extra),
  );
  const { port: actualPort } = server.addr as Deno.NetAddr;
  return {
    apiRoot: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    close: () => {
      faults.releaseAll();
      return server.shutdown();
    },
  };
}
