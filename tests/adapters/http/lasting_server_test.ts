import { startLastingHttpServer } from "../../../adapters/http/lasting_server.ts";
import type { HttpServer, HttpServerOptions } from "../../../adapters/http/server.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { assertEquals } from "../../support/assert.ts";
import { captureLogs, renderedLogs } from "../../support/log_capture.ts";
import { reset } from "@logtape/logtape";

/**
 * Servers that end when the test says, as Deno's does when its listener fails (EMFILE), and
 * starts that fail while `refuse` is set.
 */
function fakeServers() {
  const started: { options: HttpServerOptions; fail(error: Error): void }[] = [];
  const state = { refuse: undefined as Error | undefined, shutdowns: 0 };
  const start = (options: HttpServerOptions): Promise<HttpServer> => {
    if (state.refuse) return Promise.reject(state.refuse);
    const ended = Promise.withResolvers<void>();
    started.push({ options, fail: (error) => ended.reject(error) });
    const shutdown = () => {
      state.shutdowns++;
      ended.resolve();
      return ended.promise;
    };
    return Promise.resolve({
      port: options.port === 0 ? 43_210 : options.port,
      finished: ended.promise,
      shutdown,
      [Symbol.asyncDispose]: shutdown,
    });
  };
  return { start, started, state };
}

const base = { port: 0, hostname: "127.0.0.1", routes: [] };
const backoff = { minMs: 1_000, maxMs: 4_000, factor: 2, jitter: 0, resetAfterMs: 0 };

Deno.test("a server whose listener fails is logged and listens again on the same port", async () => {
  const records = await captureLogs(["constellation", "http"]);
  try {
    const clock = new ManualClock(0);
    const { start, started, state } = fakeServers();
    const server = await startLastingHttpServer({
      ...base,
      start,
      clock,
      relistenBackoff: backoff,
    });
    assertEquals(server.port, 43_210);

    started[0].fail(new Error("Http: Error: Too many open files (os error 24)"));
    await clock.advance(999);
    assertEquals(started.length, 1, "waits before listening again");
    // The port is still taken (or files still short): the next try comes later.
    state.refuse = new Error("Too many open files (os error 24)");
    await clock.advance(1);
    assertEquals(started.length, 1);
    state.refuse = undefined;
    await clock.advance(2_000);
    assertEquals(started.length, 2);
    assertEquals(started[1].options.port, 43_210, "the port the clients know");

    await server.shutdown();
    assertEquals(state.shutdowns, 1);
    const logged = renderedLogs(records).join("\n");
    assertEquals(
      logged.includes("The HTTP server stopped serving: Http: Error: Too many open files"),
      true,
      logged,
    );
    assertEquals(logged.includes("could not listen again (Too many open files"), true, logged);
    assertEquals(logged.includes("listens again on port 43210"), true, logged);
  } finally {
    await reset();
  }
});

Deno.test("a shutdown while waiting to listen again ends it for good", async () => {
  const clock = new ManualClock(0);
  const { start, started } = fakeServers();
  const server = await startLastingHttpServer({ ...base, start, clock, relistenBackoff: backoff });
  started[0].fail(new Error("Too many open files"));
  await clock.advance(10);
  await server.shutdown();
  await server.finished;
  await clock.advance(60_000);
  assertEquals(started.length, 1);
});

Deno.test("a real server is served and shut down as usual", async () => {
  const server = await startLastingHttpServer({
    ...base,
    routes: [{ method: "GET", path: "/healthz", handle: () => new Response("ok") }],
  });
  const response = await fetch(`http://127.0.0.1:${server.port}/healthz`);
  assertEquals(await response.text(), "ok");
  await server.shutdown();
  await server.finished;
});
