/**
 * Getting updates: getUpdates (long polling) and the webhook methods. The two modes exclude
 * each other as on Telegram: getUpdates answers 409 while a webhook is set, and setting one
 * ends a waiting long poll with that same 409.
 * @module
 */

import type { WebhookInfo } from "grammy/types";
import { badRequest, conflict } from "../errors.ts";
import type { Params } from "../http/params.ts";
import type { BotState } from "../world/bot_state.ts";
import { checkSecretToken, checkWebhookUrl } from "../world/webhook.ts";
import type { Handler } from "./handler.ts";

const LOOPBACK_IPS = new Set(["127.0.0.1", "::1"]);

function webhookConflict() {
  return conflict(
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
  );
}

/** Applies `allowed_updates` if sent: it is remembered for later calls, as on Telegram. */
function applyAllowedUpdates(bot: BotState, params: Params): void {
  const list = params.optionalArray("allowed_updates");
  if (list === undefined) return;
  if (list.some((item) => typeof item !== "string")) {
    throw badRequest("allowed_updates must be a JSON array of update type names");
  }
  bot.queue.setAllowedUpdates(list as string[]);
}

function applyDropPending(bot: BotState, params: Params): void {
  if (params.optionalBoolean("drop_pending_updates")) bot.queue.dropAll();
}

/** Handlers by method name. */
export const updatesHandlers: Record<string, Handler> = {
  getUpdates: ({ bot, params, signal }) => {
    if (bot.webhook.active) throw webhookConflict();
    applyAllowedUpdates(bot, params);
    const limit = Math.min(100, Math.max(1, params.optionalInteger("limit") ?? 100));
    const timeout = Math.max(0, params.optionalInteger("timeout") ?? 0);
    return bot.queue.poll({
      offset: params.optionalInteger("offset"),
      limit,
      timeoutMs: timeout * 1000,
      signal,
    });
  },

  setWebhook: ({ bot, params }) => {
    const url = params.string("url");
    if (url === "") {
      applyDropPending(bot, params);
      bot.webhook.delete();
      return true;
    }
    checkWebhookUrl(url);
    const ip = params.optionalString("ip_address");
    if (ip !== undefined && !LOOPBACK_IPS.has(ip)) {
      throw badRequest(
        `bad webhook: ip_address must be a loopback address (127.0.0.1 or ::1) in the sandbox, got "${ip}"`,
      );
    }
    const secretToken = params.optionalString("secret_token");
    if (secretToken !== undefined) checkSecretToken(secretToken);
    const maxConnections = params.optionalInteger("max_connections") ?? 40;
    if (maxConnections < 1 || maxConnections > 100) {
      throw badRequest(`max_connections must be between 1 and 100, got ${maxConnections}`);
    }
    applyAllowedUpdates(bot, params);
    applyDropPending(bot, params);
    bot.webhook.set({ url, secretToken, maxConnections });
    bot.queue.terminatePoller(webhookConflict());
    return true;
  },

  deleteWebhook: ({ bot, params }) => {
    applyDropPending(bot, params);
    bot.webhook.delete();
    return true;
  },

  getWebhookInfo: ({ bot }): WebhookInfo => {
    const { webhook, queue } = bot;
    const info: WebhookInfo = {
      url: webhook.config.url,
      has_custom_certificate: false,
      pending_update_count: queue.pendingCount,
    };
    if (webhook.active) info.max_connections = webhook.config.maxConnections;
    if (webhook.lastErrorDate !== undefined) {
      info.last_error_date = webhook.lastErrorDate;
      info.last_error_message = webhook.lastErrorMessage;
    }
    if (queue.allowedUpdates) {
      info.allowed_updates = queue.allowedUpdates as WebhookInfo["allowed_updates"];
    }
    return info;
  },
};
