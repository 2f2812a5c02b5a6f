// The balance upstream contract (tests/money/bot_stars/balance_upstream.contract.ts) against the
// GramJS upstream, once with the bot as inputPeerSelf and once as its own inputPeerUser, over
// FakeTelegram (no connection anywhere). It is built as the tenant wiring builds it
// (actors/tenant/tenant_build.ts): floodWaitMaxMs 0, so flood waits go to the BalanceActor.
import { getLogger } from "@logtape/logtape";
import { Api, errors, helpers } from "telegram";
import { ManualClock } from "../../../actors/kernel/clock.ts";
import { GramjsStarsUpstream } from "../../../adapters/mtproto/gramjs_upstream.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import {
  balanceUpstreamContract,
  type MalformedShape,
  type TelegramAnswer,
} from "../../money/bot_stars/balance_upstream.contract.ts";
import { API_HASH, API_ID, FakeTelegram, type Outcome, TOKEN } from "./fake_telegram.ts";

/** A `payments.starsStatus` with `balance` as given, however wrong. */
function starsStatus(balance: unknown): Api.payments.StarsStatus {
  return new Api.payments.StarsStatus({
    balance: balance as Api.TypeStarsAmount,
    chats: [],
    users: [],
  });
}

function starsAmount(amount: bigint, nanos: number): Api.StarsAmount {
  return new Api.StarsAmount({ amount: helpers.returnBigInt(amount), nanos });
}

/** The wrong answers of the contract, as MTProto would carry them. */
const malformed: Record<Exclude<MalformedShape, "no_transactions">, () => unknown> = {
  no_stars_amount: () => starsStatus(undefined),
  nanostars_out_of_range: () => starsStatus(starsAmount(1n, 1_000_000_000)),
  beyond_safe_integer: () => starsStatus(starsAmount(2n ** 53n + 1n, 0)),
  mixed_signs: () => starsStatus(starsAmount(5n, -3)),
};

function outcomeOf(answer: TelegramAnswer): Outcome {
  switch (answer.kind) {
    case "flood_wait":
      return new errors.FloodWaitError({ capture: answer.seconds });
    case "failure":
      return new errors.RPCError("INTERNAL", new Api.payments.GetStarsStatus({}), 500);
    case "hang":
      return "hang";
    case "malformed":
      if (answer.shape === "no_transactions") throw new Error("MTProto has no transactions call");
      return { answer: malformed[answer.shape]() };
  }
}

for (const peer of ["self", "user"] as const) {
  balanceUpstreamContract({
    name: `gramjs (${peer})`,
    transactions: false,
    start: async () => {
      const world = new FakeTelegram();
      const db = await openDatabase("sqlite::memory:");
      const upstream = new GramjsStarsUpstream({
        tenantId: "shop",
        apiId: API_ID,
        apiHash: API_HASH,
        botToken: TOKEN,
        db,
        clock: new ManualClock(0),
        logger: getLogger(["test-gramjs-contract"]),
        floodWaitMaxMs: 0,
        clientFactory: world.factory,
      });
      const onlyBalance = (call: string) => {
        if (call !== "balance") throw new Error(`MTProto has no ${call} call`);
      };
      return {
        balance: (signal) => upstream.getStarsStatus(peer, signal),
        telegram: {
          holdBalance(amount, nanostars = 0) {
            world.balances[peer] = { amount, nanos: nanostars };
          },
          answerNext(call, answer) {
            onlyBalance(call);
            world.script("payments.GetStarsStatus", outcomeOf(answer));
          },
          requests(call) {
            onlyBalance(call);
            return world.requests
              .filter((request) => request instanceof Api.payments.GetStarsStatus)
              .map(() => ({}));
          },
        },
        async close() {
          await upstream.close();
          world.releaseHung();
          await db.close();
        },
      };
    },
  });
}
