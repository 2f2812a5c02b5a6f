import assert from "node:assert/strict";
import { ManualClock } from "../../../../actors/kernel/clock.ts";
import { ConsoleAuth } from "../../../../adapters/http/console/console_auth.ts";

const TOKEN = "auth-test-admin-token";

function loginRequest(token: string, headers: Record<string, string> = {}): Request {
  return new Request("http://console.test/console/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ token }),
  });
}

async function logIn(auth: ConsoleAuth): Promise<string> {
  const result = await auth.login(loginRequest(TOKEN), "10.0.0.1");
  assert(result.kind === "logged_in");
  return (result.response.headers.get("set-cookie") ?? "").split(";")[0];
}

Deno.test("over https the session cookie is Secure; over http it is not", async () => {
  for (const secure of [true, false]) {
    const auth = new ConsoleAuth({ adminToken: TOKEN, secure, clock: new ManualClock(0) });
    const result = await auth.login(loginRequest(TOKEN), "10.0.0.1");
    assert(result.kind === "logged_in");
    const cookie = result.response.headers.get("set-cookie") ?? "";
    assert.equal(/; Secure/.test(cookie), secure, cookie);
  }
});

Deno.test("a session ends after 30 minutes unused, and 12 hours after login however used", async () => {
  const clock = new ManualClock(0);
  const auth = new ConsoleAuth({ adminToken: TOKEN, secure: false, clock });
  const cookie = await logIn(auth);
  const asking = () => new Request("http://console.test/console", { headers: { cookie } });
  await clock.advance(29 * 60_000);
  assert(auth.sessionOf(asking()), "used within 30 minutes: still on");
  // Used every 25 minutes: on until 12 hours after login.
  while (clock.now() + 25 * 60_000 <= 12 * 3_600_000) {
    await clock.advance(25 * 60_000);
    assert(auth.sessionOf(asking()), `still on ${clock.now() / 60_000} minutes after login`);
  }
  await clock.advance(25 * 60_000);
  assert.equal(auth.sessionOf(asking()), undefined, "12 hours after login: over");
  const page = auth.pageSession(asking());
  assert(page instanceof Response);
  assert.equal(page.headers.get("location"), "/console/login");

  const idle = await logIn(auth);
  await clock.advance(31 * 60_000);
  const request = new Request("http://console.test/console", { headers: { cookie: idle } });
  assert.equal(auth.sessionOf(request), undefined, "31 minutes unused: over");
});

Deno.test("a login from another site, or an empty token, is refused before any check", async () => {
  const auth = new ConsoleAuth({ adminToken: TOKEN, secure: false, clock: new ManualClock(0) });
  const foreign = await auth.login(loginRequest(TOKEN, { origin: "https://evil.example" }), "a");
  assert.deepEqual(foreign.kind === "refused" && foreign.status, 403);
  const empty = await auth.login(loginRequest(""), "a");
  assert.deepEqual(empty.kind === "refused" && [empty.status, empty.message], [
    400,
    "Enter the admin token.",
  ]);
});
