/**
 * A Bot API server that implements only the core methods, as a self-hosted or proxy server that
 * lags behind Telegram may: `getMe`, `getUpdates`, `sendMessage` and `sendInvoice` go to the
 * sandbox; anything else gets a bare `500` whose body is plain text, not Telegram's
 * `{ok, error_code, description}`. It listens on 127.0.0.1 and remembers what it refused.
 *
 * @example
 * ```ts ignore
 * await using minimal = MinimalBotApi.start(sandbox.apiRoot);
 * // a tenant file with apiRoot: minimal.apiRoot …
 * minimal.refused; // ["deleteWebhook", "setMyCommands", …]
 * ```
 * @module
 */

/** The methods the minimal server knows. */
export const CORE_METHODS: readonly string[] = [
  "getMe",
  "getUpdates",
  "sendMessage",
  "sendInvoice",
];

/** See the module documentation. */
export class MinimalBotApi implements AsyncDisposable {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  // Ends the long polls it forwards when it closes, rather than waiting for them.
  readonly #inFlight = new AbortController();
  /** The methods it answered with a bare 500, in order. */
  readonly refused: string[] = [];

  private constructor(target: string) {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
      const url = new URL(request.url);
      const method = url.pathname.split("/").at(-1) ?? "";
      if (!CORE_METHODS.includes(method)) {
        this.refused.push(method);
        return new Response("Internal Server Error", { status: 500 });
      }
      return fetch(`${target}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: this.#inFlight.signal,
      });
    });
  }

  /** Starts serving in front of `target` (the sandbox's `apiRoot`). */
  static start(target: string): MinimalBotApi {
    return new MinimalBotApi(target);
  }

  /** `http://127.0.0.1:<port>`: the `apiRoot` to give a tenant. */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#inFlight.abort();
    return this.#server.shutdown();
  }
}
