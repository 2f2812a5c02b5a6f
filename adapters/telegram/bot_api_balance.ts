/**
 * The Bot API side of the BalanceActor (`actors/balance/balance_actor.ts`) for one bot:
 * `getMyStarBalance` and `getStarTransactions` through grammY's `Api`, with answers in the actor's
 * vocabulary and Telegram's `429 Too Many Requests` turned into a `FloodWaitError`, so the actor
 * holds back that bot's calls for `retry_after` seconds instead of hammering Telegram.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api } from "grammy";
 * import { botApiBalanceUpstream } from "./bot_api_balance.ts";
 * import { FloodWaitError } from "../../money/bot_stars/types.ts";
 * import { Sandbox } from "../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot({ username: "shop_bot" });
 * const botApi = botApiBalanceUpstream(new Api(shop.token, { apiRoot: sandbox.apiRoot }));
 * const signal = new AbortController().signal;
 *
 * assert.deepEqual(await botApi.getMyStarBalance(signal), { amount: 0, nanostarAmount: 0 });
 * sandbox.failNext(shop.token, "getMyStarBalance", {
 *   error_code: 429,
 *   description: "Too Many Requests: retry after 3",
 *   parameters: { retry_after: 3 },
 * });
 * const flood = await botApi.getMyStarBalance(signal).catch((error) => error);
 * assert.ok(flood instanceof FloodWaitError);
 * assert.equal(flood.seconds, 3);
 * // Registered with the BalanceActor as `{ id, cacheTtlMs, botApi }`.
 * ```
 * @module
 */
import { type Api, GrammyError } from "grammy";
import { type BotApiBalanceUpstream, FloodWaitError } from "../../money/bot_stars/types.ts";

/**
 * grammY's npm build types its signals with the `abort-controller` shim; the object at run time
 * is the platform's `AbortSignal`, so the cast only bridges the two declarations.
 */
type GrammySignal = Parameters<Api["getMyStarBalance"]>[0];

/**
 * `error` as the BalanceActor understands it: a 429 with `retry_after` becomes a
 * {@linkcode FloodWaitError} carrying the original as `cause`; anything else is unchanged.
 */
function floodAware(error: unknown, method: string): unknown {
  if (!(error instanceof GrammyError) || error.error_code !== 429) return error;
  const seconds = error.parameters.retry_after;
  // A 429 without retry_after gives no wait to honour; the actor treats it as a failed call.
  if (typeof seconds !== "number") return error;
  return new FloodWaitError(seconds, method, { cause: error });
}

/**
 * The Bot API upstream of one bot over `api` (the tenant's `bot.api`, with whatever transformers
 * it has installed). Answers pass through unchanged except `nanostar_amount`, which becomes
 * `nanostarAmount` (0 when Telegram leaves it out).
 */
export function botApiBalanceUpstream(api: Api): BotApiBalanceUpstream {
  return {
    async getMyStarBalance(signal) {
      try {
        const star = await api.getMyStarBalance(signal as unknown as GrammySignal);
        return { amount: star.amount, nanostarAmount: star.nanostar_amount ?? 0 };
      } catch (error) {
        throw floodAware(error, "getMyStarBalance");
      }
    },
    async getStarTransactions(offset, limit, signal) {
      try {
        return await api.getStarTransactions(
          { offset, limit },
          signal as unknown as GrammySignal,
        );
      } catch (error) {
        throw floodAware(error, "getStarTransactions");
      }
    },
  };
}
