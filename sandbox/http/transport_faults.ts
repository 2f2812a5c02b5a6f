/**
 * How the HTTP layer acts out a `TransportFault`: a call that hangs keeps its request open until
 * the sandbox closes (the client gives up on it long before), and a dropped connection answers
 * headers and then breaks off the body, which the client sees as a network error — the same
 * error it gets when Telegram's connection resets mid-answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransportFaults } from "./transport_faults.ts";
 *
 * const faults = new TransportFaults();
 * const cut = faults.respond("drop");
 * await assert.rejects((await cut).text());
 * ```
 * @module
 */

import type { TransportFaultKind } from "../world/faults.ts";

/** The error a dropped answer's body ends with; the server's `onError` knows it is on purpose. */
class ConnectionCut extends Error {
  constructor() {
    super("the sandbox cut the connection (injected fault)");
    this.name = "ConnectionCut";
  }
}

/** Hangs and drops in flight, so that closing the sandbox can end the hangs. */
export class TransportFaults {
  readonly #hanging = new Set<() => void>();

  /**
   * The response to a call that met a transport fault. A hang lasts until the sandbox closes,
   * even after the client gave up: nobody reads it any more, and watching the request's signal
   * for the client's departure would make Deno warn about its legacy abort behaviour.
   */
  respond(kind: TransportFaultKind): Promise<Response> {
    if (kind !== "hang") return Promise.resolve(cutResponse());
    return new Promise((resolve) => {
      // Whoever still listens when the sandbox closes sees the connection drop.
      this.#hanging.add(() => resolve(cutResponse()));
    });
  }

  /** Ends every hanging request: the server waits for open requests when it shuts down. */
  releaseAll(): void {
    for (const end of this.#hanging) end();
    this.#hanging.clear();
  }

  /**
   * `Deno.serve`'s `onError`: a deliberately cut body is not worth a line; anything else is a
   * bug in the sandbox and is printed, as Deno's default handler would.
   */
  readonly onError = (error: unknown): Response => {
    if (!(error instanceof ConnectionCut)) console.error("sandbox: internal error", error);
    return new Response("Internal Server Error", { status: 500 });
  };
}

/** Headers, then a body that breaks off: to the client, a connection reset mid-answer. */
function cutResponse(): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"ok":'));
      controller.error(new ConnectionCut());
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
}
