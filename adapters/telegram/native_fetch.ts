/**
 * Deno's own `fetch` for grammY. grammY's npm build sends every Bot API call through
 * `node-fetch` over Deno's `node:http` emulation; that layer was most of a tenant's CPU time
 * under load (BENCHMARKS.md), and its keep-alive agent keeps at most 256 idle sockets, so a
 * runtime with hundreds of calls in flight kept opening new connections.
 *
 * Two things need adapting: grammY passes the signal of its `abort-controller` polyfill, which
 * Deno's fetch does not accept, and `node-fetch`-only options (`agent`, `compress`). And an
 * answer that is not a Bot API answer is made into one that says what it was
 * (`bot_api_answer.ts`), so grammY's errors always carry a code and a description.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api } from "grammy";
 * import { nativeFetch } from "./native_fetch.ts";
 * import { Sandbox } from "../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot({ username: "shop_bot" });
 * const api = new Api(shop.token, { apiRoot: sandbox.apiRoot, fetch: nativeFetch });
 * assert.equal((await api.getMe()).username, "shop_bot");
 * ```
 * @module
 */
import type { ApiClientOptions } from "grammy";
import { asBotApiAnswer } from "./bot_api_answer.ts";

/** The request options grammY builds: fetch's own, plus node-fetch's. */
type GrammyInit = RequestInit & { agent?: unknown; compress?: unknown; signal?: EventTarget };

/** What grammY calls: `fetch(url, init)` with its JSON or multipart body. */
export const nativeFetch = ((url: string, init: GrammyInit = {}) => {
  const { agent: _agent, compress: _compress, signal, ...request } = init;
  const controller = new AbortController();
  if (signal) {
    // The polyfill's signal is an EventTarget with `aborted`; mirror it onto a real one.
    const outer = signal as EventTarget & { aborted?: boolean };
    if (outer.aborted) controller.abort();
    else outer.addEventListener("abort", () => controller.abort(), { once: true });
  }
  return fetch(url, { ...request, signal: controller.signal }).then(asBotApiAnswer);
}) as unknown as NonNullable<ApiClientOptions["fetch"]>;
