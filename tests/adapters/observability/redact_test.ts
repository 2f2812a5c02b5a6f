import { assertEquals } from "../../support/assert.ts";
import { redactTokens, SecretRedactor } from "../../../adapters/observability/redact.ts";

Deno.test("tokens in URLs and in plain text are redacted", () => {
  const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
  assertEquals(
    redactTokens(`error sending request for url (http://127.0.0.1:1/bot${token}/getMe)`),
    "error sending request for url (http://127.0.0.1:1/bot<redacted>/getMe)",
  );
  assertEquals(redactTokens(`token=${token}.`), "token=<redacted>.");
  assertEquals(redactTokens(`glued:x${token}`), "glued:x<redacted>");
});

Deno.test("text without tokens is left alone", () => {
  const text = "order 12345 paid at 10:30, charge stxAbc";
  assertEquals(redactTokens(text), text);
});

Deno.test("registered secrets are blanked wherever they appear, tokens too", () => {
  const redactor = new SecretRedactor();
  redactor.add("webhook-secret-0123");
  redactor.add("short");
  redactor.add(undefined);
  assertEquals(
    redactor.redact("secret webhook-secret-0123 and short and 4242:AAAAAAAAAAAAAAAAAAAAAAAAA"),
    "secret <redacted> and short and <redacted>",
  );
});

Deno.test("with a thousand secrets, each is blanked wherever it appears, the longer first", () => {
  const redactor = new SecretRedactor();
  const known = Array.from(
    { length: 1_000 },
    (_, i) => `hook-secret-${String(i).padStart(4, "0")}`,
  );
  for (const secret of known) redactor.add(secret);
  redactor.add("hook-secret-0007-and-more");
  redactor.add("hook-secret-0007"); // again: no double entry
  assertEquals(
    redactor.redact(`${known[0]}${known[999]} x ${known[500]}. hook-secret-0007-and-more!`),
    "<redacted><redacted> x <redacted>. <redacted>!",
  );
  assertEquals(redactor.redact("hook-secret-1000 is not one"), "hook-secret-1000 is not one");
  assertEquals(redactor.redact("hook-secret-000"), "hook-secret-000");
});
