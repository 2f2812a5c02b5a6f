import assert from "node:assert/strict";
import { ADMIN_TOKEN, ConsoleWorld } from "../../../support/console_world.ts";
import { waitUntil } from "../../../support/wait.ts";

/** Every console route, with a request that would work with a session. */
const ROUTES: [string, string][] = [
  ["GET", "/console"],
  ["GET", "/console/events"],
  ["GET", "/console/tenants/shop"],
  ["GET", "/console/tenants/shop/events"],
  ["GET", "/console/search?q=1"],
  ["GET", "/console/assets/console.js"],
  ["GET", "/console/assets/uPlot.iife.min.js"],
  ["POST", "/console/logout"],
  ["POST", "/console/tenants/shop/refunds"],
  ["POST", "/console/tenants/shop/dead-letters/1/retry"],
  ["POST", "/console/tenants/shop/dead-letters/1/discard"],
];

async function drained(response: Response): Promise<Response> {
  await response.body?.cancel();
  return response;
}

Deno.test("without ADMIN_TOKEN the console is off and says so", async () => {
  await using world = await ConsoleWorld.start({ adminToken: null });
  const page = await world.get("/console");
  assert.equal(page.status, 404);
  assert.match(await page.text(), /The console is off[\s\S]*ADMIN_TOKEN/);
  for (const [method, path] of ROUTES.slice(1)) {
    const answer = await drained(
      method === "GET" ? await world.get(path) : await world.post(path, {}),
    );
    assert.equal(answer.status, 404, `${method} ${path}`);
  }
  const login = await drained(await world.post("/console/login", { token: "" }));
  assert.equal(login.status, 404);
});

Deno.test("no console route is reachable without a session", async () => {
  await using world = await ConsoleWorld.start();
  for (const [method, path] of ROUTES) {
    const answer = await drained(
      method === "GET" ? await world.get(path) : await world.post(path, { csrf: "x" }),
    );
    const page = method === "GET" && !path.includes("events") && !path.includes("assets");
    assert.equal(answer.status, page ? 303 : 401, `${method} ${path}`);
    if (page) assert.equal(answer.headers.get("location"), "/console/login");
    assert.equal(answer.headers.get("set-cookie"), null, `${method} ${path} sets no cookie`);
  }
  // A made-up session is no session.
  const forged = await drained(await world.get("/console", "cs_session=forged"));
  assert.equal(forged.status, 303);
  const login = await world.get("/console/login");
  assert.equal(login.status, 200);
  assert.equal(login.headers.get("set-cookie"), null);
  assert.match(await login.text(), /type="password"/);
});

Deno.test("login: a wrong token is refused without a cookie; the right one gets a strict cookie", async () => {
  await using world = await ConsoleWorld.start();
  const wrong = await world.post("/console/login", { token: "guess" });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get("set-cookie"), null);
  assert.match(await wrong.text(), /Wrong admin token/);

  const right = await drained(await world.post("/console/login", { token: ADMIN_TOKEN }));
  assert.equal(right.status, 303);
  assert.equal(right.headers.get("location"), "/console");
  const cookie = right.headers.get("set-cookie") ?? "";
  assert.match(cookie, /^cs_session=[\w-]{40,}; /);
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /; SameSite=Strict/);
  assert.match(cookie, /; Path=\/console/);
  assert.doesNotMatch(cookie, /Secure/, "plain http: no Secure flag");
  assert(!cookie.includes(ADMIN_TOKEN));

  const session = cookie.split(";")[0];
  const fleet = await world.get("/console", session);
  assert.equal(fleet.status, 200);
  const html = await fleet.text();
  assert(!html.includes(ADMIN_TOKEN), "the admin token is never on a page");

  // Logout ends the session: the cookie no longer opens anything.
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(html)![1];
  const out = await drained(await world.post("/console/logout", { csrf }, { cookie: session }));
  assert.equal(out.status, 303);
  assert.match(out.headers.get("set-cookie") ?? "", /Max-Age=0/);
  assert.equal((await drained(await world.get("/console", session))).status, 303);
});

Deno.test("failed logins are rate-limited per address", async () => {
  await using world = await ConsoleWorld.start();
  for (let i = 0; i < 5; i++) {
    assert.equal(
      (await drained(await world.post("/console/login", { token: `g${i}` }))).status,
      401,
    );
  }
  const held = await drained(await world.post("/console/login", { token: ADMIN_TOKEN }));
  assert.equal(held.status, 429, "even the right token waits once the limit is reached");
  assert(Number(held.headers.get("retry-after")) > 0);
});

Deno.test("state-changing requests need the CSRF token and the console's own origin", async () => {
  await using world = await ConsoleWorld.start();
  const cookie = await world.login();
  const csrf = await world.csrfOf(cookie);
  const refunds = "/console/tenants/shop/refunds";

  const without = await world.post(refunds, { chargeId: "ch_x" }, { cookie });
  assert.equal(without.status, 403);
  assert.match((await without.json()).error, /CSRF token/);
  const wrong = await drained(
    await world.post(refunds, { chargeId: "ch_x", csrf: "nope" }, { cookie }),
  );
  assert.equal(wrong.status, 403);
  const foreign = await world.post(refunds, { chargeId: "ch_x", csrf }, {
    cookie,
    headers: { origin: "https://evil.example" },
  });
  assert.equal(foreign.status, 403);
  assert.match((await foreign.json()).error, /cross-site/);
  const crossSite = await drained(
    await world.post(refunds, { chargeId: "ch_x", csrf }, {
      cookie,
      headers: { "sec-fetch-site": "cross-site" },
    }),
  );
  assert.equal(crossSite.status, 403);

  // With both, the request goes through (an unknown charge: 404 naming it).
  const accepted = await world.post(refunds, { chargeId: "ch_x", csrf }, {
    cookie,
    headers: { accept: "application/json", "x-csrf-token": csrf },
  });
  assert.equal(accepted.status, 404);
  assert.equal((await accepted.json()).outcome, "unknown_charge");
  const empty = await world.post(refunds, { csrf }, { cookie });
  assert.equal(empty.status, 400);
  assert.match((await empty.json()).error, /chargeId is required/);
  const notJson = await drained(
    await fetch(`${world.origin}${refunds}`, {
      method: "POST",
      headers: { cookie, "content-type": "text/plain", "x-csrf-token": csrf },
      body: "x",
    }),
  );
  assert.equal(notJson.status, 415);
});

Deno.test("pages carry a CSP without inline scripts and refuse framing", async () => {
  await using world = await ConsoleWorld.start();
  const cookie = await world.login();
  for (const path of ["/console", "/console/tenants/shop", "/console/search", "/console/login"]) {
    const answer = await world.get(path, path.endsWith("login") ? undefined : cookie);
    const csp = answer.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'(;|$)/, path);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.equal(answer.headers.get("x-frame-options"), "DENY");
    assert.equal(answer.headers.get("x-content-type-options"), "nosniff");
    const html = await answer.text();
    // Only scripts with a src, and JSON data blocks the browser never runs.
    for (const tag of html.match(/<script[^>]*>/g) ?? []) {
      assert.match(tag, /src="\/console\/assets\/|type="application\/json"/, `${path}: ${tag}`);
    }
    assert.doesNotMatch(html, / style="| on[a-z]+="/, `${path}: no inline style or handler`);
  }
  const uplot = await world.get("/console/assets/uPlot.iife.min.js", cookie);
  assert.equal(uplot.status, 200);
  assert.match(await uplot.text(), /uPlot/);
});

Deno.test("fleet, tenant page and search show a purchase; a refund asked twice at once refunds once", async () => {
  await using world = await ConsoleWorld.start();
  const cookie = await world.login();
  const csrf = await world.csrfOf(cookie);
  const fleet = await (await world.get("/console", cookie)).text();
  assert.match(fleet, /data-tenant="quiz"/);
  assert.match(fleet, /data-tenant="shop"/);

  const chargeId = await world.buyCredits();
  await waitUntil("the fleet shows the Stars", async () => {
    const page = await (await world.get("/console", cookie)).text();
    return /<td data-field="today">50<\/td>/.test(page);
  }, 10_000);
  const tenant = await (await world.get("/console/tenants/shop", cookie)).text();
  assert(tenant.includes(chargeId), "the payment is listed with its charge id");
  assert.match(tenant, /credits_100/);
  assert(!tenant.includes(world.bots.shop.token), "no bot token on the page");

  for (const query of [chargeId, String(world.buyer.id)]) {
    const search = await (await world.get(`/console/search?q=${encodeURIComponent(query)}`, cookie))
      .text();
    assert(search.includes(chargeId), `search for ${query}`);
  }
  const long = await drained(await world.get(`/console/search?q=${"x".repeat(201)}`, cookie));
  assert.equal(long.status, 400);

  const refund = () =>
    world.post("/console/tenants/shop/refunds", { chargeId, csrf }, {
      cookie,
      headers: { accept: "application/json" },
    });
  const [first, second] = await Promise.all([refund(), refund()]);
  const outcomes = [await first.json(), await second.json()];
  // Both clicks get the one refund's outcome: made now, not "already refunded".
  for (const outcome of outcomes) {
    assert.equal(outcome.outcome, "refunded");
    assert.equal(outcome.message, "Refunded 50 ★ to user 424242; 100 credits taken back.");
  }
  const again = await (await refund()).json();
  assert.equal(again.outcome, "already_refunded");
  const calls = world.bots.shop.callsTo("refundStarPayment");
  assert.equal(calls.length, 1, "Telegram was asked once");
  assert.equal(world.buyer.stars, 5000, "the buyer has the Stars back, once");
  // The tenant applied the refund from Telegram's update, so its notice went out at once.
  const notice = await world.buyer.waitForMessage(
    world.bots.shop,
    (m) => /refund/i.test(m.text ?? ""),
    { timeoutMs: 3_000 },
  );
  assert.match(notice.text ?? "", /50/);
  assert.equal(
    world.buyer.messages(world.bots.shop).filter((m) => /refund/i.test(m.text ?? "")).length,
    1,
    "one notice",
  );
});

Deno.test("the fleet's live stream sends every tenant, then changes", async () => {
  await using world = await ConsoleWorld.start();
  const cookie = await world.login();
  const answer = await world.get("/console/events", cookie);
  assert.equal(answer.status, 200);
  assert.match(answer.headers.get("content-type") ?? "", /^text\/event-stream/);
  const reader = answer.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const nextFleet = async () => {
    while (true) {
      const end = text.indexOf("\n\n", text.indexOf("event: fleet"));
      if (text.includes("event: fleet") && end > 0) {
        const start = text.indexOf("event: fleet");
        const block = text.slice(start, end);
        text = text.slice(end + 2);
        return JSON.parse(block.split("\ndata: ")[1]);
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended");
      text += value;
    }
  };
  const rows = await nextFleet();
  assert.deepEqual(rows.map((row: { id: string }) => row.id), ["quiz", "shop"]);
  await world.buyCredits();
  const later = await nextFleet();
  assert.equal(later.find((row: { id: string }) => row.id === "shop").today, 50);
  await reader.cancel();
});
