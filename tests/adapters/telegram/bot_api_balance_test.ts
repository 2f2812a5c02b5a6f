import { Api, GrammyError } from "grammy";
import { assertEquals, assertRejects, assertTrue } from "../../support/assert.ts";
import { FloodWaitError } from "../../../money/bot_stars/types.ts";
import { botApiBalanceUpstream } from "../../../adapters/telegram/bot_api_balance.ts";
import { Sandbox } from "../../../sandbox/mod.ts";
import { startHarness } from "./handlers/harness.ts";
import { buyCredits } from "./handlers/stars_purchases.ts";

const signal = new AbortController().signal;

Deno.test("the balance and the transactions come from the Bot API in the actor's terms", async () => {
  await using h = await startHarness();
  const ann = h.user({ firstName: "Ann", languageCode: "en", stars: 100 });
  const upstream = botApiBalanceUpstream(h.bot.api);
  assertEquals(await upstream.getMyStarBalance(signal), { amount: 0, nanostarAmount: 0 });
  assertEquals(await upstream.getStarTransactions(0, 100, signal), { transactions: [] });

  const first = await buyCredits(h, ann);
  const second = await buyCredits(h, ann);
  assertEquals(await upstream.getMyStarBalance(signal), { amount: 100, nanostarAmount: 0 });
  const page = await upstream.getStarTransactions(1, 1, signal);
  assertEquals(page.transactions.map((t) => [t.id, t.amount]), [[second.chargeId, 50]]);
  const all = await upstream.getStarTransactions(0, 100, signal);
  assertEquals(all.transactions.map((t) => t.id), [first.chargeId, second.chargeId]);
  assertEquals(h.account.callsTo("getStarTransactions").at(-1)?.params, { offset: 0, limit: 100 });
});

Deno.test("a 429 becomes a FloodWaitError with Telegram's retry_after; other errors pass as they are", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const upstream = botApiBalanceUpstream(new Api(bot.token, { apiRoot: sandbox.apiRoot }));
  const tooMany = {
    error_code: 429,
    description: "Too Many Requests: retry after 7",
    parameters: { retry_after: 7 },
  };
  sandbox.failNext(bot.token, "getMyStarBalance", tooMany);
  sandbox.failNext(bot.token, "getStarTransactions", tooMany);
  for (
    const call of [
      () => upstream.getMyStarBalance(signal),
      () => upstream.getStarTransactions(0, 10, signal),
    ]
  ) {
    const error = await assertRejects(call, FloodWaitError, "Telegram asked to wait 7 s");
    assertEquals((error as FloodWaitError).seconds, 7);
    assertTrue(error.cause instanceof GrammyError && error.cause.error_code === 429);
  }

  sandbox.failNext(bot.token, "getMyStarBalance", {
    error_code: 429,
    description: "Too Many Requests",
  });
  const bare = await assertRejects(() => upstream.getMyStarBalance(signal), GrammyError);
  assertEquals(
    (bare as GrammyError).error_code,
    429,
    "without retry_after there is no wait to keep",
  );
  sandbox.failNext(bot.token, "getStarTransactions", {
    error_code: 500,
    description: "Internal Server Error",
  });
  const failed = await assertRejects(
    () => upstream.getStarTransactions(0, 10, signal),
    GrammyError,
  );
  assertEquals((failed as GrammyError).error_code, 500);
});

Deno.test("an aborted signal stops the call", async () => {
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const upstream = botApiBalanceUpstream(new Api(bot.token, { apiRoot: sandbox.apiRoot }));
  const controller = new AbortController();
  controller.abort(new Error("stopping"));
  await assertRejects(() => upstream.getMyStarBalance(controller.signal), Error);
  assertEquals(bot.callsTo("getMyStarBalance").length, 0);
});
