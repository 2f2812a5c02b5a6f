import { assertEquals, assertRejects, assertTrue } from "../../../support/assert.ts";
import {
  BotApiConnections,
  MAX_IDLE_MS,
} from "../../../../adapters/telegram/transport/bot_api_connections.ts";
import { Sandbox } from "../../../../sandbox/mod.ts";
import { waitUntil } from "../../../support/wait.ts";

const signal = () => AbortSignal.timeout(5_000);

/**
 * A server on loopback that reads one request per turn and answers it with `answer(n)` (the
 * n-th request, from 0), or closes the connection when that is `"close"`, or never answers
 * when it is `"hang"`. Counts the connections it accepted.
 */
function scriptedServer(answer: (n: number) => string | "close" | "hang") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  let accepted = 0;
  let requests = 0;
  const serve = async (conn: Deno.Conn) => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while ((await conn.read(buffer)) !== null) {
        const reply = answer(requests++);
        if (reply === "hang") continue;
        if (reply === "close") break;
        await conn.write(new TextEncoder().encode(reply));
      }
    } catch {
      // The client closed it.
    }
    conns.delete(conn);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      accepted++;
      conns.add(conn);
      serve(conn);
    }
  })();
  return {
    apiRoot: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    accepted: () => accepted,
    /** Closes every connection the server holds, as a server dropping idle ones does. */
    dropAll() {
      for (const conn of conns) conn.close();
      conns.clear();
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      this.dropAll();
      await accepting.catch(() => {});
    },
  };
}

const ok = (body = '{"ok":true,"result":1}', extra = "") =>
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;

Deno.test("calls one after another share one connection; calls at once open one each", async () => {
  await using sandbox = await Sandbox.start();
  const shop = sandbox.createBot({ username: "shop_bot" });
  const connections = BotApiConnections.forApiRoot(sandbox.apiRoot)!;
  const getMe = () => connections.post(`/bot${shop.token}/getMe`, "{}", signal());
  for (let i = 0; i < 3; i++) assertEquals((await getMe()).status, 200);
  assertEquals(connections.size, 1);
  const answers = await Promise.all([getMe(), getMe(), getMe()]);
  assertEquals(answers.map((a) => JSON.parse(a.body).result.username), [
    "shop_bot",
    "shop_bot",
    "shop_bot",
  ]);
  assertEquals(connections.size, 3);
  connections.close();
  assertEquals(connections.size, 0);
  await assertRejects(() => getMe(), Deno.errors.NotConnected, "closed");
});

Deno.test("an idle connection the server closes leaves the pool; the next call opens another", async () => {
  await using server = scriptedServer(() => ok());
  const connections = BotApiConnections.forApiRoot(server.apiRoot)!;
  await connections.post("/botx/getMe", "{}", signal());
  server.dropAll();
  await waitUntil("the pool sees the close", () => connections.size === 0);
  assertEquals((await connections.post("/botx/getMe", "{}", signal())).status, 200);
  assertEquals(server.accepted(), 2);
  connections.close();
});

Deno.test("an answer with Connection: close is used, and its connection is not", async () => {
  await using server = scriptedServer(() => ok(undefined, "Connection: close\r\n"));
  const connections = BotApiConnections.forApiRoot(server.apiRoot)!;
  for (let i = 0; i < 2; i++) {
    assertEquals((await connections.post("/botx/getMe", "{}", signal())).status, 200);
  }
  assertEquals(server.accepted(), 2);
  assertEquals(connections.size, 0);
  connections.close();
});

Deno.test("a connection idle too long is closed instead of reused", async () => {
  await using server = scriptedServer(() => ok());
  let now = 0;
  const connections = BotApiConnections.forApiRoot(server.apiRoot, () => now)!;
  await connections.post("/botx/getMe", "{}", signal());
  now += MAX_IDLE_MS;
  await connections.post("/botx/getMe", "{}", signal());
  assertEquals(server.accepted(), 1, "idle for the limit exactly: reused");
  now += MAX_IDLE_MS + 1;
  await connections.post("/botx/getMe", "{}", signal());
  assertEquals(server.accepted(), 2, "past it: a new connection");
  assertEquals(connections.size, 1, "and the old one closed");
  connections.close();
});

Deno.test("an aborted call rejects with the signal's reason and closes its connection", async () => {
  await using server = scriptedServer(() => "hang");
  const connections = BotApiConnections.forApiRoot(server.apiRoot)!;
  const controller = new AbortController();
  const call = connections.post("/botx/getMe", "{}", controller.signal);
  await waitUntil("the request is in", () => connections.size === 1);
  controller.abort(new Error("deadline"));
  await assertRejects(() => call, Error, "deadline");
  assertEquals(connections.size, 0);
  connections.close();
});

Deno.test("a server that hangs up mid-answer or answers garbage fails the call, not the pool", async () => {
  await using server = scriptedServer((n) =>
    n === 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{" : n === 1 ? "SSH-2.0\r\n\r\n" : ok()
  );
  const connections = BotApiConnections.forApiRoot(server.apiRoot)!;
  const cut = connections.post("/botx/getMe", "{}", signal());
  await waitUntil("the answer started", () => server.accepted() === 1);
  server.dropAll();
  await assertRejects(() => cut, Error, "in the middle of an answer");
  await assertRejects(
    () => connections.post("/botx/getMe", "{}", signal()),
    Error,
    "not an HTTP/1.x status line",
  );
  assertEquals((await connections.post("/botx/getMe", "{}", signal())).status, 200);
  connections.close();
});

Deno.test("closing fails the calls in flight", async () => {
  await using server = scriptedServer(() => "hang");
  const connections = BotApiConnections.forApiRoot(server.apiRoot)!;
  const call = connections.post("/botx/getMe", "{}", signal());
  await waitUntil("the request is in", () => connections.size === 1);
  connections.close();
  await assertRejects(() => call, Deno.errors.NotConnected);
});

Deno.test("a server nobody listens on is a connection error", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const connections = BotApiConnections.forApiRoot(`http://127.0.0.1:${port}`)!;
  await assertRejects(
    () => connections.post("/botx/getMe", "{}", signal()),
    Deno.errors.ConnectionRefused,
  );
  assertEquals(connections.size, 0);
});

Deno.test("no connections where fetch must go: a proxy, or not http(s)", () => {
  assertEquals(BotApiConnections.forApiRoot("ftp://example.org"), undefined);
  assertEquals(BotApiConnections.forApiRoot("not a url"), undefined);
  Deno.env.set("HTTPS_PROXY", "http://127.0.0.1:3128");
  try {
    assertEquals(BotApiConnections.forApiRoot("https://api.telegram.org"), undefined);
  } finally {
    Deno.env.delete("HTTPS_PROXY");
  }
  assertTrue(BotApiConnections.forApiRoot("https://api.telegram.org") !== undefined);
});
