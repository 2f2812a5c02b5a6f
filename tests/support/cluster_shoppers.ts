/**
 * A stream of purchases for the cluster tests: one shopper per tenant buys the 100-credits pack
 * (`/start buy_credits_100`, then pays the invoice) again and again until stopped, whatever
 * happens to the instances meanwhile. A purchase that cannot finish (the invoice does not come
 * while the tenant moves, the pre-checkout query is not answered in time, a stale invoice is
 * refused) is recorded with what happened and the shopper goes on: the tests' invariants are
 * about what Telegram charged, not about every attempt succeeding.
 *
 * @example
 * ```ts ignore
 * const stream = PurchaseStream.start(sandbox, cluster.bots);
 * await stream.waitPaid("a purchase on every tenant", (paid) => cluster.tenantIds.every(...));
 * await stream.stop();
 * stream.paid("alpha"); // the charges Telegram made for alpha
 * ```
 * @module
 */
import type { CallRecord, Sandbox, SandboxBot, SandboxUser } from "../../sandbox/mod.ts";
import { PROCESS_WAIT_MS } from "./deployment.ts";
import { CREDITS_100 } from "./shop_products.ts";
import { waitUntil } from "./wait.ts";

/** One attempt of a shopper. */
export interface Purchase {
  tenant: string;
  userId: number;
  /** The payment's outcome, `no_invoice` when none came in time, `error` for anything else. */
  status: "paid" | "rejected" | "timeout" | "insufficient_stars" | "no_invoice" | "error";
  /** telegram_payment_charge_id, when paid. */
  chargeId?: string;
  /** When it was paid (`Date.now()`), when paid. */
  paidAt?: number;
  detail?: string;
}

/** How long a shopper waits for an invoice: a failover and a tenant start, with room. */
const INVOICE_WAIT_MS = 10_000;
/** A pause between purchases, so the stream loads the instances without saturating two cores. */
const THINK_MS = 50;

/** See the module documentation. */
export class PurchaseStream {
  readonly purchases: Purchase[] = [];
  #stopped = false;
  readonly #loops: Promise<void>[];
  readonly #context: () => string;

  private constructor(shoppers: [string, SandboxBot, SandboxUser][], context: () => string) {
    this.#context = context;
    this.#loops = shoppers.map(([tenant, bot, user]) => this.#shop(tenant, bot, user));
  }

  /**
   * Starts one shopper per bot of `bots` (tenant id → bot), each with Stars for a long while;
   * `context` (the instances' logs, say) is added to the message of a wait that fails.
   */
  static start(
    sandbox: Sandbox,
    bots: ReadonlyMap<string, SandboxBot>,
    context: () => string = () => "",
  ): PurchaseStream {
    const shoppers = [...bots].map(([tenant, bot]): [string, SandboxBot, SandboxUser] => [
      tenant,
      bot,
      sandbox.createUser({ firstName: `Shopper ${tenant}`, languageCode: "en", stars: 1_000_000 }),
    ]);
    return new PurchaseStream(shoppers, context);
  }

  /** The paid purchases (of `tenant` when given). */
  paid(tenant?: string): Purchase[] {
    return this.purchases.filter((p) =>
      p.status === "paid" && (tenant === undefined || p.tenant === tenant)
    );
  }

  /** Waits until `done` holds of the paid purchases. */
  async waitPaid(what: string, done: (paid: Purchase[]) => boolean, timeoutMs = PROCESS_WAIT_MS) {
    try {
      await waitUntil(what, () => done(this.paid()), timeoutMs);
    } catch (error) {
      throw new Error(
        `${(error as Error).message}; attempts: ${this.#summary()}\n${this.#context()}`,
        { cause: error },
      );
    }
  }

  /** Waits for a purchase paid on `tenant` after `since` (`Date.now()`). */
  waitPaidOn(tenant: string, since: number, timeoutMs = PROCESS_WAIT_MS): Promise<void> {
    return this.waitPaid(
      `a purchase paid on ${tenant}`,
      (paid) => paid.some((p) => p.tenant === tenant && p.paidAt! > since),
      timeoutMs,
    );
  }

  /** Lets every shopper finish the purchase in hand, and starts no other. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
  }

  async #shop(tenant: string, bot: SandboxBot, user: SandboxUser): Promise<void> {
    while (!this.#stopped) {
      this.purchases.push({ tenant, userId: user.id, ...await buyOnce(bot, user) });
      await new Promise((resolve) => setTimeout(resolve, THINK_MS));
    }
  }

  #summary(): string {
    const counts = new Map<string, number>();
    for (const p of this.purchases) {
      const key = `${p.tenant}:${p.status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return JSON.stringify(Object.fromEntries(counts));
  }
}

/** One purchase of the 100-credits pack, start to end. */
async function buyOnce(
  bot: SandboxBot,
  user: SandboxUser,
): Promise<Omit<Purchase, "tenant" | "userId">> {
  try {
    await user.send(bot, `/start buy_${CREDITS_100.id}`);
    const invoice = await user.waitForMessage(bot, (m) => m.invoice !== undefined, {
      timeoutMs: INVOICE_WAIT_MS,
    }).catch(() => undefined);
    if (invoice === undefined) return { status: "no_invoice" };
    const outcome = await user.pay(bot, invoice);
    if (outcome.status !== "paid") return { status: outcome.status };
    return { status: "paid", chargeId: outcome.chargeId, paidAt: Date.now() };
  } catch (error) {
    // A stale invoice (a reply sent twice across a failover) that was paid already, say.
    return { status: "error", detail: (error as Error).message };
  }
}

/**
 * Lets a test act at the very moment the sandbox finishes a Bot API call (kill an instance as its
 * bot answers a pre-checkout query, say): pass {@linkcode CallTap.onCall} as the sandbox's
 * `onCall`, then await {@linkcode CallTap.next} with the action, which runs inside the sandbox's
 * call, before the bot hears the answer.
 */
export class CallTap {
  readonly #waiters: {
    match: CallMatch;
    act: (call: CallRecord) => void;
    resolve: (call: CallRecord) => void;
  }[] = [];

  /** The sandbox's `onCall` option. */
  readonly onCall = (bot: SandboxBot, call: CallRecord): void => {
    for (const waiter of [...this.#waiters]) {
      if (!waiter.match(bot, call)) continue;
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.act(call);
      waiter.resolve(call);
    }
  };

  /** Runs `act` at the next call that `match` accepts; resolves with that call. */
  next(match: CallMatch, act: (call: CallRecord) => void = () => {}): Promise<CallRecord> {
    return new Promise((resolve) => this.#waiters.push({ match, act, resolve }));
  }
}

/** Which call a {@linkcode CallTap} waits for. */
export type CallMatch = (bot: SandboxBot, call: CallRecord) => boolean;
