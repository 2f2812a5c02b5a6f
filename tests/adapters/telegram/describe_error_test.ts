import { GrammyError, HttpError } from "grammy";
import { assertEquals } from "../../support/assert.ts";
import { describeError } from "../../../adapters/telegram/describe_error.ts";

const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

Deno.test("API errors read as their code and description", () => {
  const error = new GrammyError(
    "Call to 'sendMessage' failed!",
    { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" },
    "sendMessage",
    {},
  );
  assertEquals(describeError(error), "403 Forbidden: bot was blocked by the user");
});

Deno.test("network errors name their cause and never the token in the URL", () => {
  const refused = new TypeError("fetch failed", {
    cause: new Error(`connect ECONNREFUSED 127.0.0.1:1 for /bot${token}/getMe`),
  });
  assertEquals(
    describeError(new HttpError("Network request for 'getMe' failed!", refused)),
    "network error: TypeError: fetch failed (connect ECONNREFUSED 127.0.0.1:1 for /bot<redacted>/getMe)",
  );
  assertEquals(describeError(new Error(`GET /bot${token}/getMe`)), "GET /bot<redacted>/getMe");
});
