import { assertEquals, assertStringIncludes } from "../../support/assert.ts";
import { startHttpServer } from "../../../adapters/http/server.ts";
import {
  MAX_WEBHOOK_BODY_BYTES,
  webhookPath,
  webhookRoute,
  type WebhookTarget,
} from "../../../adapters/http/webhook_route.ts";
import { createMetrics, type Metrics } from "../../../adapters/observability/metrics.ts";
import { captureLogs } from "./log_capture.ts";

const SECRET = "shop_hook_secret_4f9a";
const SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";

/** A target with one webhook tenant (`shop`) and one polling tenant (`quiz`). */
function fakeTarget() {
  const accepted: { tenantId: string; update: unknown }[] = [];
  const state = { draining: false, failure: undefined as Error | undefined };
  const target: WebhookTarget = {
    secretFor: (tenantId) => (tenantId === "shop" ? SECRET : undefined),
    accept(tenantId, update) {
      if (state.failure) return Promise.reject(state.failure);
      accepted.push({ tenantId, update });
      return Promise.resolve();
    },
    draining: () => state.draining,
  };
  return { target, accepted, state };
}

async function serve(target: WebhookTarget, metrics?: Metrics) {
  const server = await startHttpServer({
    port: 0,
    hostname: "127.0.0.1",
    routes: [webhookRoute({ target, metrics })],
  });
  const post = (
    tenantId: string,
    body: BodyInit | null,
    headers: Record<string, string> = { [SECRET_HEADER]: SECRET },
  ) =>
    fetch(`http://127.0.0.1:${server.port}${webhookPath(tenantId)}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  return { server, post };
}

const update = { update_id: 7001, message: { message_id: 1, text: "/start" } };

Deno.test("the right secret: 200 {} and the parsed update is accepted once", async () => {
  const { target, accepted } = fakeTarget();
  const { server, post } = await serve(target);
  await using _ = server;
  const response = await post("shop", JSON.stringify(update));
  assertEquals(response.status, 200);
  assertEquals(await response.json(), {});
  assertEquals(accepted, [{ tenantId: "shop", update }]);
});

Deno.test("a wrong or missing secret is 401 and nothing is accepted", async () => {
  const { target, accepted } = fakeTarget();
  const { server, post } = await serve(target);
  await using _ = server;
  const wrong = await post("shop", JSON.stringify(update), { [SECRET_HEADER]: `${SECRET}x` });
  assertEquals(wrong.status, 401);
  assertEquals(await wrong.json(), { error: "wrong x-telegram-bot-api-secret-token" });
  const missing = await post("shop", JSON.stringify(update), {});
  assertEquals(missing.status, 401);
  assertEquals(await missing.json(), { error: "missing x-telegram-bot-api-secret-token header" });
  const empty = await post("shop", JSON.stringify(update), { [SECRET_HEADER]: "" });
  assertEquals(empty.status, 401);
  await empty.body?.cancel();
  assertEquals(accepted.length, 0);
});

Deno.test("an unknown tenant and a tenant on polling are both a plain 404", async () => {
  const { target, accepted } = fakeTarget();
  const { server, post } = await serve(target);
  await using _ = server;
  for (const tenant of ["nobody", "quiz"]) {
    const response = await post(tenant, JSON.stringify(update));
    assertEquals(response.status, 404);
    assertEquals(await response.json(), { error: "not found" });
  }
  assertEquals(accepted.length, 0);
});

Deno.test("a body of exactly 1 MiB is accepted; one byte more is 413", async () => {
  const { target, accepted } = fakeTarget();
  const { server, post } = await serve(target);
  await using _ = server;
  const head = `{"update_id":1,"pad":"`;
  const tail = `"}`;
  const fits = head + "x".repeat(MAX_WEBHOOK_BODY_BYTES - head.length - tail.length) + tail;
  assertEquals(fits.length, MAX_WEBHOOK_BODY_BYTES);
  const ok = await post("shop", fits);
  assertEquals(ok.status, 200);
  await ok.body?.cancel();

  const tooLarge = await post("shop", fits + " ");
  assertEquals(tooLarge.status, 413);
  assertEquals(await tooLarge.json(), { error: "body exceeds 1048576 bytes" });
  assertEquals(accepted.length, 1);
});

Deno.test("a streamed body without Content-Length is cut off past 1 MiB with 413", async () => {
  const { target, accepted } = fakeTarget();
  const { server, post } = await serve(target);
  await using _ = server;
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let sent = 0;
  // A stream body is sent chunked, so only counting while reading can catch it.
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent > MAX_WEBHOOK_BODY_BYTES) return controller.close();
      const piece = sent + chunk.length > MAX_WEBHOOK_BODY_BYTES
        ? chunk.subarray(0, MAX_WEBHOOK_BODY_BYTES + 1 - sent)
        : chunk;
      sent += piece.length;
      controller.enqueue(piece);
    },
  });
  const response = await post("shop", body);
  assertEquals(response.status, 413);
  await response.body?.cancel();
  assertEquals(accepted.length, 0);
});

Deno.test("a declared Content-Length over 1 MiB is 413 without waiting for the body", async () => {
  const { target, accepted } = fakeTarget();
  const { server } = await serve(target);
  await using _ = server;
  // Raw HTTP: fetch computes Content-Length itself. The body is never sent, so a server that
  // waited for it would never answer.
  const connection = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  // Only a broken server ever meets this guard: it turns a hang into a failed read.
  let closed = false;
  const guard = setTimeout(() => {
    closed = true;
    connection.close();
  }, 5_000);
  try {
    await connection.write(
      new TextEncoder().encode(
        "POST /telegram/shop HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
          `${SECRET_HEADER}: ${SECRET}\r\nContent-Length: 2000000\r\n\r\n`,
      ),
    );
    const buffer = new Uint8Array(4096);
    const read = await connection.read(buffer);
    const head = new TextDecoder().decode(buffer.subarray(0, read ?? 0));
    assertStringIncludes(head.split("\r\n")[0], "HTTP/1.1 413");
  } finally {
    clearTimeout(guard);
    if (!closed) connection.close();
  }
  assertEquals(accepted.length, 0);
});

Deno.test("a body that is not UTF-8 JSON is 400 naming why", async () => {
  const { target, accepted } = fakeTarget();
  const { server, post } = await serve(target);
  await using _ = server;
  const cases: [BodyInit, string][] = [
    ["{not json", "body is not valid JSON"],
    [new Uint8Array([0x7b, 0xff, 0x7d]), "body is not valid UTF-8"],
    ["", "body is not valid JSON"],
  ];
  for (const [body, error] of cases) {
    const response = await post("shop", body);
    assertEquals(response.status, 400, error);
    assertEquals(await response.json(), { error });
  }
  assertEquals(accepted.length, 0);
});

Deno.test("JSON that is no Update goes to the tenant, which records it as rejected: 200", async () => {
  const { target, accepted } = fakeTarget();
  const { server, post } = await serve(target);
  await using _ = server;
  // Answering 4xx made Telegram send these again and again; the tenant's check records them.
  const bodies = ["[1]", "null", `{"message":{}}`, `{"update_id":"7"}`, `{"update_id":1.5}`];
  for (const body of bodies) {
    const response = await post("shop", body);
    assertEquals(response.status, 200, body);
    await response.body?.cancel();
  }
  assertEquals(accepted.map((entry) => entry.update), bodies.map((body) => JSON.parse(body)));
});

Deno.test("a body not declared application/json is 415 and never accepted", async () => {
  const { target, accepted } = fakeTarget();
  const { server, post } = await serve(target);
  await using _ = server;
  const body = JSON.stringify(update);
  for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
    const response = await post("shop", body, { [SECRET_HEADER]: SECRET, "content-type": type });
    assertEquals(response.status, 415, type);
    assertEquals(await response.json(), {
      error: `expected Content-Type: application/json, got ${type}`,
    });
  }
  const declared = await post("shop", body, {
    [SECRET_HEADER]: SECRET,
    "content-type": "Application/JSON; charset=utf-8",
  });
  assertEquals(declared.status, 200);
  await declared.body?.cancel();
  assertEquals(accepted.length, 1);
});

Deno.test("while draining: 503 with Retry-After, nothing accepted", async () => {
  const { target, accepted, state } = fakeTarget();
  const { server, post } = await serve(target);
  await using _ = server;
  state.draining = true;
  const response = await post("shop", JSON.stringify(update));
  assertEquals(response.status, 503);
  assertEquals(response.headers.get("retry-after"), "5");
  await response.body?.cancel();
  assertEquals(accepted.length, 0);
});

Deno.test("accept failing is 500 so Telegram retries", async () => {
  const { target, state } = fakeTarget();
  const { server, post } = await serve(target);
  await using _ = server;
  state.failure = new Error("database is locked");
  const response = await post("shop", JSON.stringify(update));
  assertEquals(response.status, 500);
  assertEquals(await response.json(), { error: "could not record the update; retry later" });
});

Deno.test("GET on the webhook path is 405", async () => {
  const { target } = fakeTarget();
  const { server } = await serve(target);
  await using _ = server;
  const response = await fetch(`http://127.0.0.1:${server.port}/telegram/shop`);
  assertEquals(response.status, 405);
  assertEquals(response.headers.get("allow"), "POST");
  await response.body?.cancel();
});

Deno.test("every answer is counted by tenant, outcome and status", async () => {
  const { target, state } = fakeTarget();
  const metrics = createMetrics();
  const { server, post } = await serve(target, metrics);
  await using _ = server;
  for (const status of [200, 200, 401, 404, 400, 503, 500]) {
    const tenant = status === 404 ? "nobody" : "shop";
    const headers: Record<string, string> = { [SECRET_HEADER]: status === 401 ? "no" : SECRET };
    state.draining = status === 503;
    state.failure = status === 500 ? new Error("disk full") : undefined;
    const response = await post(tenant, status === 400 ? "{" : JSON.stringify(update), headers);
    assertEquals(response.status, status);
    await response.body?.cancel();
  }
  const text = await metrics.render();
  for (
    const line of [
      'constellation_webhook_requests_total{tenant="shop",outcome="recorded",status="200"} 2',
      'constellation_webhook_requests_total{tenant="shop",outcome="bad_secret",status="401"} 1',
      // A path naming no webhook tenant adds no series of its own.
      'constellation_webhook_requests_total{tenant="",outcome="not_found",status="404"} 1',
      'constellation_webhook_requests_total{tenant="shop",outcome="malformed",status="400"} 1',
      'constellation_webhook_requests_total{tenant="shop",outcome="unavailable",status="503"} 1',
      'constellation_webhook_requests_total{tenant="shop",outcome="error",status="500"} 1',
    ]
  ) assertStringIncludes(text, line);
});

Deno.test("neither the secret nor the body is ever logged", async () => {
  const { target, state } = fakeTarget();
  const { server, post } = await serve(target);
  const privateText = "my card PIN is 4321";
  const guessed = "guessed_secret_value";
  const body = JSON.stringify({ update_id: 9, message: { text: privateText } });
  const logs = await captureLogs(async () => {
    await using _ = server;
    state.failure = new Error("storage unavailable");
    const attempts: Record<string, string>[] = [
      { [SECRET_HEADER]: guessed },
      {},
      { [SECRET_HEADER]: SECRET },
    ];
    for (const headers of attempts) {
      const response = await post("shop", body, headers);
      await response.body?.cancel();
    }
  });
  const logged = logs.join("");
  // The refusals and the failure were logged, but without the secrets or the body.
  assertStringIncludes(logged, "wrong secret token");
  assertStringIncludes(logged, "without a secret token");
  assertStringIncludes(logged, "storage unavailable");
  assertEquals(logged.includes(SECRET), false, "the secret was logged");
  assertEquals(logged.includes(guessed), false, "a guessed secret was logged");
  assertEquals(logged.includes(privateText), false, "the body was logged");
});
