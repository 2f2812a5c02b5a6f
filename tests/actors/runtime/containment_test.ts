import { reset } from "@logtape/logtape";
import {
  containUncaughtErrors,
  runAsTenant,
  type UncaughtErrorOwner,
} from "../../../actors/runtime/containment.ts";
import { Runtime } from "../../../actors/runtime/runtime.ts";
import { createMetrics } from "../../../adapters/observability/metrics.ts";
import { SecretRedactor } from "../../../adapters/observability/redact.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { assertEquals } from "../../support/assert.ts";
import { captureLogs, renderedLogs } from "../../support/log_capture.ts";
import { sampleValue } from "../../support/prometheus_text.ts";
import { parseTestTenant } from "../../support/tenant_configs.ts";
import { TenantWorld } from "../../support/tenant_world.ts";
import type { Database, SqlRunner, SqlValue } from "../../../money/ports.ts";
import { waitUntil } from "../../support/wait.ts";

/** An owner that records which tenants it was asked to crash. */
function fakeOwner() {
  const crashed: string[] = [];
  const owner: UncaughtErrorOwner = {
    crashTenant: (tenantId) => {
      crashed.push(tenantId);
      return true;
    },
  };
  return { owner, crashed };
}

Deno.test("a rejection nothing handles crashes the tenant whose work made it, and only it", async () => {
  const { owner, crashed } = fakeOwner();
  const metrics = createMetrics();
  const stop = containUncaughtErrors(owner, { metrics });
  try {
    runAsTenant("shop", () => {
      // Inherited by what the tenant's work schedules later, as a plugin's handler would.
      setTimeout(() => void Promise.reject(new Error("a promise the plugin forgot")), 1);
    });
    await waitUntil("the tenant crashed", () => crashed.length === 1);
    assertEquals(crashed, ["shop"]);
    assertEquals(
      sampleValue(await metrics.render(), "constellation_uncaught_errors_total", {
        tenant: "shop",
      }),
      1,
    );
  } finally {
    stop();
  }
});

Deno.test("an error traced to no tenant is logged and counted; nothing is crashed", async () => {
  const { owner, crashed } = fakeOwner();
  const metrics = createMetrics();
  const records = await captureLogs(["constellation", "containment"]);
  const stop = containUncaughtErrors(owner, { metrics });
  try {
    setTimeout(() => {
      throw new Error("a bug of nobody in particular");
    }, 1);
    Promise.reject("a bare string");
    await waitUntil(
      "both counted",
      async () =>
        sampleValue(await metrics.render(), "constellation_uncaught_errors_total", {
          tenant: "",
        }) === 2,
    );
    assertEquals(crashed, []);
    const logged = renderedLogs(records).join("\n");
    assertEquals(logged.includes("a bug of nobody in particular"), true, logged);
    assertEquals(logged.includes("outside any tenant; the process keeps running"), true, logged);
  } finally {
    stop();
    await reset();
  }
});

Deno.test("the runtime crashes only a running tenant, and says when there is none", async () => {
  const db = await openDatabase("sqlite::memory:");
  try {
    const shop = parseTestTenant({}, { id: "shop", token: "2:shop", configDir: "config" });
    const runtime = Runtime.create({ tenants: [shop], db, redactor: new SecretRedactor() });
    // Not started: there is nothing to crash, and the caller is told so.
    assertEquals(runtime.crashTenant("shop", new Error("boom")), false);
  } finally {
    await db.close();
  }
});

/**
 * `db`, which leaves a rejected promise behind (nobody awaits it) when `stray.tenant` records
 * an update: a bug in that tenant's own work, as the runtime's containment sees one.
 */
function leavingARejection(db: Database, stray: { tenant?: string }): Database {
  // The inbox records a batch with one `INSERT … RETURNING`, read as rows.
  const strayOn = (sql: string, params?: readonly SqlValue[]) => {
    if (
      stray.tenant !== undefined && /INSERT INTO inbox/.test(sql) && params?.[0] === stray.tenant
    ) {
      stray.tenant = undefined;
      Promise.reject(new Error("a stray rejection in quiz's work"));
    }
  };
  const watch = (runner: SqlRunner): SqlRunner => ({
    all: (sql, params) => {
      strayOn(sql, params);
      return runner.all(sql, params);
    },
    get: (sql, params) => runner.get(sql, params),
    run: (sql, params) => {
      strayOn(sql, params);
      return runner.run(sql, params);
    },
  });
  return {
    ...watch(db),
    dialect: db.dialect,
    transaction: (fn) => db.transaction((tx) => fn(watch(tx))),
    close: () => db.close(),
  };
}

Deno.test("an error nothing caught in one tenant's work restarts that tenant only; the rest serve on", async () => {
  const stray: { tenant?: string } = {};
  await using world = await TenantWorld.start({ wrapDb: (db) => leavingARejection(db, stray) });
  const shopBot = world.sandbox.createBot({ username: "shop_bot" });
  const quizBot = world.sandbox.createBot({ username: "quiz_bot" });
  const ann = world.sandbox.createUser({ firstName: "Ann", languageCode: "en" });
  const runtime = await world.startRuntime([
    await world.tenant(shopBot),
    await world.tenant(quizBot),
  ], { backoff: { minMs: 20, maxMs: 100, jitter: 0 } });
  const stop = containUncaughtErrors(runtime);
  try {
    stray.tenant = "quiz";
    await ann.send(quizBot, "/start");
    await ann.waitForMessage(quizBot);
    await waitUntil("quiz restarted", () => {
      const quiz = runtime.tenants().find((tenant) => tenant.id === "quiz");
      return quiz?.restarts === 1 && quiz.state === "running";
    });
    assertEquals(runtime.tenants().map((tenant) => [tenant.id, tenant.restarts]), [
      ["quiz", 1],
      ["shop", 0],
    ]);
    for (const bot of [shopBot, quizBot]) {
      await ann.send(bot, "/balance");
      assertEquals((await ann.waitForMessage(bot)).text, "Your balance: 0 credits.");
    }
  } finally {
    stop();
  }
});
