/**
 * Carries one exchange between `node:http`, which the server runs on for its connection limits
 * and read timeouts (`server.ts`), and the Fetch API `Request` and `Response` the routes are
 * written against. The request body stays a stream, so a route's size limit (`read_body.ts`)
 * still cuts a large body off while it arrives.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createServer } from "node:http";
 * import { toRequest, writeResponse } from "./node_exchange.ts";
 *
 * const server = createServer(async (incoming, outgoing) => {
 *   const request = toRequest(incoming, "http://127.0.0.1");
 *   const text = request ? `${request.method} ${new URL(request.url).pathname}: ${await request.text()}` : "?";
 *   await writeResponse(new Response(text, { headers: { "x-seen": "yes" } }), outgoing);
 * });
 * await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
 * const { port } = server.address() as { port: number };
 *
 * const response = await fetch(`http://127.0.0.1:${port}/echo`, { method: "POST", body: "hi" });
 * assert.equal(response.headers.get("x-seen"), "yes");
 * assert.equal(await response.text(), "POST /echo: hi");
 * await new Promise((resolve) => server.close(resolve));
 * ```
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

/**
 * The Fetch API request for `incoming`, its URL on `origin`. `undefined` when it cannot be one:
 * a target that is not a path (`*`, an absolute URL), or a header or method the Fetch API
 * refuses. The caller answers 400 then.
 */
export function toRequest(incoming: IncomingMessage, origin: string): Request | undefined {
  const target = incoming.url ?? "";
  if (!target.startsWith("/")) return undefined;
  const method = incoming.method ?? "GET";
  try {
    const headers = new Headers();
    const raw = incoming.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
    // Concatenated rather than resolved against the origin, so "//host/x" stays a path.
    const url = new URL(`${origin}${target}`);
    const body = method === "GET" || method === "HEAD"
      ? null
      : Readable.toWeb(incoming) as ReadableStream<Uint8Array>;
    return new Request(url, { method, headers, body, duplex: "half" } as RequestInit);
  } catch {
    return undefined;
  }
}

/**
 * Writes `response` to `outgoing` and ends it. The body is read whole first: the routes answer
 * small JSON and text bodies, and a length known in advance spares the client a chunked body.
 */
export async function writeResponse(response: Response, outgoing: ServerResponse): Promise<void> {
  if (response.body !== null && isEventStream(response)) {
    return await streamResponse(response, response.body, outgoing);
  }
  const body = response.body === null ? undefined : new Uint8Array(await response.arrayBuffer());
  outgoing.statusCode = response.status;
  for (const [name, value] of response.headers) outgoing.setHeader(name, value);
  outgoing.end(body);
}

function isEventStream(response: Response): boolean {
  return (response.headers.get("content-type") ?? "").startsWith("text/event-stream");
}

/**
 * Writes a server-sent event stream chunk by chunk as it is produced (every other body is
 * buffered, to send it with its length); a client that leaves cancels the stream, so whatever
 * feeds it stops too.
 */
async function streamResponse(
  response: Response,
  body: ReadableStream<Uint8Array>,
  outgoing: ServerResponse,
): Promise<void> {
  outgoing.statusCode = response.status;
  for (const [name, value] of response.headers) outgoing.setHeader(name, value);
  outgoing.flushHeaders();
  const reader = body.getReader();
  const left = () => void reader.cancel().catch(() => {});
  outgoing.once("close", left);
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done || outgoing.destroyed) break;
      outgoing.write(value);
    }
  } finally {
    outgoing.off("close", left);
    outgoing.end();
  }
}
