/**
 * A process-wide number of permits shared fairly among owners. An owner takes a permit before
 * it starts a piece of work and gives it back once the work has ended, so the work in flight
 * across the whole process never exceeds `total`, and one owner never holds more than
 * `perOwner` of it.
 *
 * When permits run out, owners wait, and a permit given back goes to the owners waiting in turn
 * (round-robin, each owner's own waiters first come first served): an owner with a huge backlog
 * gets one permit per round like anyone else, so it cannot starve a quiet one.
 *
 * Giving a permit back is a plain synchronous call that needs nothing but the budget: work that
 * ends releases its permit even while its owner is itself blocked waiting for another one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FairBudget } from "./fair_budget.ts";
 *
 * const budget = new FairBudget<string>({ total: 2, perOwner: 2 });
 * const [busy1, busy2] = [await budget.acquire("busy"), await budget.acquire("busy")];
 * const granted: string[] = [];
 * // The busy owner queues two more, then a quiet one queues one: all wait.
 * for (const owner of ["busy", "busy", "quiet"]) {
 *   void budget.acquire(owner).then(() => void granted.push(owner));
 * }
 * busy1.release();
 * busy2.release();
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * // One permit each, in turn: the quiet owner did not wait behind the busy one's backlog.
 * assert.deepEqual(granted, ["quiet", "busy"]);
 * assert.equal(budget.inUse, 2);
 * assert.equal(budget.waiting, 1);
 * ```
 * @module
 */

/** One unit of the budget, held until {@linkcode Permit.release}; releasing twice is harmless. */
export interface Permit extends Disposable {
  /** Gives the permit back; the next waiter in turn gets it at once. */
  release(): void;
}

/** The budget's size. */
export interface FairBudgetOptions {
  /** Permits in all. */
  total: number;
  /** The most one owner may hold at once; defaults to (and is at most) `total`. */
  perOwner?: number;
}

interface Waiter {
  resolve(permit: Permit): void;
}

interface Account {
  held: number;
  waiters: Waiter[];
}

/** Permits from a shared total, handed out in turn among owners; see the module doc. */
export class FairBudget<Owner = string> {
  /** Permits in all. */
  readonly total: number;
  /** The most one owner may hold at once. */
  readonly perOwner: number;
  readonly #accounts = new Map<Owner, Account>();
  /**
   * Owners with waiters that may take a permit (below `perOwner`), in the order they get one:
   * a Set keeps insertion order, and an owner served goes to the back.
   */
  readonly #turns = new Set<Owner>();
  #inUse = 0;
  #waiting = 0;

  constructor(options: FairBudgetOptions) {
    this.total = positiveInteger("total", options.total);
    this.perOwner = Math.min(
      positiveInteger("perOwner", options.perOwner ?? this.total),
      this.total,
    );
  }

  /** Permits held now. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Acquires waiting now. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Permits `owner` holds now. */
  heldBy(owner: Owner): number {
    return this.#accounts.get(owner)?.held ?? 0;
  }

  /**
   * Resolves with a permit for `owner` once one is free and it is `owner`'s turn. Rejects with
   * the signal's reason if `signal` aborts first; no permit is taken then.
   */
  acquire(owner: Owner, signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const account = this.#account(owner);
    if (account.waiters.length === 0 && account.held < this.perOwner && this.#inUse < this.total) {
      return Promise.resolve(this.#take(owner, account));
    }
    return new Promise<Permit>((resolve, reject) => {
      const onAbort = () => {
        const at = account.waiters.indexOf(waiter);
        if (at < 0) return; // granted already
        account.waiters.splice(at, 1);
        this.#waiting--;
        if (account.waiters.length === 0) this.#turns.delete(owner);
        this.#forgetIfIdle(owner, account);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        resolve: (permit) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(permit);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      account.waiters.push(waiter);
      this.#waiting++;
      if (account.held < this.perOwner) this.#turns.add(owner);
      // Normally a no-op (permits free means nobody waits); it matters after `perOwner` let an
      // owner queue while permits were free.
      this.#grant();
    });
  }

  #account(owner: Owner): Account {
    let account = this.#accounts.get(owner);
    if (!account) {
      account = { held: 0, waiters: [] };
      this.#accounts.set(owner, account);
    }
    return account;
  }

  #take(owner: Owner, account: Account): Permit {
    account.held++;
    this.#inUse++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#release(owner, account);
    };
    return { release, [Symbol.dispose]: release };
  }

  #release(owner: Owner, account: Account): void {
    account.held--;
    this.#inUse--;
    // Set.add keeps an owner already in turn where it is; one that was at its cap joins the back.
    if (account.waiters.length > 0 && account.held < this.perOwner) this.#turns.add(owner);
    this.#forgetIfIdle(owner, account);
    this.#grant();
  }

  /** Hands free permits to the owners in turn, one each per round. */
  #grant(): void {
    while (this.#inUse < this.total && this.#turns.size > 0) {
      const owner = this.#turns.values().next().value as Owner;
      this.#turns.delete(owner);
      const account = this.#accounts.get(owner)!;
      const waiter = account.waiters.shift()!;
      this.#waiting--;
      const permit = this.#take(owner, account);
      if (account.waiters.length > 0 && account.held < this.perOwner) this.#turns.add(owner);
      waiter.resolve(permit);
    }
  }

  /** Owners come and go (a tenant's every start is one): an idle one leaves nothing behind. */
  #forgetIfIdle(owner: Owner, account: Account): void {
    if (account.held === 0 && account.waiters.length === 0) this.#accounts.delete(owner);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`FairBudget ${name} must be an integer ≥ 1, got ${value}`);
  }
  return value;
}
