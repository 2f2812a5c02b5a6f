/**
 * The messages between the host and a plugin's worker. The worker holds no secret and no
 * permission beyond reading its own folder, so everything a plugin does outside its isolate
 * travels here: the host hands it updates and heartbeats; it asks the host for the Stars
 * service and for Bot API calls of its own bot, and forwards its log records.
 *
 * One worker may hold the plugin instances of several tenants using the same file
 * (`plugin_workers.ts`), so every message about a tenant names it (`tenantId`): the host makes
 * a plugin instance's Bot API and Stars calls with the bot and services of the tenant the
 * message names, and only for a tenant whose instance this worker holds. The outcome of an
 * update (`handled`, `failed`) names none: the host knows whose update each id is.
 *
 * Every request carries an `id` its reply repeats. The host never trusts what a worker sends:
 * `worker_messages.ts` checks each message against these types before acting on it.
 *
 * Each `postMessage` carries an array of messages, all that one side had to say within a turn of
 * its event loop (`message_batch.ts`): the updates of a poll batch cross in one, their Bot API
 * calls in another, and so on, where each message used to cross on its own. Every message of a
 * batch is still answered on its own, so one update failing fails no other.
 *
 * @example
 * ```ts
 * import type { HostMessage, WorkerMessage } from "./protocol.ts";
 *
 * const update: HostMessage = {
 *   kind: "update",
 *   id: 1,
 *   tenantId: "shop",
 *   update: JSON.stringify({ update_id: 7 }),
 * };
 * const handled: WorkerMessage = { kind: "handled", id: 1, passedOn: false };
 * const crossing: HostMessage[] = [update, { kind: "ping", id: 2 }];
 * ```
 * @module
 */
import type { UserFromGetMe } from "grammy/types";
import type { LogLevel } from "@logtape/logtape";
import type { DeductRequest } from "../../money/payments/credits.ts";

/** What the host sends a plugin's worker. */
export type HostMessage =
  /**
   * A tenant's instance: load the plugin (once per worker) and call its default export with the
   * tenant's own composer. Answered `installed` or `installFailed`, with the tenant.
   */
  | {
    kind: "install";
    /** The plugin module's real path. */
    path: string;
    tenantId: string;
    /** The tenant's plugin logger category; the plugin's records are forwarded under it. */
    logCategory: string[];
    /** The bot's `getMe`, so the worker never asks for it. */
    me: UserFromGetMe;
    /** The least severe level the host logs for the plugin; less severe records stay in the worker. */
    lowestLevel: LogLevel;
  }
  /**
   * An update for the plugin's composer, as JSON; answered `handled` or `failed`. A string is
   * copied to the worker in one piece, where a structured clone walks every field of the
   * update: on the hot path, JSON.stringify here and JSON.parse there cost less.
   */
  | { kind: "update"; id: number; tenantId: string; update: string }
  /** The tenant left the worker: its instance and its logger are dropped. */
  | { kind: "uninstall"; tenantId: string }
  /** A heartbeat; answered `pong` with the memory the worker holds. */
  | { kind: "ping"; id: number }
  /** The answer to a `stars` request. */
  | { kind: "starsReply"; id: number; reply: Settled }
  /** The answer to an `api` request. */
  | { kind: "apiReply"; id: number; reply: ApiReply };

/** What a plugin's worker sends the host. */
export type WorkerMessage =
  /** With the filter queries of the updates the plugin declares it wants (`update_filter.ts`). */
  /**
   * The plugin module is loaded (sent once, before the first install's answer): an install
   * that takes too long after this is its tenant's alone, not the module's.
   */
  | { kind: "loaded" }
  | { kind: "installed"; tenantId: string; updates?: string[] }
  /**
   * `ofModule`: the module itself failed (it could not be loaded, exports no function, declares
   * unknown updates), as it would for every tenant; otherwise only this tenant's default export
   * call threw or never returned.
   */
  | { kind: "installFailed"; tenantId: string; error: string; ofModule: boolean }
  /** The plugin finished an update; `passedOn` when it called `next()`. */
  | { kind: "handled"; id: number; passedOn: boolean }
  /** The plugin threw while handling an update. */
  | { kind: "failed"; id: number; error: string }
  | { kind: "pong"; id: number; memoryBytes: number }
  /** Something the plugin started threw where nothing caught it (a timer, a rejection). */
  | { kind: "threw"; error: string }
  | { kind: "stars"; id: number; tenantId: string; call: StarsCall }
  /** A Bot API call of the named tenant's own bot. */
  | { kind: "api"; id: number; tenantId: string; method: string; payload: Record<string, unknown> }
  | { kind: "log"; tenantId: string; record: ForwardedLogRecord };

/** One call of the Stars service (`plugin_api.ts`), by method. */
export type StarsCall =
  | { method: "balance"; userId: number }
  | { method: "deduct"; userId: number; amount: number; request: DeductRequest }
  | {
    method: "offer";
    userId: number;
    chatId: number;
    productId: string;
    languageCode?: string;
  }
  | { method: "history"; userId: number; page?: number };

/** How a request to the host ended: its value, or why it failed (redacted). */
export type Settled =
  | { ok: true; value: unknown }
  | { ok: false; error: { name: string; message: string } };

/**
 * How a Bot API call ended: Telegram's answer as it came (the worker's grammY turns a refusal
 * into a `GrammyError`), or a failure to reach Telegram at all (redacted).
 */
export type ApiReply =
  | { kind: "answer"; answer: ApiAnswer }
  | { kind: "unreachable"; message: string };

/** Telegram's answer to a call, as grammY's transformers return it. */
export type ApiAnswer =
  | { ok: true; result: unknown }
  | {
    ok: false;
    error_code: number;
    description: string;
    parameters?: { retry_after?: number; migrate_to_chat_id?: number };
  };

/** A log record of the plugin, with only values a message can carry. */
export interface ForwardedLogRecord {
  /** Below the plugin's own category (`constellation.tenant.<id>.plugin`). */
  category: string[];
  level: LogLevel;
  /** The message parts and the values between them, as LogTape renders them. */
  message: unknown[];
  rawMessage: string;
  timestamp: number;
  properties: Record<string, unknown>;
}
