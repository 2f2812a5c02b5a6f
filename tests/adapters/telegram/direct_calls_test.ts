import { Api, GrammyError, HttpError, InputFile } from "grammy";
import { assertEquals, assertTrue } from "../../support/assert.ts";
import { directCalls } from "../../../adapters/telegram/direct_calls.ts";
import { BotApiConnections } from "../../../adapters/telegram/transport/bot_api_connections.ts";
import { CallDeadlineExceeded, callDeadlines } from "../../../adapters/telegram/call_deadline.ts";
import { nativeFetch } from "../../../adapters/telegram/native_fetch.ts";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { Sandbox } from "../../../sandbox/mod.ts";
import { waitUntil } from "../../support/wait.ts";

// Every case runs over both ways a direct call goes: a tenant's keep-alive connections, and
// Deno's fetch (without connections: behind a proxy).
const transports = ["connections", "fetch"] as const;
type Transport = typeof transports[number];

/** The connections for `apiRoot` when `transport` uses them. */
function connectionsFor(transport: Transport, apiRoot: string) {
  return transport === "connections" ? BotApiConnections.forApiRoot(apiRoot) : undefined;
}

/** A bot's Api as a tenant has it: the deadline transformer sending calls directly. */
async function world(transport: Transport) {
  const sandbox = await Sandbox.start();
  const shop = sandbox.createBot({ username: "shop_bot" });
  const ann = sandbox.createUser({ firstName: "Ann" });
  await ann.send(shop, "hi"); // a bot may only write to users who wrote first
  const clock = new ManualClock(0);
  // grammY's own client is there for what the direct sender declines; counted to see which ran.
  let viaGrammy = 0;
  const api = new Api(shop.token, {
    apiRoot: sandbox.apiRoot,
    fetch: ((url: string, init: RequestInit) => {
      viaGrammy++;
      return nativeFetch(url, init);
    }) as typeof nativeFetch,
  });
  const connections = connectionsFor(transport, sandbox.apiRoot);
  const direct = directCalls({ token: shop.token, apiRoot: sandbox.apiRoot }, connections);
  api.config.use(callDeadlines(clock, { callMs: 5_000, longPollMarginMs: 2_000 }, direct));
  return {
    sandbox,
    shop,
    ann,
    clock,
    api,
    viaGrammy: () => viaGrammy,
    async [Symbol.asyncDispose]() {
      connections?.close();
      await sandbox.close();
    },
  };
}

for (const transport of transports) {
  Deno.test(`[${transport}] calls go directly, without null fields, and Telegram's errors are grammY's`, async () => {
    await using w = await world(transport);
    const { sandbox, shop, ann, api, viaGrammy } = w;
    const sent = await api.sendMessage(ann.id, "Hello", {
      reply_markup: null as unknown as undefined,
    });
    assertEquals(sent.text, "Hello");
    const call = shop.calls.find((c) => c.method === "sendMessage")!;
    assertEquals("reply_markup" in call.params, false, "null fields are left out, as grammY does");
    sandbox.failNext(shop.token, "sendMessage", { error_code: 403, description: "Forbidden" });
    const refused = await api.sendMessage(ann.id, "again").catch((error) => error);
    assertTrue(refused instanceof GrammyError && refused.error_code === 403);
    assertEquals(viaGrammy(), 0, "nothing went through grammY's client");
  });

  Deno.test(`[${transport}] a file to upload is declined and goes through grammY's multipart client`, async () => {
    await using w = await world(transport);
    const { sandbox, shop, ann, api, viaGrammy } = w;
    const direct = directCalls({ token: shop.token, apiRoot: sandbox.apiRoot });
    const document = new InputFile(new TextEncoder().encode("receipt"), "receipt.txt");
    const payload = { chat_id: ann.id, media: [{ type: "document", media: document }] };
    assertEquals(direct("sendMediaGroup", payload, AbortSignal.timeout(1_000)), undefined);
    await api.sendDocument(ann.id, document).catch(() => {}); // whatever the sandbox answers
    assertEquals(viaGrammy(), 1);
  });

  Deno.test(`[${transport}] a direct call nobody answers ends at its deadline as 'no answer'`, async () => {
    await using w = await world(transport);
    const { sandbox, shop, clock, api } = w;
    sandbox.hangNext(shop.token, "getMe");
    const hung = api.getMe().catch((error) => error);
    await waitUntil(
      "the call reaches the sandbox",
      () => shop.calls.some((c) => c.fault === "hang"),
    );
    await clock.advance(5_000);
    const error = await hung;
    assertTrue(error instanceof HttpError && error.error instanceof CallDeadlineExceeded);
    assertEquals(clock.pendingTimers, 0, "no timer is left behind");
  });

  Deno.test(`[${transport}] a dropped connection is an HttpError whose message holds no token`, async () => {
    await using w = await world(transport);
    const { sandbox, shop, api } = w;
    sandbox.dropNext(shop.token, "getMe");
    const error = await api.getMe().catch((error) => error);
    assertTrue(error instanceof HttpError, String(error));
    assertEquals(error.message, "Network request for 'getMe' failed!");
    assertTrue(!String(error.error).includes(shop.token), String(error.error));
  });

  Deno.test(`[${transport}] the test environment's methods are under /test/, and a foreign answer says so`, async () => {
    const seen: string[] = [];
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => {
        seen.push(new URL(request.url).pathname);
        return new Response("<html>captive portal</html>", {
          headers: { "content-type": "text/html" },
        });
      },
    );
    const apiRoot = `http://127.0.0.1:${server.addr.port}`;
    const connections = connectionsFor(transport, apiRoot);
    const direct = directCalls({ token: "1:secret", apiRoot, testEnvironment: true }, connections);
    const answer = await direct("getMe", {}, AbortSignal.timeout(5_000));
    connections?.close();
    assertEquals(seen, ["/bot1:secret/test/getMe"]);
    assertTrue(answer !== undefined && !answer.ok && answer.error_code === 502);
    assertTrue(answer !== undefined && !answer.ok && answer.description.includes("captive portal"));
  });
}
