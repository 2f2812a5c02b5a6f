/**
 * The process's one BalanceActor as a supervised child, and the list of tenants registered with
 * it. The actor keeps its tenants in memory, so when its supervisor restarts it, the registry
 * registers every running tenant again; the {@linkcode BalanceRegistry.client} always talks to
 * the current instance, so tenants never hold a reference to a dead actor.
 *
 * @example The tenants survive a restart of the actor
 * ```ts
 * import assert from "node:assert/strict";
 * import { BalanceActorDownError, BalanceRegistry } from "./registry.ts";
 * import { ManualClock } from "../kernel/clock.ts";
 * import { Supervisor } from "../kernel/supervisor.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const clock = new ManualClock(0);
 * const balances = new BalanceRegistry();
 * await balances.register({
 *   id: "shop",
 *   cacheTtlMs: 60_000,
 *   botApi: {
 *     getMyStarBalance: () => Promise.resolve({ amount: 7 }),
 *     getStarTransactions: () => Promise.resolve({ transactions: [] }),
 *   },
 * });
 * await assert.rejects(balances.client.balance("shop"), BalanceActorDownError);
 *
 * const root = new Supervisor("root", [balances.spec({ db, clock })], { clock });
 * await root.start();
 * assert.equal((await balances.client.balance("shop")).amount, 7);
 * await root.restartChild("balance"); // a fresh actor, with "shop" registered again
 * assert.equal((await balances.client.balance("shop")).amount, 7);
 * await root.stop();
 * await db.close();
 * ```
 * @module
 */
import type { Actor, ActorRef } from "../kernel/actor.ts";
import { type BalanceActorOptions, type BalanceMsg, startBalanceActor } from "./balance_actor.ts";
import { BalanceClient } from "./balance_client.ts";
import type { BalanceTenant } from "../../money/bot_stars/types.ts";
import type { ChildSpec } from "../kernel/supervisor.ts";

/** Thrown to callers while no BalanceActor runs (before start, or between restarts). */
export class BalanceActorDownError extends Error {
  constructor() {
    super("the balance actor is not running; try again in a moment");
    this.name = "BalanceActorDownError";
  }
}

/**
 * How long the BalanceActor gets to stop: it holds no state worth saving (the last known
 * balances are already stored), so a short grace for in-flight calls is enough.
 */
const balanceShutdownMs = 2_000;

/** Registered tenants plus a client bound to whichever actor instance is current. */
export class BalanceRegistry {
  readonly #tenants = new Map<string, BalanceTenant>();
  #actor?: Actor<BalanceMsg>;

  /** Asks the current BalanceActor; rejects with {@linkcode BalanceActorDownError} when none. */
  readonly client: BalanceClient;

  constructor(timeoutMs?: number) {
    const current = (): ActorRef<BalanceMsg> => {
      if (!this.#actor) throw new BalanceActorDownError();
      return this.#actor.ref;
    };
    const ref: ActorRef<BalanceMsg> = {
      name: "balance",
      tell: (msg) => this.#actor?.ref.tell(msg) ?? false,
      send: (msg, options) => {
        try {
          return current().send(msg, options);
        } catch (error) {
          return Promise.reject(error);
        }
      },
      ask: (make, options) => {
        try {
          return current().ask(make, options);
        } catch (error) {
          return Promise.reject(error);
        }
      },
    };
    this.client = new BalanceClient(ref, timeoutMs);
  }

  /** The supervisor's child spec; each start registers every known tenant with the new actor. */
  spec(options: BalanceActorOptions): ChildSpec {
    return {
      id: "balance",
      start: async () => {
        const actor = startBalanceActor(options);
        for (const tenant of this.#tenants.values()) {
          await actor.ref.send({ type: "Register", tenant });
        }
        this.#actor = actor;
        actor.done.then(() => {
          if (this.#actor === actor) this.#actor = undefined;
        });
        return actor;
      },
      restart: "permanent",
      shutdownMs: balanceShutdownMs,
    };
  }

  /** Registers (or re-registers) a tenant, now and after every restart of the actor. */
  async register(tenant: BalanceTenant): Promise<void> {
    this.#tenants.set(tenant.id, tenant);
    if (this.#actor) await this.client.register(tenant);
  }

  /** Messages waiting in the current actor's mailbox (0 while none runs), for `/metrics`. */
  mailboxDepth(): number {
    return this.#actor?.mailboxSize ?? 0;
  }

  /** Forgets a tenant. */
  async unregister(tenantId: string): Promise<void> {
    this.#tenants.delete(tenantId);
    if (this.#actor) await this.client.unregister(tenantId);
  }
}
