import assert from "node:assert/strict";
import { systemClock } from "../../../../actors/kernel/clock.ts";
import { operatorConsole } from "../../../../adapters/http/console/console_routes.ts";
import { startHttpServer } from "../../../../adapters/http/server.ts";
import { LogTail } from "../../../../adapters/observability/log_tail.ts";
import { openDatabase } from "../../../../adapters/storage/open_database.ts";
import type { DeadLetterRetry, TenantReport } from "../../../../adapters/http/runtime_view.ts";

const TOKEN = "dead-letter-test-admin-token";

/** A console over a stub runtime whose `shop` has dead letter 7, and a logged-in session. */
async function consoleWithDeadLetter(retry: DeadLetterRetry) {
  const db = await openDatabase("sqlite::memory:");
  const calls: string[] = [];
  const shop: TenantReport = {
    id: "shop",
    enabled: true,
    state: "running",
    updates: "polling",
    restarts: 0,
    lastError: "boom with 123456:SECRET-TOKEN-VALUE inside",
  };
  const operator = operatorConsole({
    runtime: { tenants: () => [shop], draining: () => false },
    deadLetters: {
      deadLetters: () =>
        Promise.resolve([{
          tenantId: "shop",
          updateId: 7,
          kind: "successful_payment",
          movesMoney: true,
          attempts: 3,
          error: "storage failed",
          deadAt: 0,
        }]),
      retryDeadLetter: (tenant, updateId) => {
        calls.push(`retry ${tenant} ${updateId}`);
        return Promise.resolve(updateId === 7 ? retry : "not_found");
      },
      discardDeadLetter: (tenant, updateId) => {
        calls.push(`discard ${tenant} ${updateId}`);
        return Promise.resolve(updateId === 7);
      },
    },
    operator: {
      refund: (_tenant, chargeId) => Promise.resolve({ kind: "not_running", chargeId }),
      starsBalance: () => Promise.resolve({ error: "not running" }),
      tenantSummary: () => undefined,
      outboxBacklog: () => Promise.resolve(undefined),
    },
    db,
    logs: new LogTail(),
    clock: systemClock,
    redact: (text) => text.replaceAll("123456:SECRET-TOKEN-VALUE", "<redacted>"),
    adminToken: TOKEN,
  });
  const server = await startHttpServer({ port: 0, hostname: "127.0.0.1", routes: operator.routes });
  const origin = `http://127.0.0.1:${server.port}`;
  const login = await fetch(`${origin}/console/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: TOKEN }),
  });
  await login.body?.cancel();
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
  const page = await (await fetch(`${origin}/console/tenants/shop`, { headers: { cookie } }))
    .text();
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)![1];
  const post = async (path: string, form: Record<string, string> = {}) => {
    const answer = await fetch(`${origin}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...form, csrf }),
    });
    const body = await answer.text();
    return { status: answer.status, location: answer.headers.get("location"), body };
  };
  return {
    page,
    post,
    calls,
    async [Symbol.asyncDispose]() {
      operator.close();
      await server.shutdown();
      await db.close();
    },
  };
}

Deno.test("dead letters: listed with retry and discard, each a CSRF-checked POST", async () => {
  await using world = await consoleWithDeadLetter("retried");
  assert.match(world.page, /successful_payment/);
  assert.match(world.page, /action="\/console\/tenants\/shop\/dead-letters\/7\/retry"/);
  assert.match(world.page, /action="\/console\/tenants\/shop\/dead-letters\/7\/discard"/);
  assert.match(world.page, /boom with &lt;redacted&gt; inside|boom with <redacted> inside/);
  assert(!world.page.includes("SECRET-TOKEN-VALUE"), "the last error is redacted");

  const base = "/console/tenants/shop/dead-letters";
  for (const action of ["retry", "discard"]) {
    const answer = await world.post(`${base}/7/${action}`);
    assert.deepEqual([answer.status, answer.location], [303, "/console/tenants/shop"]);
  }
  assert.equal((await world.post(`${base}/8/discard`)).status, 404);
  assert.equal((await world.post(`${base}/x/retry`)).status, 400);
  assert.equal((await world.post(`${base}/7/explode`)).status, 404);
  assert.deepEqual(world.calls, ["retry shop 7", "discard shop 7", "discard shop 8"]);
});

Deno.test("dead letters: a retry while the tenant is not running says to come back", async () => {
  await using world = await consoleWithDeadLetter("unavailable");
  assert.equal((await world.post("/console/tenants/shop/dead-letters/7/retry")).status, 503);
});

Deno.test("a refund of a tenant that is not running is not made and says why", async () => {
  await using world = await consoleWithDeadLetter("retried");
  const answer = await world.post("/console/tenants/shop/refunds", { chargeId: "ch_1" });
  assert.equal(answer.status, 503);
  assert.match(answer.body, /The tenant is not running/);
  assert.equal((await world.post("/console/tenants/shop/refunds")).status, 400);
});
