/**
 * Tells Telegram how a tenant receives updates. Polling tenants delete any webhook (so switching
 * a tenant back from webhooks just works; pending updates are kept). Webhook tenants register
 * `PUBLIC_URL/telegram/<tenantId>` — the path names the tenant, never the token — with a secret
 * Telegram echoes in `X-Telegram-Bot-Api-Secret-Token`, and an explicit `allowed_updates`.
 *
 * The secret is the tenant's `webhook.secretToken` when configured, else one generated once and
 * kept in storage, so a restart does not invalidate requests Telegram is already retrying.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api } from "grammy";
 * import { registerUpdateSource } from "./update_source.ts";
 * import { openDatabase } from "../storage/open_database.ts";
 * import { Sandbox } from "../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot({ username: "shop_bot" });
 * const api = new Api(shop.token, { apiRoot: sandbox.apiRoot });
 * const db = await openDatabase("sqlite::memory:");
 * const options = { db, publicUrl: "http://127.0.0.1:8080", allowedUpdates: ["message" as const] };
 * const config = { id: "shop", source: "shop.json", updates: "webhook" as const };
 *
 * const first = await registerUpdateSource(api, config, options);
 * assert.equal(first.mode === "webhook" && first.url, "http://127.0.0.1:8080/telegram/shop");
 * assert.equal(shop.webhook.url, "http://127.0.0.1:8080/telegram/shop");
 * // The generated secret is stored: a restart registers the same one.
 * const again = await registerUpdateSource(api, config, options);
 * assert.equal(again.mode === "webhook" && again.secret, first.mode === "webhook" && first.secret);
 *
 * await registerUpdateSource(api, { ...config, updates: "polling" }, options);
 * assert.equal(shop.webhook.url, "");
 * await db.close();
 * ```
 * @module
 */
import type { Api } from "grammy";
import type { Database } from "../../money/ports.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import { FatalError } from "../../actors/kernel/child.ts";
import type { AllowedUpdate } from "./poller.ts";
import type { RetryInBackground } from "./optional_call.ts";

/** grammY types its signals with its `abort-controller` polyfill; Deno's are the same at runtime. */
type GrammySignal = Parameters<Api["deleteWebhook"]>[1];

/** How a tenant gets its updates once registered. */
export type UpdateSource = { mode: "polling" } | { mode: "webhook"; url: string; secret: string };

/** Where the secret generated for a tenant is kept. */
const secretKey = "webhook:secret";

/** 32 random bytes, base64url: Telegram allows 1–256 of `A-Za-z0-9_-`. */
function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replaceAll("=", "");
}

/** The tenant's stored webhook secret, generated and stored on first use. */
export async function storedWebhookSecret(db: Database, tenantId: string): Promise<string> {
  // Insert-if-absent then read: two starts racing still agree on one secret.
  await db.run(
    "INSERT INTO kv (tenant_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    [tenantId, secretKey, newSecret()],
  );
  const row = await db.get<{ value: string }>(
    "SELECT value FROM kv WHERE tenant_id = ? AND key = ?",
    [tenantId, secretKey],
  );
  return row!.value;
}

/** What {@linkcode registerUpdateSource} needs besides the API and the tenant's config. */
export interface UpdateSourceOptions {
  db: Database;
  publicUrl?: string;
  allowedUpdates: readonly AllowedUpdate[];
  /**
   * Takes a polling tenant's `deleteWebhook` when it fails, to retry once the tenant serves.
   * Without it, the failure fails the registration.
   */
  retryInBackground?: RetryInBackground;
}

/** Registers polling or the webhook with Telegram, as the tenant's config says. */
export async function registerUpdateSource(
  api: Api,
  config: Pick<TenantConfig, "id" | "source" | "updates" | "webhook">,
  options: UpdateSourceOptions,
): Promise<UpdateSource> {
  if (config.updates === "polling") {
    // Only a webhook left by an earlier deployment is in the way, and then `getUpdates` says so
    // (409) and the poller waits. So a server that does not know `deleteWebhook`, or a passing
    // 5xx, must not keep the bot from polling: the call is retried in the background.
    try {
      await api.deleteWebhook();
    } catch (error) {
      if (!options.retryInBackground) throw error;
      options.retryInBackground({
        name: "deleteWebhook",
        run: (signal) => api.deleteWebhook(undefined, signal as unknown as GrammySignal),
      }, error);
    }
    return { mode: "polling" };
  }
  if (options.publicUrl === undefined) {
    throw new FatalError(
      `${config.source}: updates "webhook" needs PUBLIC_URL, the https address Telegram can ` +
        `reach this process at (webhooks arrive at PUBLIC_URL/telegram/${config.id})`,
    );
  }
  const secret = config.webhook?.secretToken ?? await storedWebhookSecret(options.db, config.id);
  const url = `${options.publicUrl}/telegram/${config.id}`;
  await api.setWebhook(url, {
    secret_token: secret,
    allowed_updates: [...options.allowedUpdates],
  });
  return { mode: "webhook", url, secret };
}
