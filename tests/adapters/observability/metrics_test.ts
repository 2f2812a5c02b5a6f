import { assertEquals, assertStringIncludes, assertTrue } from "../../support/assert.ts";
import { CONSTELLATION_VERSION, createMetrics } from "../../../adapters/observability/metrics.ts";
import { match } from "node:assert/strict";

Deno.test("counters render with their tenant and extra labels", async () => {
  const metrics = createMetrics();
  metrics.updatesHandled.inc({ tenant: "shop" });
  metrics.updatesHandled.inc({ tenant: "shop" });
  metrics.updatesHandled.inc({ tenant: "quiz" });
  metrics.handlerErrors.inc({ tenant: "shop" });
  metrics.tenantRestarts.inc({ tenant: "quiz" });
  metrics.payments.inc({ tenant: "shop", kind: "credited" });
  metrics.payments.inc({ tenant: "shop", kind: "double_payment_refunding" });
  metrics.refunds.inc({ tenant: "shop" });
  metrics.ledgerCredits.inc({ tenant: "shop" }, 250);
  metrics.balanceCacheHits.inc({ tenant: "shop" });
  metrics.balanceCacheMisses.inc({ tenant: "shop" });
  metrics.balanceUpstreamCalls.inc({ tenant: "shop", source: "mtproto" });
  metrics.deadLetters.inc({ actor: "tenant:shop" });
  metrics.webhookRequests.inc({ tenant: "shop", outcome: "recorded", status: "200" });
  const text = await metrics.render();
  for (
    const line of [
      'constellation_updates_handled_total{tenant="shop"} 2',
      'constellation_updates_handled_total{tenant="quiz"} 1',
      'constellation_handler_errors_total{tenant="shop"} 1',
      'constellation_tenant_restarts_total{tenant="quiz"} 1',
      'constellation_payments_total{tenant="shop",kind="credited"} 1',
      'constellation_payments_total{tenant="shop",kind="double_payment_refunding"} 1',
      'constellation_refunds_total{tenant="shop"} 1',
      'constellation_ledger_credits_total{tenant="shop"} 250',
      'constellation_balance_cache_hits_total{tenant="shop"} 1',
      'constellation_balance_cache_misses_total{tenant="shop"} 1',
      'constellation_balance_upstream_calls_total{tenant="shop",source="mtproto"} 1',
      'constellation_dead_letters_total{actor="tenant:shop"} 1',
      'constellation_webhook_requests_total{tenant="shop",outcome="recorded",status="200"} 1',
    ]
  ) assertStringIncludes(text, line);
  assertStringIncludes(text, "# HELP constellation_ledger_credits_total Sum of credits deposited");
  assertStringIncludes(text, "# TYPE constellation_payments_total counter");
});

Deno.test("pre-checkout latency is a histogram with buckets around 100 ms", async () => {
  const metrics = createMetrics();
  metrics.preCheckoutLatency.observe({ tenant: "shop" }, 0.08);
  metrics.preCheckoutLatency.observe({ tenant: "shop" }, 3);
  const text = await metrics.render();
  assertStringIncludes(text, "# TYPE constellation_pre_checkout_latency_seconds histogram");
  assertStringIncludes(
    text,
    'constellation_pre_checkout_latency_seconds_bucket{le="0.075",tenant="shop"} 0',
  );
  assertStringIncludes(
    text,
    'constellation_pre_checkout_latency_seconds_bucket{le="0.1",tenant="shop"} 1',
  );
  assertStringIncludes(
    text,
    'constellation_pre_checkout_latency_seconds_bucket{le="5",tenant="shop"} 2',
  );
  assertStringIncludes(text, 'constellation_pre_checkout_latency_seconds_count{tenant="shop"} 2');
});

Deno.test("collect callbacks set gauges before every render and can be removed", async () => {
  const metrics = createMetrics();
  let backlog = 3;
  const remove = metrics.onCollect(async () => {
    await Promise.resolve();
    metrics.outboxBacklog.set({ tenant: "shop" }, backlog);
    metrics.mailboxDepth.set({ actor: "tenant:shop" }, backlog * 2);
  });
  assertStringIncludes(await metrics.render(), 'constellation_outbox_backlog{tenant="shop"} 3');
  backlog = 5;
  const text = await metrics.render();
  assertStringIncludes(text, 'constellation_outbox_backlog{tenant="shop"} 5');
  assertStringIncludes(text, 'constellation_mailbox_depth{actor="tenant:shop"} 10');
  remove();
  backlog = 9;
  assertStringIncludes(await metrics.render(), 'constellation_outbox_backlog{tenant="shop"} 5');
});

Deno.test("a failing collect callback is counted and the scrape still answers", async () => {
  const metrics = createMetrics();
  metrics.onCollect(() => {
    throw new Error("mailbox gone");
  });
  metrics.onCollect(() => metrics.outboxBacklog.set({ tenant: "shop" }, 1));
  const text = await metrics.render();
  assertStringIncludes(text, 'constellation_outbox_backlog{tenant="shop"} 1');
  assertStringIncludes(text, "constellation_metrics_collect_errors_total 1");
});

Deno.test("tenant_state is 1 for each tenant's state and 0 for the others", async () => {
  const metrics = createMetrics();
  metrics.recordTenantStates([{ id: "shop", state: "running" }, { id: "quiz", state: "failed" }]);
  let text = await metrics.render();
  assertStringIncludes(text, 'constellation_tenant_state{tenant="shop",state="running"} 1');
  assertStringIncludes(text, 'constellation_tenant_state{tenant="shop",state="failed"} 0');
  assertStringIncludes(text, 'constellation_tenant_state{tenant="quiz",state="failed"} 1');
  assertStringIncludes(text, 'constellation_tenant_state{tenant="quiz",state="invalid"} 0');

  // A tenant that is gone loses its series; one that recovered moves its 1.
  metrics.recordTenantStates([{ id: "quiz", state: "running" }]);
  text = await metrics.render();
  assertEquals(text.includes('tenant="shop"'), false);
  assertStringIncludes(text, 'constellation_tenant_state{tenant="quiz",state="running"} 1');
  assertStringIncludes(text, 'constellation_tenant_state{tenant="quiz",state="failed"} 0');
});

Deno.test("each createMetrics has its own registry", async () => {
  const first = createMetrics();
  const second = createMetrics();
  first.refunds.inc({ tenant: "shop" });
  assertStringIncludes(await first.render(), 'constellation_refunds_total{tenant="shop"} 1');
  assertEquals(
    (await second.render()).includes('constellation_refunds_total{tenant="shop"}'),
    false,
  );
  assertStringIncludes(first.contentType, "text/plain");
});

Deno.test("the default process metrics and build info are served", async () => {
  const text = await createMetrics().render();
  for (
    const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
      "nodejs_heap_size_used_bytes",
    ]
  ) match(text, new RegExp(`^${name} [0-9.e+]+$`, "m"), name);
  // Read from Deno, so it holds without the --allow-all that /proc/self needs.
  assertTrue(Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1]) > 1_000_000);
  assertStringIncludes(
    text,
    `constellation_build_info{version="${CONSTELLATION_VERSION}",deno="${Deno.version.deno}"} 1`,
  );
});

Deno.test("Stars received and refunded are counted per tenant", async () => {
  const metrics = createMetrics();
  metrics.starsReceived.inc({ tenant: "shop" }, 50);
  metrics.starsReceived.inc({ tenant: "shop" }, 99);
  metrics.starsRefunded.inc({ tenant: "shop" }, 50);
  const text = await metrics.render();
  assertStringIncludes(text, 'constellation_stars_received_total{tenant="shop"} 149');
  assertStringIncludes(text, 'constellation_stars_refunded_total{tenant="shop"} 50');
});

Deno.test("restarts after a failure and config reloads are separate counters", async () => {
  const metrics = createMetrics();
  metrics.tenantRestarts.inc({ tenant: "shop" });
  metrics.tenantConfigReloads.inc({ tenant: "shop" });
  metrics.tenantConfigReloads.inc({ tenant: "shop" });
  const text = await metrics.render();
  assertStringIncludes(text, 'constellation_tenant_restarts_total{tenant="shop"} 1');
  assertStringIncludes(text, 'constellation_tenant_config_reloads_total{tenant="shop"} 2');
});
