/**
 * The contract of the BalanceActor's upstreams (`MtprotoBalanceUpstream`, `BotApiBalanceUpstream`
 * in `money/bot_stars/types.ts`): what the actor (`actors/balance/`) relies on from whatever
 * asks Telegram. One suite, registered once per implementation, like Hono's router
 * `common.case.test.ts`. It is a module, not a test file: `balanceUpstreamContract` registers the
 * `Deno.test`s. Runs: `tests/adapters/mtproto/gramjs_upstream_contract_test.ts` (GramJS, with the
 * bot as `self` and as `user`) and `tests/adapters/telegram/bot_api_balance_contract_test.ts`.
 *
 * What the actor relies on, and so what is checked:
 *
 * - The balance is Telegram's, as a `StarAmount` of safe integers (`nanostarAmount` 0 when
 *   Telegram gives none, negative with a negative balance), read afresh on every call: the actor
 *   caches, times out and retries; an upstream that cached or retried on its own would serve stale
 *   values and spend calls Telegram counts.
 * - A malformed answer is never a balance: the call rejects with an `Error`, or answers something
 *   `readStarAmount` (the actor's check) refuses. Never a default such as 0.
 * - A flood wait is a `FloodWaitError` with Telegram's seconds, after exactly one request: the
 *   actor holds the session back and retries itself. Any other failure is an `Error` that is
 *   not a `FloodWaitError`, or a server hiccup would stop the session for nothing.
 * - The `AbortSignal` is honoured: aborted before the call, Telegram is not asked; aborted while
 *   Telegram is silent, the call ends at once. Either way the next call works.
 * - Transactions (the Bot API's `getStarTransactions`; MTProto has no such call): the page is
 *   Telegram's answer for the `offset` and `limit` asked, passed on unchanged.
 *
 * An implementation gives an {@linkcode UpstreamUnderTest}: the upstream's calls, and a
 * {@linkcode TelegramSide} that makes its Telegram (a fake, a sandbox) answer as a test asks.
 * Each call is checked on what reaches Telegram and what comes back, so a check fails when the
 * upstream misbehaves, whatever the fake does.
 *
 * @example
 * ```ts ignore
 * balanceUpstreamContract({
 *   name: "gramjs (self)",
 *   transactions: false,
 *   start: async () => ({ balance: (signal) => upstream.getStarsStatus("self", signal), … }),
 * });
 * ```
 * @module
 */
import {
  FloodWaitError,
  type StarAmount,
  type StarTransaction,
} from "../../../money/bot_stars/types.ts";
import { readStarAmount, readTransactions } from "../../../money/bot_stars/validate.ts";
import { assertEquals, assertThrows, assertTrue } from "../../support/assert.ts";

/** An upstream call the actor makes. */
export type UpstreamCall = "balance" | "transactions";

/**
 * A wrong answer to the balance call, in Telegram's wire terms of each upstream:
 * `no_stars_amount` holds no Stars amount (no `amount`; an MTProto status without one);
 * `nanostars_out_of_range` has nanostars of a whole Star or more; `beyond_safe_integer` has an
 * amount of 2^53 + 1, which no JavaScript number holds; `mixed_signs` has a positive amount and
 * negative nanostars. `no_transactions` is a transactions answer without a `transactions` list.
 */
export type MalformedShape =
  | "no_stars_amount"
  | "nanostars_out_of_range"
  | "beyond_safe_integer"
  | "mixed_signs"
  | "no_transactions";

/** What Telegram answers a call's next request, instead of its normal answer. */
export type TelegramAnswer =
  /** A flood wait: MTProto `FLOOD_WAIT_<seconds>`, a Bot API 429 with `retry_after`. */
  | { kind: "flood_wait"; seconds: number }
  /** An error that is not a flood wait: an internal server error. */
  | { kind: "failure" }
  /** No answer, until the world is closed. */
  | { kind: "hang" }
  | { kind: "malformed"; shape: MalformedShape };

/** A request Telegram received; for transactions, the page it asked for. */
export interface ReceivedRequest {
  offset?: number;
  limit?: number;
}

/** The Telegram an upstream under test talks to, as the tests steer it. */
export interface TelegramSide {
  /** From now on, the bot's balance is this; `nanostars` is left out of the answer if absent. */
  holdBalance(amount: bigint, nanostars?: number): void;
  /** From now on, the bot's transactions are these, oldest first, paged by offset and limit. */
  holdTransactions?(transactions: StarTransaction[]): void;
  /** The next request of `call` gets `answer`. */
  answerNext(call: UpstreamCall, answer: TelegramAnswer): void;
  /** Every request of `call` that reached Telegram, oldest first. */
  requests(call: UpstreamCall): ReceivedRequest[];
}

/** One implementation, started for one test. */
export interface UpstreamUnderTest {
  /** The balance call as the actor makes it. */
  balance(signal: AbortSignal): Promise<StarAmount>;
  /** The transactions call, when the upstream has one. */
  transactions?(
    offset: number,
    limit: number,
    signal: AbortSignal,
  ): Promise<{ transactions: StarTransaction[] }>;
  telegram: TelegramSide;
  /** Stops the upstream and its Telegram; answers what still hangs. */
  close(): Promise<void>;
}

/** How to run the contract against one implementation. */
export interface BalanceUpstreamContract {
  /** Starts each test's test name. */
  name: string;
  /** Whether the upstream has the transactions call (and its Telegram `holdTransactions`). */
  transactions: boolean;
  /** A new upstream and Telegram for one test. */
  start(): Promise<UpstreamUnderTest>;
}

const never = new AbortController().signal;

/** A user of the sample transactions. */
const ANN = { id: 7_000_000_101, is_bot: false, first_name: "Ann", language_code: "en" };

/** Transactions of every kind the reconciler reads, oldest first. */
const SAMPLE_TRANSACTIONS: StarTransaction[] = [
  {
    id: "stxA1",
    amount: 50,
    date: 1_735_689_600,
    source: {
      type: "user",
      transaction_type: "invoice_payment",
      user: ANN,
      invoice_payload: "order-1",
    },
  },
  {
    id: "stxA2",
    amount: 100,
    nanostar_amount: 500_000_000,
    date: 1_735_689_700,
    source: {
      type: "user",
      transaction_type: "invoice_payment",
      user: ANN,
      invoice_payload: "sub-1",
      subscription_period: 2_592_000,
    },
  },
  {
    id: "stxA1",
    amount: 50,
    date: 1_735_689_800,
    receiver: { type: "user", transaction_type: "invoice_payment", user: ANN },
  },
  { id: "wd1", amount: 80, date: 1_735_689_900, receiver: { type: "fragment" } },
  { id: "ad1", amount: 20, date: 1_735_690_000, receiver: { type: "telegram_ads" } },
];

/** Polls `done` in real time; both kinds of Telegram answer on the event loop. */
async function eventually(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** How `promise` settled within `ms` of real time, or `"pending"`. */
async function settledWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<PromiseSettledResult<T> | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"pending">((resolve) => {
    timer = setTimeout(() => resolve("pending"), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value): PromiseSettledResult<T> => ({ status: "fulfilled", value }),
        (reason): PromiseSettledResult<T> => ({ status: "rejected", reason }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts `error` fails a call plainly: an Error with a message, and no flood wait. */
function assertPlainFailure(error: unknown, what: string): void {
  assertTrue(error instanceof Error, `${what}: rejects with an Error, got ${String(error)}`);
  assertTrue(error.message.trim() !== "", `${what}: the error says what went wrong`);
  assertTrue(
    !(error instanceof FloodWaitError),
    `${what}: not a flood wait, or the actor would hold the session back for nothing`,
  );
}

/** Registers the contract's tests for one implementation; see the module documentation. */
export function balanceUpstreamContract(contract: BalanceUpstreamContract): void {
  const { name } = contract;
  const test = (title: string, fn: (upstream: UpstreamUnderTest) => Promise<void>) =>
    Deno.test(`${name}: ${title}`, async () => {
      const upstream = await contract.start();
      try {
        await fn(upstream);
      } finally {
        await upstream.close();
      }
    });

  const calls: UpstreamCall[] = contract.transactions ? ["balance", "transactions"] : ["balance"];

  /** Makes `call` once; what it answers must pass the actor's own check. */
  const invoke = async (u: UpstreamUnderTest, call: UpstreamCall, signal: AbortSignal) => {
    if (call === "balance") return readStarAmount(await u.balance(signal), "balance");
    if (u.transactions === undefined) throw new Error(`${name} has no transactions call`);
    return readTransactions(await u.transactions(0, 10, signal));
  };

  /** Gives Telegram something to answer for `call`. */
  const hold = (u: UpstreamUnderTest, call: UpstreamCall) => {
    if (call === "balance") u.telegram.holdBalance(64n, 0);
    else u.telegram.holdTransactions!(SAMPLE_TRANSACTIONS);
  };

  const sent = (u: UpstreamUnderTest) => calls.map((call) => u.telegram.requests(call).length);

  // The balance --------------------------------------------------------------------------------

  test("the balance is Telegram's, as safe integers, asked afresh on every call", async (u) => {
    const readings: [bigint, number][] = [
      [1500n, 250_000_000],
      [0n, 0],
      [7n, 999_999_999],
      [7_000_000_001n, 1],
      [BigInt(Number.MAX_SAFE_INTEGER), 0],
    ];
    for (const [amount, nanostars] of readings) {
      u.telegram.holdBalance(amount, nanostars);
      const answer = await u.balance(never);
      assertEquals(answer, { amount: Number(amount), nanostarAmount: nanostars });
      assertTrue(
        Number.isSafeInteger(answer.amount) && Number.isSafeInteger(answer.nanostarAmount),
      );
      assertEquals(readStarAmount(answer, "balance"), answer, "the actor's check accepts it");
    }
    assertEquals(
      u.telegram.requests("balance").length,
      readings.length,
      "one request per call: no cache, no retry of its own",
    );
  });

  test("a balance Telegram gives without nanostars has nanostarAmount 0", async (u) => {
    u.telegram.holdBalance(42n);
    assertEquals(await u.balance(never), { amount: 42, nanostarAmount: 0 });
  });

  test("a negative balance (after a chargeback) keeps its sign in both parts", async (u) => {
    u.telegram.holdBalance(-3n, -500_000_000);
    assertEquals(await u.balance(never), { amount: -3, nanostarAmount: -500_000_000 });
    u.telegram.holdBalance(0n, -250_000_000);
    assertEquals(await u.balance(never), { amount: 0, nanostarAmount: -250_000_000 });
  });

  test("a malformed balance answer is never taken for a balance", async (u) => {
    const shapes: MalformedShape[] = [
      "no_stars_amount",
      "nanostars_out_of_range",
      "beyond_safe_integer",
      "mixed_signs",
    ];
    for (const shape of shapes) {
      u.telegram.answerNext("balance", { kind: "malformed", shape });
      const [outcome] = await Promise.allSettled([u.balance(never)]);
      if (outcome.status === "rejected") {
        assertPlainFailure(outcome.reason, shape);
      } else {
        assertThrows(() => readStarAmount(outcome.value, shape), TypeError, shape);
      }
    }
    assertEquals(u.telegram.requests("balance").length, shapes.length);
    u.telegram.holdBalance(5n, 0);
    assertEquals(await u.balance(never), { amount: 5, nanostarAmount: 0 }, "then reads again");
  });

  // Transactions -------------------------------------------------------------------------------

  if (contract.transactions) {
    const page = (u: UpstreamUnderTest, offset: number, limit: number) =>
      u.transactions!(offset, limit, never);

    test("a transactions page is Telegram's answer for that offset and limit, unchanged", async (u) => {
      u.telegram.holdTransactions!(SAMPLE_TRANSACTIONS);
      const middle = await page(u, 1, 2);
      assertEquals(middle.transactions, SAMPLE_TRANSACTIONS.slice(1, 3));
      assertEquals(u.telegram.requests("transactions").at(-1), { offset: 1, limit: 2 });
      const all = await page(u, 0, 100);
      assertEquals(readTransactions(all), SAMPLE_TRANSACTIONS, "the actor's check accepts it");
      assertEquals(u.telegram.requests("transactions").at(-1), { offset: 0, limit: 100 });
      assertEquals(u.telegram.requests("transactions").length, 2, "one request per call");
    });

    test("a transactions page past the end is empty", async (u) => {
      u.telegram.holdTransactions!(SAMPLE_TRANSACTIONS);
      assertEquals((await page(u, 5, 10)).transactions, []);
      assertEquals(u.telegram.requests("transactions").at(-1), { offset: 5, limit: 10 });
    });

    test("a malformed transactions answer is never taken for a page", async (u) => {
      u.telegram.answerNext("transactions", { kind: "malformed", shape: "no_transactions" });
      const [outcome] = await Promise.allSettled([page(u, 0, 10)]);
      if (outcome.status === "rejected") assertPlainFailure(outcome.reason, "no_transactions");
      else assertThrows(() => readTransactions(outcome.value), TypeError, "transactions array");
    });
  }

  // Every call: flood waits, failures, aborts --------------------------------------------------

  for (const call of calls) {
    test(`${call}: a flood wait is a FloodWaitError with Telegram's seconds, after one request`, async (u) => {
      hold(u, call);
      for (const seconds of [7, 3_600]) {
        const before = u.telegram.requests(call).length;
        u.telegram.answerNext(call, { kind: "flood_wait", seconds });
        const [outcome] = await Promise.allSettled([invoke(u, call, never)]);
        assertEquals(outcome.status, "rejected", `a ${seconds} s flood wait fails the call`);
        const error = (outcome as PromiseRejectedResult).reason;
        assertTrue(error instanceof FloodWaitError, `a FloodWaitError, got ${String(error)}`);
        assertEquals(error.seconds, seconds);
        assertTrue(error.cause instanceof Error, "Telegram's own error is kept as the cause");
        assertEquals(
          u.telegram.requests(call).length,
          before + 1,
          "not retried: waiting and retrying is the actor's",
        );
      }
      await invoke(u, call, never); // the upstream itself holds nothing back
    });

    test(`${call}: any other failure rejects with an Error that is no flood wait`, async (u) => {
      hold(u, call);
      u.telegram.answerNext(call, { kind: "failure" });
      const [outcome] = await Promise.allSettled([invoke(u, call, never)]);
      assertEquals(outcome.status, "rejected");
      assertPlainFailure((outcome as PromiseRejectedResult).reason, "a server error");
      await invoke(u, call, never);
      assertEquals(u.telegram.requests(call).length, 2);
    });

    test(`${call}: an aborted signal stops the call before Telegram is asked`, async (u) => {
      hold(u, call);
      const before = sent(u);
      const [outcome] = await Promise.allSettled([
        invoke(u, call, AbortSignal.abort(new Error("the tenant was unregistered"))),
      ]);
      assertEquals(outcome.status, "rejected");
      assertEquals(sent(u), before, "no request of any kind");
      await invoke(u, call, never);
    });

    test(`${call}: aborting a call Telegram leaves unanswered ends it at once`, async (u) => {
      hold(u, call);
      u.telegram.answerNext(call, { kind: "hang" });
      const controller = new AbortController();
      const pending = invoke(u, call, controller.signal);
      await eventually(() => u.telegram.requests(call).length === 1, "the request is sent");
      assertEquals(await settledWithin(pending, 20), "pending", "Telegram has not answered");
      controller.abort(new Error("the actor stops"));
      const outcome = await settledWithin(pending, 1_000);
      assertTrue(outcome !== "pending", "the call ends once its signal aborts");
      assertEquals(outcome.status, "rejected");
      await invoke(u, call, never); // the next call is answered
      assertEquals(u.telegram.requests(call).length, 2);
    });
  }
}
