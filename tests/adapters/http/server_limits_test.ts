/**
 * What a client may hold of the HTTP server: a connection over the cap is closed as soon as it
 * is accepted, and a client that does not finish its headers, or its body, in time is cut. The
 * limits are shortened here; the defaults are the same code with longer numbers.
 */
import assert from "node:assert/strict";
import { assertEquals, assertStringIncludes, assertTrue } from "../../support/assert.ts";
import { type HttpLimits, startHttpServer } from "../../../adapters/http/server.ts";
import type { Route } from "../../../adapters/http/routes.ts";
import { captureLogs } from "./log_capture.ts";

const routes: Route[] = [
  { method: "GET", path: "/healthz", handle: () => new Response("ok") },
  { method: "POST", path: "/echo", handle: async (request) => new Response(await request.text()) },
];

function local(limits: Partial<HttpLimits>) {
  return startHttpServer({ port: 0, hostname: "127.0.0.1", routes, limits });
}

const encoder = new TextEncoder();

/** Connects and sends `text` (maybe nothing), as a slow or idle client. */
async function connect(port: number, text = ""): Promise<Deno.TcpConn> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  if (text) await connection.write(encoder.encode(text));
  return connection;
}

/** Ms until the server closes `connection`, reading (and dropping) whatever it sends first. */
async function closedAfter(connection: Deno.TcpConn, since: number): Promise<number> {
  const buffer = new Uint8Array(1024);
  try {
    while ((await connection.read(buffer)) !== null) { /* an error page, then the close */ }
  } catch {
    // Reset rather than closed: cut all the same.
  } finally {
    connection.close();
  }
  return Date.now() - since;
}

/** A fresh connection for one request, so no kept-alive one slips past the cap. */
async function get(port: number, path: string): Promise<Response> {
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { client });
  await response.bytes();
  return response;
}

Deno.test("a connection over the cap is closed at once and logged; the others are served", async () => {
  const logs = await captureLogs(async () => {
    await using server = await local({ maxConnections: 3 });
    const held = [
      await connect(server.port),
      await connect(server.port),
      await connect(server.port),
    ];
    const since = Date.now();
    const refusedAfter = await closedAfter(await connect(server.port), since);
    assertTrue(refusedAfter < 500, `the 4th connection was held ${refusedAfter} ms`);

    held.pop()!.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assertEquals(await (await get(server.port, "/healthz")).status, 200);
    for (const connection of held) connection.close();
  });
  assertStringIncludes(
    logs.join("\n"),
    "Refusing HTTP connections: 3 are open, the most allowed; 1 refused so far.",
  );
});

Deno.test("slow headers and slow bodies are cut at their deadlines; a prompt request is not", async () => {
  await using server = await local({ headersTimeoutMs: 300, requestTimeoutMs: 900 });
  const since = Date.now();
  const idle = closedAfter(await connect(server.port), since);
  const slowHeaders = closedAfter(
    await connect(server.port, "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le"),
    since,
  );
  const slowBody = closedAfter(
    await connect(server.port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab"),
    since,
  );
  const prompt = await fetch(`http://127.0.0.1:${server.port}/echo`, {
    method: "POST",
    body: "hello",
  });
  assertEquals(await prompt.text(), "hello");

  for (
    const [what, after] of [["idle", await idle], ["slow headers", await slowHeaders]] as const
  ) {
    assertTrue(after >= 250 && after < 900, `${what} connection cut after ${after} ms`);
  }
  const bodyAfter = await slowBody;
  assertTrue(bodyAfter >= 850 && bodyAfter < 2_000, `slow body cut after ${bodyAfter} ms`);
});

Deno.test("a request target that is not a path is 400", async () => {
  await using server = await local({});
  const connection = await connect(server.port, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
  const buffer = new Uint8Array(1024);
  const read = await connection.read(buffer);
  connection.close();
  const answer = new TextDecoder().decode(buffer.subarray(0, read ?? 0));
  assertStringIncludes(answer, "HTTP/1.1 400");
  assertStringIncludes(answer, "malformed request: expected a path");
});

Deno.test("limits that are not positive integers are refused, naming the limit", async () => {
  await assert.rejects(local({ maxConnections: 0 }), {
    name: "RangeError",
    message: "HTTP limit maxConnections must be a positive integer, got 0",
  });
  await assert.rejects(local({ headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 }), {
    name: "RangeError",
    message: /headersTimeoutMs \(5000\) must not exceed requestTimeoutMs \(1000\)/,
  });
});

Deno.test("a body refused unread closes its connection; the next request is not held up", async () => {
  await using server = await startHttpServer({
    port: 0,
    hostname: "127.0.0.1",
    routes: [
      { method: "POST", path: "/refuse", handle: () => new Response("too large", { status: 413 }) },
      ...routes,
    ],
  });
  // One client, so the second request would reuse the first one's connection if it stayed open.
  using client = Deno.createHttpClient({});
  const url = `http://127.0.0.1:${server.port}`;
  const refused = await fetch(`${url}/refuse`, {
    client,
    method: "POST",
    body: "x".repeat(2 << 20),
  });
  assertEquals([refused.status, refused.headers.get("connection")], [413, "close"]);
  await refused.bytes();
  const next = await fetch(`${url}/healthz`, { client, signal: AbortSignal.timeout(5_000) });
  assertEquals(await next.text(), "ok");
});
