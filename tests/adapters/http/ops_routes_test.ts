import { assertEquals, assertStringIncludes } from "../../support/assert.ts";
import { opsRoutes } from "../../../adapters/http/ops_routes.ts";
import type { TenantReport } from "../../../adapters/http/runtime_view.ts";
import { startHttpServer } from "../../../adapters/http/server.ts";
import { createMetrics, type Metrics } from "../../../adapters/observability/metrics.ts";
import { redactTokens } from "../../../adapters/observability/redact.ts";
import type { UpdateDeadLetter } from "../../../money/delivery/update_dead_letters.ts";

const ADMIN_TOKEN = "admin-token-7c1e";
const BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const WEBHOOK_SECRET = "quiz_hook_secret_99";

/** What the lead passes: bot tokens, webhook secrets and API hashes removed. */
const redact = (text: string) => redactTokens(text).replaceAll(WEBHOOK_SECRET, "<redacted>");

const running: TenantReport = {
  id: "shop",
  enabled: true,
  state: "running",
  updates: "webhook",
  restarts: 1,
  lastUpdateAt: Date.UTC(2025, 0, 2, 3, 4, 5),
  // It serves without its menu; the error quotes a token, which /status must not show.
  failingOptionalCalls: [{
    call: "setMyCommands (default scope)",
    error: `500 not a Bot API answer: HTTP 500, body: POST /bot${BOT_TOKEN}/setMyCommands`,
    attempts: 2,
    failingSince: Date.UTC(2025, 0, 2, 3, 4, 0),
    nextAttemptAt: Date.UTC(2025, 0, 2, 3, 4, 10),
  }],
};
const failed: TenantReport = {
  id: "quiz",
  enabled: true,
  state: "failed",
  updates: "polling",
  restarts: 10,
  lastError: `401 Unauthorized: GET /bot${BOT_TOKEN}/getMe`,
};
const disabled: TenantReport = {
  id: "old",
  enabled: false,
  state: "disabled",
  updates: "polling",
  restarts: 0,
};
const invalid: TenantReport = {
  id: "broken",
  enabled: true,
  state: "invalid",
  updates: "webhook",
  restarts: 0,
  configError: `webhook.secretToken: ${WEBHOOK_SECRET} is too short`,
};

/** A payment `quiz` set aside; its error quotes a token, which /status must not show. */
const quizDeadLetter: UpdateDeadLetter = {
  tenantId: "quiz",
  updateId: 41,
  kind: "successful_payment",
  movesMoney: true,
  attempts: 3,
  error: `failed 3 times: GET /bot${BOT_TOKEN}/sendMessage: 502`,
  deadAt: Date.UTC(2025, 0, 2, 3, 4, 5),
};

async function serve(
  tenants: TenantReport[],
  options: {
    adminToken?: string;
    metrics?: Metrics;
    draining?: () => boolean;
    deadLettersFail?: boolean;
  } = {
    adminToken: ADMIN_TOKEN,
  },
) {
  const metrics = options.metrics ?? createMetrics();
  const server = await startHttpServer({
    port: 0,
    hostname: "127.0.0.1",
    routes: opsRoutes({
      runtime: { tenants: () => tenants, draining: options.draining ?? (() => false) },
      deadLetters: {
        deadLetters: () =>
          options.deadLettersFail
            ? Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432"))
            : Promise.resolve([quizDeadLetter]),
        retryDeadLetter: () => Promise.resolve("not_found"),
        discardDeadLetter: () => Promise.resolve(false),
      },
      metrics,
      adminToken: options.adminToken,
      redact,
    }),
  });
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${server.port}${path}`, { headers });
  return { server, get };
}

Deno.test("/healthz answers ok", async () => {
  const { server, get } = await serve([failed]);
  await using _ = server;
  const response = await get("/healthz");
  assertEquals(response.status, 200);
  assertEquals(await response.text(), "ok");
});

Deno.test("/readyz is 200 when every enabled tenant runs, counting the tenants by state", async () => {
  const { server, get } = await serve([running, disabled]);
  await using _ = server;
  const response = await get("/readyz");
  assertEquals(response.status, 200);
  assertEquals(await response.json(), { ready: true, tenants: { running: 1, disabled: 1 } });
});

Deno.test("/readyz stays 200 with a parked or invalid tenant, quoting no tenant error", async () => {
  // Readiness is the process's: a 503 would take every healthy tenant's webhooks out too.
  const { server, get } = await serve([running, failed, disabled, invalid]);
  await using _ = server;
  const response = await get("/readyz");
  assertEquals(response.status, 200);
  assertEquals(await response.json(), {
    ready: true,
    tenants: { running: 1, failed: 1, disabled: 1, invalid: 1 },
  });
});

Deno.test("/readyz is 503 while the process drains", async () => {
  let draining = false;
  const { server, get } = await serve([running], {
    adminToken: ADMIN_TOKEN,
    draining: () => draining,
  });
  await using _ = server;
  const before = await get("/readyz");
  assertEquals(before.status, 200);
  await before.body?.cancel();
  draining = true;
  const response = await get("/readyz");
  assertEquals(response.status, 503);
  assertEquals(await response.json(), {
    ready: false,
    reason: "draining",
    tenants: { running: 1 },
  });
});

Deno.test("/metrics serves the Prometheus text with tenant labels", async () => {
  const metrics = createMetrics();
  metrics.updatesHandled.inc({ tenant: "shop" });
  metrics.payments.inc({ tenant: "shop", kind: "delivered" });
  metrics.onCollect(() => metrics.recordTenantStates([running, failed]));
  const { server, get } = await serve([running, failed], { metrics });
  await using _ = server;
  const response = await get("/metrics");
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("content-type"), metrics.contentType);
  const text = await response.text();
  assertStringIncludes(text, 'constellation_updates_handled_total{tenant="shop"} 1');
  assertStringIncludes(text, 'constellation_payments_total{tenant="shop",kind="delivered"} 1');
  assertStringIncludes(text, 'constellation_tenant_state{tenant="quiz",state="failed"} 1');
});

Deno.test("/metrics text passes through redact", async () => {
  const metrics = createMetrics();
  // An actor name is free text; should one ever carry a secret, the scrape must not.
  metrics.mailboxDepth.set({ actor: `hook:${WEBHOOK_SECRET}` }, 1);
  const { server, get } = await serve([], { metrics });
  await using _ = server;
  const text = await (await get("/metrics")).text();
  assertStringIncludes(text, 'constellation_mailbox_depth{actor="hook:<redacted>"} 1');
  assertEquals(text.includes(WEBHOOK_SECRET), false);
});

Deno.test("/status without the bearer token is 401 with a Bearer challenge", async () => {
  const { server, get } = await serve([running]);
  await using _ = server;
  for (
    const [headers, error] of [
      [{}, "expected Authorization: Bearer <ADMIN_TOKEN>"],
      [{ authorization: ADMIN_TOKEN }, "expected Authorization: Bearer <ADMIN_TOKEN>"],
      [{ authorization: `Basic ${ADMIN_TOKEN}` }, "expected Authorization: Bearer <ADMIN_TOKEN>"],
      [{ authorization: `Bearer ${ADMIN_TOKEN}x` }, "wrong admin token"],
      [{ authorization: "Bearer " }, "expected Authorization: Bearer <ADMIN_TOKEN>"],
    ] as [Record<string, string>, string][]
  ) {
    const response = await get("/status", headers);
    assertEquals(response.status, 401, JSON.stringify(headers));
    assertEquals(response.headers.get("www-authenticate"), 'Bearer realm="constellation"');
    assertEquals(await response.json(), { error });
  }
});

Deno.test("/status with the bearer token reports every tenant, secrets redacted", async () => {
  const { server, get } = await serve([running, failed, disabled, invalid]);
  await using _ = server;
  const response = await get("/status", { authorization: `bearer ${ADMIN_TOKEN}` });
  assertEquals(response.status, 200);
  const text = await response.text();
  assertEquals(text.includes(BOT_TOKEN), false, "a bot token leaked");
  assertEquals(text.includes(WEBHOOK_SECRET), false, "a webhook secret leaked");
  assertEquals(JSON.parse(text), {
    instance: null, // one process, no cluster
    tenants: [
      {
        id: "shop",
        state: "running",
        updates: "webhook",
        restarts: 1,
        lastError: null,
        lastUpdateAt: "2025-01-02T03:04:05.000Z",
        failingOptionalCalls: [{
          call: "setMyCommands (default scope)",
          error: "500 not a Bot API answer: HTTP 500, body: POST /bot<redacted>/setMyCommands",
          attempts: 2,
          failingSince: "2025-01-02T03:04:00.000Z",
          nextAttemptAt: "2025-01-02T03:04:10.000Z",
        }],
        deadLetters: [],
      },
      {
        id: "quiz",
        state: "failed",
        updates: "polling",
        restarts: 10,
        lastError: "401 Unauthorized: GET /bot<redacted>/getMe",
        lastUpdateAt: null,
        failingOptionalCalls: [],
        deadLetters: [{
          updateId: 41,
          kind: "successful_payment",
          payment: true,
          attempts: 3,
          error: "failed 3 times: GET /bot<redacted>/sendMessage: 502",
          deadAt: "2025-01-02T03:04:05.000Z",
        }],
      },
      {
        id: "old",
        state: "disabled",
        updates: "polling",
        restarts: 0,
        lastError: null,
        lastUpdateAt: null,
        failingOptionalCalls: [],
        deadLetters: [],
      },
      {
        id: "broken",
        state: "invalid",
        updates: "webhook",
        restarts: 0,
        lastError: null,
        lastUpdateAt: null,
        configError: "webhook.secretToken: <redacted> is too short",
        failingOptionalCalls: [],
        deadLetters: [],
      },
    ],
  });
});

Deno.test("/status without ADMIN_TOKEN is 404 telling how to enable it", async () => {
  const { server, get } = await serve([running], {});
  await using _ = server;
  const response = await get("/status", { authorization: "Bearer anything" });
  assertEquals(response.status, 404);
  assertEquals(await response.json(), { error: "disabled: set ADMIN_TOKEN" });
});

Deno.test("the operations routes answer GET only", async () => {
  const { server } = await serve([running]);
  await using _ = server;
  const response = await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: "POST" });
  assertEquals(response.status, 405);
  assertEquals(response.headers.get("allow"), "GET");
  await response.body?.cancel();
});

Deno.test("/status answers while the database is down, saying what it could not read", async () => {
  const { server, get } = await serve([running], {
    adminToken: ADMIN_TOKEN,
    deadLettersFail: true,
  });
  await using _ = server;
  const response = await get("/status", { authorization: `Bearer ${ADMIN_TOKEN}` });
  assertEquals(response.status, 200);
  const body = await response.json();
  assertEquals(
    body.storageError,
    "dead letters could not be read: connect ECONNREFUSED 127.0.0.1:5432",
  );
  assertEquals(
    body.tenants.map((t: { id: string; deadLetters: unknown }) => [t.id, t.deadLetters]),
    [
      ["shop", null],
    ],
  );
});
