/**
 * A Bot API relay on 127.0.0.1 that forwards every request to the sandbox until it is cut, as
 * a network outage would: after {@linkcode ApiRelay.cut} the requests in flight fail and the
 * port is closed, so every later call is refused. Network errors quote the request URL, and a
 * Bot API URL holds the token: this is how a test makes the runtime log a token-bearing error.
 *
 * @example
 * ```ts ignore
 * await using relay = ApiRelay.start(sandbox.apiRoot);
 * // a tenant file with apiRoot: relay.apiRoot …
 * await relay.cut(); // from now on: "Connection refused"
 * ```
 * @module
 */

/** See the module documentation. */
export class ApiRelay implements AsyncDisposable {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #inFlight = new AbortController();
  #cutting: Promise<void> | undefined;

  private constructor(target: string) {
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
      // A request the cut aborted: an answer the tenant sees as a server error.
      onError: () => new Response("the relay was cut", { status: 502 }),
    }, async (request) => {
      const url = new URL(request.url);
      const upstream = await fetch(`${target}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: this.#inFlight.signal,
      });
      return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
    });
  }

  /** Starts relaying to `target` (the sandbox's `apiRoot`). */
  static start(target: string): ApiRelay {
    return new ApiRelay(target);
  }

  /** `http://127.0.0.1:<port>`: the `apiRoot` to give a tenant. */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Fails the requests in flight and closes the port; resolves once it is closed. */
  cut(): Promise<void> {
    this.#cutting ??= (async () => {
      this.#inFlight.abort(new Error("the relay was cut"));
      await this.#server.shutdown();
    })();
    return this.#cutting;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.cut();
  }
}
