/**
 * A tenant's keep-alive connections to its Bot API server, for the JSON calls `direct_calls.ts`
 * sends: each call takes an idle connection (or opens one), writes one request and reads one
 * answer (`http1_connection.ts`).
 *
 * Why not Deno's `fetch`: under load it cost the bots' process 80–90 µs of CPU per call (the
 * `Request` and `Response` objects, header lists, body streams, its abort plumbing), a third of
 * all the work an update takes; this client needs 35–40 µs for the same call to the same server
 * (BENCHMARKS.md, issue 15). Deno's `node:http` (65 µs) and `undici` (85 µs) were measured too.
 *
 * Its limits, and why they are safe:
 * - Connections live with the tenant: {@linkcode BotApiConnections.close} ends them when the
 *   tenant stops, so none outlives it or is reused by another tenant.
 * - As many connections as calls in flight, as `fetch` opens (the runtime bounds calls in
 *   flight, `update_budget.ts`); at most {@linkcode MAX_IDLE} are kept idle.
 * - A connection idle for {@linkcode MAX_IDLE_MS} is closed rather than reused: a server may
 *   drop idle connections, and one it drops as a request goes out would fail that request.
 * - Behind an HTTP proxy (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` set), which `fetch` honours,
 *   {@linkcode BotApiConnections.forApiRoot} gives none and calls go through `fetch`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BotApiConnections } from "./bot_api_connections.ts";
 * import { Sandbox } from "../../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot({ username: "shop_bot" });
 * const connections = BotApiConnections.forApiRoot(sandbox.apiRoot)!;
 * const answer = await connections.post(
 *   `/bot${shop.token}/getMe`,
 *   "{}",
 *   AbortSignal.timeout(5_000),
 * );
 * assert.equal(answer.status, 200);
 * assert.equal(JSON.parse(answer.body).result.username, "shop_bot");
 * connections.close();
 * ```
 * @module
 */
import { Http1Connection } from "./http1_connection.ts";
import type { HttpAnswer } from "./http1_response.ts";

/**
 * Idle connections kept at most: more than a tenant's calls in flight at a time, so a busy tenant
 * does not reconnect, and no more, so a burst's connections do not linger.
 */
export const MAX_IDLE = 64;

/**
 * How long an idle connection may be reused: well under the minute or more servers keep idle
 * connections open (nginx's default is 75 s), so none is used as the server drops it.
 */
export const MAX_IDLE_MS = 20_000;

/** Environment variables that put `fetch` behind a proxy. */
const PROXY_VARIABLES = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "all_proxy",
];

const encoder = new TextEncoder();

/** An idle connection and since when it is idle. */
interface Idle {
  connection: Http1Connection;
  since: number;
}

/** See the module doc. */
export class BotApiConnections {
  readonly #origin: URL;
  readonly #host: string;
  /** Idle connections, the most recently used last. */
  #idle: Idle[] = [];
  readonly #open = new Set<Http1Connection>();
  #closed = false;
  readonly #now: () => number;

  private constructor(origin: URL, now: () => number) {
    this.#origin = origin;
    this.#host = origin.host;
    this.#now = now;
  }

  /**
   * Connections for the server at `apiRoot`; `undefined` for one `fetch` must reach instead: not
   * `http:` or `https:`, or behind a proxy (or where this process may not read the environment
   * to tell). `now` tells how long a connection has been idle (tests move it).
   */
  static forApiRoot(
    apiRoot: string,
    now: () => number = () => performance.now(),
  ): BotApiConnections | undefined {
    const url = URL.parse(apiRoot);
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) return undefined;
    try {
      if (PROXY_VARIABLES.some((name) => Deno.env.get(name))) return undefined;
    } catch {
      return undefined;
    }
    return new BotApiConnections(new URL(url.origin), now);
  }

  /** Connections open now, idle or busy. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * POSTs the JSON `body` to `path` (which starts with `/`) and resolves with the answer.
   * Rejects when no answer comes: the connection failed or closed, or the signal aborted.
   */
  async post(path: string, body: string, signal: AbortSignal): Promise<HttpAnswer> {
    if (this.#closed) throw new Deno.errors.NotConnected("the tenant's connections are closed");
    const request = this.#request(path, body);
    const connection = this.#takeIdle() ?? await this.#connect(signal);
    const answer = await connection.request(request, signal);
    this.#release(connection);
    return answer;
  }

  /** Closes every connection; calls in flight fail, later ones are refused. */
  close(): void {
    this.#closed = true;
    this.#idle = [];
    for (const connection of [...this.#open]) connection.close();
  }

  #request(path: string, body: string): Uint8Array {
    const payload = encoder.encode(body);
    const head = `POST ${path} HTTP/1.1\r\nHost: ${this.#host}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`;
    // The head is ASCII (the path is a token and a method name): one byte per character.
    const request = new Uint8Array(head.length + payload.length);
    encoder.encodeInto(head, request);
    request.set(payload, head.length);
    return request;
  }

  #takeIdle(): Http1Connection | undefined {
    const now = this.#now();
    for (let idle = this.#idle.pop(); idle; idle = this.#idle.pop()) {
      if (idle.connection.closed) continue;
      if (now - idle.since <= MAX_IDLE_MS) return idle.connection;
      idle.connection.close();
    }
    return undefined;
  }

  async #connect(signal: AbortSignal): Promise<Http1Connection> {
    const connection = await Http1Connection.open(this.#origin, signal);
    if (this.#closed) {
      connection.close();
      throw new Deno.errors.NotConnected("the tenant's connections are closed");
    }
    this.#open.add(connection);
    connection.onClose = () => this.#open.delete(connection);
    return connection;
  }

  #release(connection: Http1Connection): void {
    if (connection.closed || this.#closed) return;
    if (this.#idle.length >= MAX_IDLE) {
      connection.close();
      return;
    }
    this.#idle.push({ connection, since: this.#now() });
  }
}
