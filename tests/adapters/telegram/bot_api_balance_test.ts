// What is particular to the Bot API upstream: real purchases in the sandbox, and grammY's own
// errors. What every balance upstream must do is the contract
// (tests/money/bot_stars/balance_upstream.contract.ts), run in bot_api_balance_contract_test.ts.
import { Api, GrammyError } from "grammy";
import { assertEquals, assertRejects } from "../../support/assert.ts";
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

Deno.test("a 429 without retry_after and other refusals pass as the GrammyError they are", async () => {
  // A 429 with retry_after becoming a FloodWaitError is the contract's (every upstream's duty).
  await using sandbox = await Sandbox.start();
  const bot = sandbox.createBot();
  const upstream = botApiBalanceUpstream(new Api(bot.token, { apiRoot: sandbox.apiRoot }));
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
