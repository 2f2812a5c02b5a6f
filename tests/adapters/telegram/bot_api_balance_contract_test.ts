// The balance upstream contract (tests/money/bot_stars/balance_upstream.contract.ts) against
// botApiBalanceUpstream over a grammY Api, as the tenant wiring builds it (a client of its own,
// no auto-retry). Its Telegram is the sandbox on 127.0.0.1, behind TelegramEdge: the sandbox
// answers flood waits and server errors (failNext) and whatever is not scripted; the edge answers
// what the sandbox cannot be made to (any balance, any transactions, silence, malformed JSON).
import { Api } from "grammy";
import type { StarTransaction } from "grammy/types";
import { botApiBalanceUpstream } from "../../../adapters/telegram/bot_api_balance.ts";
import { Sandbox, type SandboxBot } from "../../../sandbox/mod.ts";
import {
  balanceUpstreamContract,
  type MalformedShape,
  type ReceivedRequest,
  type TelegramAnswer,
  type UpstreamCall,
} from "../../money/bot_stars/balance_upstream.contract.ts";

const METHOD: Record<UpstreamCall, string> = {
  balance: "getMyStarBalance",
  transactions: "getStarTransactions",
};

/** The `result` of each wrong answer, as raw JSON (2^53 + 1 cannot pass through a number). */
const MALFORMED: Record<MalformedShape, string> = {
  no_stars_amount: "{}",
  nanostars_out_of_range: '{"amount":1,"nanostar_amount":1000000000}',
  beyond_safe_integer: '{"amount":9007199254740993}',
  mixed_signs: '{"amount":5,"nanostar_amount":-3}',
  no_transactions: '{"total_count":3}',
};

function ok(resultJson: string): Response {
  return new Response(`{"ok":true,"result":${resultJson}}`, {
    headers: { "content-type": "application/json" },
  });
}

/**
 * Telegram's Bot API for one bot: the sandbox behind an HTTP edge on 127.0.0.1 that sees every
 * request and answers the scripted ones itself.
 */
class TelegramEdge {
  readonly #sandbox: Sandbox;
  readonly #bot: SandboxBot;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #script = new Map<string, TelegramAnswer[]>();
  readonly #received: { method: string; params: Record<string, unknown> }[] = [];
  readonly #hung: (() => void)[] = [];
  #balance: { amount: bigint; nanostars?: number } | undefined;
  #transactions: StarTransaction[] | undefined;

  constructor(sandbox: Sandbox, bot: SandboxBot) {
    this.#sandbox = sandbox;
    this.#bot = bot;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) => this.#answer(request),
    );
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  holdBalance(amount: bigint, nanostars?: number): void {
    this.#balance = { amount, nanostars };
  }

  holdTransactions(transactions: StarTransaction[]): void {
    this.#transactions = structuredClone(transactions);
  }

  answerNext(call: UpstreamCall, answer: TelegramAnswer): void {
    const method = METHOD[call];
    this.#script.set(method, [...this.#script.get(method) ?? [], answer]);
  }

  /** The requests of `call`; a transactions request with its page, Telegram's defaults filled. */
  requests(call: UpstreamCall): ReceivedRequest[] {
    return this.#received.filter((r) => r.method === METHOD[call]).map(({ params }) =>
      call === "transactions" ? { offset: params.offset ?? 0, limit: params.limit ?? 100 } : {}
    ) as ReceivedRequest[];
  }

  async #answer(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const method = url.pathname.split("/").at(-1) ?? "";
    const body = await request.text();
    const params = body === "" ? {} : JSON.parse(body);
    this.#received.push({ method, params });
    const scripted = this.#script.get(method)?.shift();
    switch (scripted?.kind) {
      case "flood_wait":
        this.#sandbox.failNext(this.#bot.token, method, {
          error_code: 429,
          description: `Too Many Requests: retry after ${scripted.seconds}`,
          parameters: { retry_after: scripted.seconds },
        });
        break;
      case "failure":
        this.#sandbox.failNext(this.#bot.token, method, {
          error_code: 500,
          description: "Internal Server Error",
        });
        break;
      case "hang":
        await new Promise<void>((resolve) => this.#hung.push(resolve));
        return new Response("the edge was closed", { status: 502 });
      case "malformed":
        return ok(MALFORMED[scripted.shape]);
      case undefined:
        if (method === "getMyStarBalance" && this.#balance !== undefined) {
          const { amount, nanostars } = this.#balance;
          const nanos = nanostars === undefined ? "" : `,"nanostar_amount":${nanostars}`;
          return ok(`{"amount":${amount}${nanos}}`);
        }
        if (method === "getStarTransactions" && this.#transactions !== undefined) {
          const offset = params.offset ?? 0;
          const page = this.#transactions.slice(offset, offset + (params.limit ?? 100));
          return ok(JSON.stringify({ transactions: page }));
        }
    }
    return await fetch(`${this.#sandbox.apiRoot}${url.pathname}`, {
      method: request.method,
      headers: { "content-type": request.headers.get("content-type") ?? "application/json" },
      body: request.method === "GET" ? undefined : body,
    });
  }

  async close(): Promise<void> {
    for (const release of this.#hung.splice(0)) release();
    await this.#server.shutdown();
  }
}

balanceUpstreamContract({
  name: "bot api",
  transactions: true,
  start: async () => {
    const sandbox = await Sandbox.start();
    const bot = sandbox.createBot();
    const edge = new TelegramEdge(sandbox, bot);
    const upstream = botApiBalanceUpstream(new Api(bot.token, { apiRoot: edge.apiRoot }));
    return {
      balance: (signal) => upstream.getMyStarBalance(signal),
      transactions: (offset, limit, signal) => upstream.getStarTransactions(offset, limit, signal),
      telegram: edge,
      async close() {
        await edge.close();
        await sandbox.close();
      },
    };
  },
});
