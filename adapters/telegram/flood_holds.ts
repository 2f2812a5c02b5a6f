/**
 * Honours Telegram's `429 Too Many Requests` across all of a bot's calls, replies included. Every
 * 429 is reported to the bot's {@linkcode SendPacer}, which holds back further sends to that
 * chat for `retry_after` (and, when several chats are hit at once, the bot's proactive sends);
 * a call to a chat under such a hold waits it out before it goes, since sending into it would
 * only earn another 429. Nothing is slowed before Telegram asks: replies to many different users
 * go at full speed.
 *
 * The call that got the 429 is retried by the auto-retry plugin as before; installed after this
 * transformer, it wraps it, so its retry waits out the same hold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api } from "grammy";
 * import { floodHolds } from "./flood_holds.ts";
 * import { SendPacer } from "./send_pacer.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { nativeFetch } from "./native_fetch.ts";
 * import { Sandbox } from "../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot();
 * const ann = sandbox.createUser({ firstName: "Ann" });
 * await ann.send(shop, "/start");
 * const clock = new ManualClock(0);
 * const pacer = new SendPacer({ clock });
 * const api = new Api(shop.token, { apiRoot: sandbox.apiRoot, fetch: nativeFetch });
 * api.config.use(floodHolds(pacer));
 *
 * sandbox.failNext(shop.token, "sendMessage", {
 *   error_code: 429,
 *   description: "Too Many Requests: retry after 3",
 *   parameters: { retry_after: 3 },
 * });
 * await assert.rejects(api.sendMessage(ann.id, "Hi"));
 * assert.equal(pacer.holdOf(ann.id), 3_000); // Ann's chat waits three seconds
 * ```
 * @module
 */
import type { Transformer } from "grammy";
import type { SendPacer } from "./send_pacer.ts";

/** The numeric chat a call goes to, if any (`@channel` names are not tracked). */
function chatOf(payload: unknown): number | undefined {
  const chatId = (payload as { chat_id?: unknown } | undefined)?.chat_id;
  return typeof chatId === "number" ? chatId : undefined;
}

/** The transformer; see the module doc. */
export function floodHolds(
  pacer: Pick<SendPacer, "holdOf" | "waitForChat" | "noteFlood">,
): Transformer {
  return async (prev, method, payload, signal) => {
    const chatId = chatOf(payload);
    // Checked first so that a call to a chat under no hold, nearly every call, costs no wait.
    if (chatId !== undefined && pacer.holdOf(chatId) !== undefined) {
      await pacer.waitForChat(chatId, signal as AbortSignal | undefined);
    }
    const result = await prev(method, payload, signal);
    if (!result.ok && result.error_code === 429) {
      // Without retry_after Telegram still said "slow down"; a second is its usual smallest ask.
      const seconds = result.parameters?.retry_after ?? 1;
      pacer.noteFlood(chatId ?? null, seconds * 1_000);
    }
    return result;
  };
}
