import { assertEquals } from "../../support/assert.ts";
import { Runtime } from "../../../actors/runtime/runtime.ts";
import { desiredOwner } from "../../../actors/cluster/rendezvous.ts";
import { PostgresDatabase } from "../../../adapters/storage/postgres/postgres.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import {
  instanceConnectionName,
  PostgresLeases,
} from "../../../adapters/storage/postgres/leases.ts";
import { clusterChannels } from "../../../adapters/storage/postgres/cluster_channels.ts";
import { SecretRedactor } from "../../../adapters/observability/redact.ts";
import { parseTenant } from "../../../config/load_tenants.ts";
import type { TenantConfig } from "../../../config/tenant_schema.ts";
import { Sandbox } from "../../../sandbox/mod.ts";
import { freshPostgresDatabase, postgresIgnored } from "../../support/postgres_cluster.ts";
import { waitUntil } from "../../support/wait.ts";
import { greeting } from "../../support/deployment.ts";
import { CREDITS_100 } from "../../support/shop_products.ts";
import { createMetrics, type Metrics } from "../../../adapters/observability/metrics.ts";
import { startHttpServer } from "../../../adapters/http/server.ts";
import { webhookRoute, type WebhookTarget } from "../../../adapters/http/webhook_route.ts";

const timings = { ttlMs: 3_000, renewMs: 1_000 };

async function instance(
  url: string,
  id: string,
  tenants: TenantConfig[],
  publicUrl?: string,
  metrics?: Metrics,
) {
  const db = await openDatabase(url, {
    applicationName: instanceConnectionName(id),
  }) as PostgresDatabase;
  const runtime = await Runtime.start({
    tenants,
    db,
    redactor: new SecretRedactor(),
    pollTimeoutSeconds: 1,
    publicUrl,
    metrics,
    cluster: {
      leases: new PostgresLeases(db, id, timings.ttlMs),
      timings,
      ...clusterChannels(db, id),
    },
  });
  return {
    runtime,
    running: () => runtime.tenants().filter((t) => t.state === "running").map((t) => t.id),
    async stop() {
      await runtime.stop();
      await db.close();
    },
  };
}

/** Tenants `ids` of bots in `sandbox`, selling the 100-credits pack; `overrides` for each. */
function tenantsOf(sandbox: Sandbox, ids: string[], overrides: Record<string, unknown> = {}) {
  const bots = new Map(ids.map((id) => [id, sandbox.createBot({ username: `${id}_bot` })]));
  const tenants = ids.map((id) => {
    const parsed = parseTenant(
      { token: `env:${id}`, apiRoot: sandbox.apiRoot, locale: "en", ...overrides },
      { id, source: `${id}.json`, configDir: "config", env: () => bots.get(id)!.token },
    );
    if (!parsed.ok) throw new Error(`bad config: ${JSON.stringify(parsed)}`);
    return parsed.tenant;
  });
  return { bots, tenants };
}

Deno.test({
  name: "webhooks reach any instance: recorded for the owner, pre-checkout answered at once",
  ignore: postgresIgnored,
  async fn() {
    await using sandbox = await Sandbox.start();
    const store = await freshPostgresDatabase("cluster_hooks");
    const ids = ["w1", "w2", "w3", "w4"];
    const { bots, tenants } = tenantsOf(sandbox, ids, {
      updates: "webhook",
      products: [CREDITS_100],
    });
    // Every webhook request goes to instance b, whichever instance owns the tenant.
    const to: { target?: WebhookTarget } = {};
    await using server = await startHttpServer({
      port: 0,
      hostname: "127.0.0.1",
      routes: [webhookRoute({
        target: {
          secretFor: (id) => to.target?.secretFor(id),
          accept: (id, update) => to.target!.accept(id, update),
          draining: () => false,
        },
      })],
    });
    const publicUrl = `http://127.0.0.1:${server.port}`;
    const a = await instance(store.url, "a", tenants, publicUrl);
    const b = await instance(store.url, "b", tenants, publicUrl);
    to.target = b.runtime;
    try {
      const ownedByA = ids.filter((id) => desiredOwner(id, ["a", "b"]) === "a");
      await waitUntil("a runs its share", () => a.running().length === ownedByA.length, 10_000);
      await waitUntil(
        "b runs its share",
        () => b.running().length === ids.length - ownedByA.length,
        10_000,
      );
      const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 1_000 });
      for (const id of ids) {
        const bot = bots.get(id)!;
        assertEquals((await greeting(ann, bot)).startsWith("Hello, Ann"), true, id);
        await ann.send(bot, "/start buy_credits_100");
        const invoice = await ann.waitForMessage(bot, (message) => message.invoice !== undefined);
        assertEquals((await ann.pay(bot, invoice)).status, "paid", id);
        const receipt = await ann.waitForMessage(bot, (m) => /balance is/.test(m.text ?? ""));
        assertEquals(/balance is 100/.test(receipt.text ?? ""), true, `${id}: ${receipt.text}`);
      }
      assertEquals(ownedByA.length > 0 && ownedByA.length < ids.length, true, "both own some");
    } finally {
      await b.stop();
      await a.stop();
      await store.drop();
    }
  },
});

Deno.test({
  name: "two instances split the tenants by rendezvous, and one's stop hands its tenants over",
  ignore: postgresIgnored,
  async fn() {
    await using sandbox = await Sandbox.start();
    const store = await freshPostgresDatabase("cluster");
    const ids = ["t1", "t2", "t3", "t4", "t5", "t6"];
    const { bots, tenants } = tenantsOf(sandbox, ids);
    const a = await instance(store.url, "a", tenants);
    const b = await instance(store.url, "b", tenants);
    try {
      const expectA = ids.filter((id) => desiredOwner(id, ["a", "b"]) === "a");
      await waitUntil(
        "both instances run their share",
        () =>
          a.running().length === expectA.length &&
          b.running().length === ids.length - expectA.length,
        10_000,
      );
      assertEquals(a.running(), expectA);
      const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
      for (const id of ids) {
        assertEquals((await greeting(ann, bots.get(id)!)).startsWith("Hello, Ann"), true);
      }
      const owners = b.runtime.tenants().map((t) => [t.id, t.owner]);
      assertEquals(owners, ids.map((id) => [id, desiredOwner(id, ["a", "b"])]));

      await a.stop();
      await waitUntil("b runs every tenant", () => b.running().length === ids.length, 5_000);
      for (const id of ids) {
        assertEquals((await greeting(ann, bots.get(id)!)).startsWith("Hello, Ann"), true);
      }
      for (const bot of bots.values()) assertEquals(bot.pollOverlaps ?? 0, 0);
    } finally {
      await b.stop();
      await a.stop().catch(() => {});
      await store.drop();
    }
  },
});

Deno.test({
  name: "a tenant whose lease another instance took stops at once, and comes back after it expires",
  ignore: postgresIgnored,
  async fn() {
    await using sandbox = await Sandbox.start();
    const store = await freshPostgresDatabase("cluster_taken");
    const { bots, tenants } = tenantsOf(sandbox, ["shop"]);
    const metrics = createMetrics();
    const a = await instance(store.url, "a", tenants, undefined, metrics);
    const intruder = await openDatabase(store.url);
    try {
      await waitUntil("a runs shop", () => a.running().length === 1, 10_000);
      // An intruder takes the lease (as a new owner would after a pause longer than the TTL).
      await intruder.run(
        `UPDATE tenant_leases SET owner = 'z', epoch = epoch + 1,
         expires_at = now() + interval '2 seconds' WHERE tenant_id = 'shop'`,
      );
      const shop = () => a.runtime.tenants()[0];
      await waitUntil(
        "a stops shop",
        () => shop().state === "remote" && shop().owner === "z",
        5_000,
      );
      // Once the intruder's lease lapses, a takes shop back with the next epoch, and serves.
      await waitUntil("a runs shop again", () => a.running().length === 1, 10_000);
      assertEquals(shop().epoch, 3);
      const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en" });
      assertEquals((await greeting(ann, bots.get("shop")!)).startsWith("Hello, Ann"), true);
      // Whichever noticed first: the renewal ("taken") or the fence of a write ("fenced").
      const text = await metrics.render();
      assertEquals(
        /lease_losses_total\{tenant="shop",reason="(taken|fenced)"\} 1/.test(text),
        true,
        text,
      );
      assertEquals(
        /lease_acquisitions_total\{tenant="shop",kind="failover"\} 1/.test(text),
        true,
      );
    } finally {
      await a.stop();
      await intruder.close();
      await store.drop();
    }
  },
});
