/**
 * Answers that are not Telegram's `{ok, error_code, description}`, from a server grammY talks to
 * through the runtime's fetch: every error description names the HTTP status and quotes a short,
 * redacted excerpt of the body — never "undefined".
 */
import { Api } from "grammy";
import { assertEquals, assertStringIncludes, assertTrue } from "../../support/assert.ts";
import { nativeFetch } from "../../../adapters/telegram/native_fetch.ts";
import { readBotApiFailure } from "../../../adapters/telegram/bot_api_failure.ts";
import { describeError } from "../../../adapters/telegram/describe_error.ts";
import type { BotApiFailure } from "../../../money/ports.ts";

const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

/** What one `getMe` against a server answering `answer` fails with, read as the runtime does. */
async function failureOf(
  answer: () => Response,
): Promise<{ failure: BotApiFailure; text: string }> {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => answer(),
  );
  const api = new Api(token, {
    apiRoot: `http://127.0.0.1:${server.addr.port}`,
    fetch: nativeFetch,
  });
  try {
    await api.getMe();
  } catch (error) {
    return { failure: readBotApiFailure(error), text: describeError(error) };
  }
  throw new Error("getMe succeeded against a server that only fails");
}

Deno.test("a bare 500 with a plain-text body is a 500 that quotes the body", async () => {
  const { failure, text } = await failureOf(() =>
    new Response("Internal Server Error\n", { status: 500 })
  );
  assertEquals(failure, {
    kind: "refused",
    code: 500,
    description:
      "not a Bot API answer: HTTP 500 Internal Server Error, body: Internal Server Error",
  });
  assertEquals(
    text,
    "500 not a Bot API answer: HTTP 500 Internal Server Error, body: Internal Server Error",
  );
});

Deno.test("JSON without Telegram's fields keeps its status and is quoted", async () => {
  const { failure } = await failureOf(() =>
    Response.json({ error: "no such method" }, { status: 404 })
  );
  assertEquals(failure, {
    kind: "refused",
    code: 404,
    description: 'not a Bot API answer: HTTP 404 Not Found, body: {"error":"no such method"}',
  });
});

Deno.test("an HTML page with 200 is a bad gateway, its markup dropped and its length bounded", async () => {
  const page = `<html><head><title>Welcome</title></head><body>${
    "<p>login here</p>".repeat(40)
  }</body></html>`;
  const { failure } = await failureOf(() =>
    new Response(page, { status: 200, headers: { "content-type": "text/html" } })
  );
  assertEquals(failure.kind, "refused");
  assertEquals(failure.kind === "refused" && failure.code, 502);
  assertStringIncludes(
    failure.description,
    "not a Bot API answer: HTTP 200 OK, body: Welcome login here login here",
  );
  assertTrue(failure.description.endsWith("…"), failure.description);
  assertTrue(failure.description.length < 250, failure.description);
});

Deno.test("a token the body quotes is removed from the excerpt", async () => {
  const { text } = await failureOf(() =>
    new Response(`upstream /bot${token}/getMe failed`, { status: 502 })
  );
  assertEquals(
    text,
    "502 not a Bot API answer: HTTP 502 Bad Gateway, body: upstream /bot<redacted>/getMe failed",
  );
});

Deno.test("an empty body says so", async () => {
  const { text } = await failureOf(() => new Response(null, { status: 503 }));
  assertEquals(text, "503 not a Bot API answer: HTTP 503 Service Unavailable, body: (empty)");
});

Deno.test("a 2xx JSON answer that is not Telegram's never reads as undefined", async () => {
  const { failure, text } = await failureOf(() => Response.json({ result: "?" }));
  assertEquals(failure, {
    kind: "refused",
    code: 502,
    description: "not a Bot API answer: it has no error_code and description",
  });
  assertTrue(!text.includes("undefined"), text);
});

Deno.test("a 2xx answer whose JSON is broken says so, not 'network error'", async () => {
  const { failure } = await failureOf(() =>
    new Response('{"ok": tru', { headers: { "content-type": "application/json" } })
  );
  assertEquals(failure.kind, "unreachable");
  assertStringIncludes(failure.description, "not a Bot API answer: the body is not valid JSON (");
});

Deno.test("Telegram's own errors pass unchanged, retry_after included", async () => {
  const { failure } = await failureOf(() =>
    Response.json({
      ok: false,
      error_code: 429,
      description: "Too Many Requests: retry after 7",
      parameters: { retry_after: 7 },
    }, { status: 429 })
  );
  assertEquals(failure, {
    kind: "refused",
    code: 429,
    description: "Too Many Requests: retry after 7",
    retryAfterSeconds: 7,
  });
});
