import assert from "node:assert/strict";
import { assertEquals, assertStringIncludes, assertThrows } from "../../support/assert.ts";
import { startHttpServer } from "../../../adapters/http/server.ts";
import { RouteTable } from "../../../adapters/http/routes.ts";
import type { Route } from "../../../adapters/http/routes.ts";
import { captureLogs } from "./log_capture.ts";

const TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

const echoRoute: Route = {
  method: "GET",
  path: "/hello/:name",
  handle: (_request, { params, remote }) =>
    Response.json({ hello: params.name, fromLoopback: remote.startsWith("127.0.0.1:") }),
};

function local(routes: Route[], signal?: AbortSignal) {
  return startHttpServer({ port: 0, hostname: "127.0.0.1", routes, signal });
}

Deno.test("a route gets its decoded path parameters and the client address", async () => {
  await using server = await local([echoRoute]);
  const response = await fetch(`http://127.0.0.1:${server.port}/hello/Ann%20Lee`);
  assertEquals(response.status, 200);
  assertEquals(await response.json(), { hello: "Ann Lee", fromLoopback: true });
});

Deno.test("an unknown path answers 404 in JSON", async () => {
  await using server = await local([echoRoute]);
  for (const path of ["/nowhere", "/hello", "/hello/", "/hello/ann/more", "/hello/%E0%A4%A"]) {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
    assertEquals(response.status, 404, path);
    assertEquals(response.headers.get("content-type"), "application/json; charset=utf-8");
    assertEquals(await response.json(), { error: "not found" });
  }
});

Deno.test("a known path with the wrong method answers 405 with Allow", async () => {
  await using server = await local([
    echoRoute,
    { method: "PUT", path: "/hello/:who", handle: () => new Response("put") },
  ]);
  const response = await fetch(`http://127.0.0.1:${server.port}/hello/ann`, { method: "DELETE" });
  assertEquals(response.status, 405);
  assertEquals(response.headers.get("allow"), "GET, PUT");
  assertEquals(await response.json(), { error: "method DELETE not allowed here; use GET, PUT" });
});

Deno.test("a handler that throws gets a bare 500; the reason is logged with tokens removed", async () => {
  let response: Response | undefined;
  const logs = await captureLogs(async () => {
    await using server = await local([{
      method: "GET",
      path: "/boom",
      handle: () => {
        throw new Error(`request to /bot${TOKEN}/getMe failed`);
      },
    }]);
    response = await fetch(`http://127.0.0.1:${server.port}/boom`);
    assertEquals(await response.json(), { error: "internal error" });
  });
  assertEquals(response?.status, 500);
  const logged = logs.join("");
  assertStringIncludes(logged, "/bot<redacted>/getMe failed");
  assertEquals(logged.includes(TOKEN), false, "the token was logged");
});

Deno.test("shutdown resolves, ends `finished` and frees the port", async () => {
  const server = await local([echoRoute]);
  const port = server.port;
  assertEquals((await fetch(`http://127.0.0.1:${port}/hello/ann`)).status, 200);
  await server.shutdown();
  await server.finished;
  // The port can be bound again at once.
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  listener.close();
});

Deno.test("aborting the signal shuts the server down", async () => {
  const stop = new AbortController();
  const server = await local([echoRoute], stop.signal);
  stop.abort();
  await server.finished;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: server.port });
  listener.close();
  await server.shutdown(); // still safe afterwards
});

Deno.test("a port in use is a clear error naming the address", async () => {
  await using first = await local([]);
  await assert.rejects(
    startHttpServer({ port: first.port, hostname: "127.0.0.1", routes: [] }),
    { message: `cannot listen on 127.0.0.1:${first.port}: the port is already in use (HTTP_PORT)` },
  );
});

Deno.test("malformed or duplicate routes are refused when the table is built", () => {
  const handle = () => new Response();
  assertThrows(
    () => new RouteTable([{ method: "get", path: "/a", handle }]),
    TypeError,
    "route get /a: method must be upper-case letters",
  );
  assertThrows(
    () => new RouteTable([{ method: "GET", path: "a", handle }]),
    TypeError,
    'route GET a: path must start with "/"',
  );
  assertThrows(
    () => new RouteTable([{ method: "GET", path: "/a/:1x", handle }]),
    TypeError,
    'parameter ":1x" must be ":" and an identifier',
  );
  assertThrows(
    () =>
      new RouteTable([
        { method: "GET", path: "/t/:id", handle },
        { method: "GET", path: "/t/:other", handle },
      ]),
    TypeError,
    "route GET /t/:other: declared twice",
  );
});
