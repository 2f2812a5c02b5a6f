/**
 * What the sandbox knows about its bots' polling, over HTTP, for a program that runs the
 * sandbox apart from itself (`deno task sandbox`) and wants to check that at most one instance
 * polled each token at a time. `GET /_sandbox/bots` lists every bot with the sum of their
 * overlaps; `GET /_sandbox/bots/<username>` (with or without `@`) one bot, 404 when unknown.
 * Answers `{ok: true, result}` or `{ok: false, error}`, as the user API does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Sandbox } from "../mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * sandbox.createBot({ username: "shop_bot" });
 * const answer = await fetch(`${sandbox.apiRoot}/_sandbox/bots/shop_bot`);
 * const { result } = await answer.json();
 * assert.equal(result.pollOverlaps, 0);
 * ```
 * @module
 */

import type { SandboxBot } from "../sandbox_bot.ts";
import type { ExtraRoute } from "./api_server.ts";

/** The path prefix the route answers under. */
export const BOTS_PREFIX = "/_sandbox/bots";

/** One bot as the route shows it. */
export interface BotPollingView {
  id: number;
  username: string;
  /** See {@linkcode SandboxBot.pollOverlaps}. */
  pollOverlaps: number;
  /** The newest update id created for the bot. */
  lastUpdateId: number;
  /** Updates not yet confirmed by getUpdates (or delivered by webhook). */
  pendingUpdates: number;
}

function view(bot: SandboxBot): BotPollingView {
  return {
    id: bot.id,
    username: bot.username,
    pollOverlaps: bot.pollOverlaps,
    lastUpdateId: bot.lastUpdateId,
    pendingUpdates: bot.pendingUpdateCount,
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** The route over `bots()`, the sandbox's bots as they are at each request. */
export function botsRoute(bots: () => Iterable<SandboxBot>): ExtraRoute {
  return {
    prefix: BOTS_PREFIX,
    handle(request) {
      const rest = new URL(request.url).pathname.slice(BOTS_PREFIX.length).replace(/\/$/, "");
      if (request.method !== "GET" || (rest !== "" && !rest.startsWith("/"))) {
        return Promise.resolve(json(404, { ok: false, error: "no such route" }));
      }
      const all = [...bots()].map(view);
      if (rest === "") {
        const pollOverlaps = all.reduce((sum, bot) => sum + bot.pollOverlaps, 0);
        return Promise.resolve(json(200, { ok: true, result: { pollOverlaps, bots: all } }));
      }
      const name = decodeURIComponent(rest.slice(1)).replace(/^@/, "");
      const bot = all.find((candidate) => candidate.username === name);
      return Promise.resolve(
        bot
          ? json(200, { ok: true, result: bot })
          : json(404, { ok: false, error: `no bot @${name}` }),
      );
    },
  };
}
