/**
 * The orders of one tenant: every invoice we issued, in the `orders` table. An order's id is the
 * invoice payload, so it is random and unguessable: knowing one user's payload must not let
 * anyone name another order. State changes go through the table in `order_machine.ts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { OrderTransitionError, Orders } from "./orders.ts";
 *
 * const db = await openDatabase("sqlite::memory:");
 * const clock = new ManualClock(0);
 * const orders = new Orders("shop", clock);
 * const credits = { userId: 7, chatId: 7, productId: "credits_100", amount: 50, ttlMs: 60_000 };
 * const order = await orders.issue(db, credits);
 * assert.equal(order.orderId.length, 22); // random: the invoice payload names nothing else
 * await db.transaction((tx) => orders.apply(tx, order.orderId, "approve"));
 * await db.transaction((tx) => orders.apply(tx, order.orderId, "pay", { chargeId: "ch_1" }));
 * // A paid order does not expire; only refunding moves it on.
 * await assert.rejects(
 *   db.transaction((tx) => orders.apply(tx, order.orderId, "expire")),
 *   OrderTransitionError,
 * );
 * const unpaid = await orders.issue(db, credits);
 * await clock.advance(60_000);
 * assert.equal(await orders.expireDue(db), 1);
 * assert.equal((await orders.get(db, unpaid.orderId))?.state, "expired");
 * assert.equal((await orders.latestForUser(db, 7, ["paid"]))?.chargeId, "ch_1");
 * await db.close();
 * ```
 * @module
 */
import type { SqlRunner } from "../ports.ts";
import type { Clock } from "../../actors/kernel/clock.ts";
import { knownValue, TenantTable } from "./tenant_table.ts";
import {
  type OrderEvent,
  type OrderState,
  orderStates,
  statesAccepting,
  transition,
} from "../payments/order_machine.ts";

/** One order as stored. */
export interface Order {
  /** The invoice payload: 22 URL-safe characters. */
  orderId: string;
  userId: number;
  chatId: number;
  productId: string;
  /** Price in Stars. */
  amount: number;
  state: OrderState;
  createdAt: number;
  /** From this moment on the order can no longer be paid. */
  expiresAt: number;
  updatedAt: number;
  /** The Telegram charge that paid the order; set by the `pay` event. */
  chargeId?: string;
}

/** What {@linkcode Orders.issue} needs. */
export interface NewOrder {
  userId: number;
  chatId: number;
  productId: string;
  amount: number;
  /** How long the invoice can be paid, in milliseconds. */
  ttlMs: number;
}

/** Thrown by {@linkcode Orders.apply} for an order id that does not exist. */
/** How often {@linkcode Orders.apply} reads an order again that changed under it. */
const MAX_APPLY_TRIES = 3;

export class UnknownOrderError extends Error {
  constructor(readonly orderId: string) {
    super(`no order with id ${JSON.stringify(orderId)}`);
    this.name = "UnknownOrderError";
  }
}

/** Thrown by {@linkcode Orders.apply} when the transition table refuses the event. */
export class OrderTransitionError extends Error {
  constructor(
    readonly orderId: string,
    readonly state: OrderState,
    readonly event: OrderEvent,
    reason: string,
  ) {
    super(`order ${orderId}: ${reason}`);
    this.name = "OrderTransitionError";
  }
}

type OrderRow = {
  order_id: string;
  user_id: number;
  chat_id: number;
  product_id: string;
  amount: number;
  state: string;
  created_at: number;
  expires_at: number;
  updated_at: number;
  charge_id: string | null;
};

const COLUMNS: readonly (keyof OrderRow)[] = [
  "order_id",
  "user_id",
  "chat_id",
  "product_id",
  "amount",
  "state",
  "created_at",
  "expires_at",
  "updated_at",
  "charge_id",
];

function toOrder(row: OrderRow): Order {
  const order: Order = {
    orderId: row.order_id,
    userId: Number(row.user_id),
    chatId: Number(row.chat_id),
    productId: row.product_id,
    amount: Number(row.amount),
    state: knownValue(orderStates, row.state, `order ${row.order_id} has an unknown state`),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    updatedAt: Number(row.updated_at),
  };
  if (row.charge_id !== null) order.chargeId = row.charge_id;
  return order;
}

/** 16 random bytes (128 bits) as unpadded base64url: 22 characters, far below Telegram's 128. */
function newOrderId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

/** The `orders` table of one tenant. */
export class Orders {
  readonly #rows: TenantTable<OrderRow>;
  readonly #clock: Clock;

  constructor(tenantId: string, clock: Clock) {
    this.#rows = new TenantTable("orders", tenantId, COLUMNS);
    this.#clock = clock;
  }

  /**
   * Records a new order in state `issued`, expiring `ttlMs` from now. A single insert, so it may
   * run outside a transaction.
   */
  async issue(q: SqlRunner, order: NewOrder): Promise<Order> {
    requirePositiveInteger("amount", order.amount);
    requirePositiveInteger("ttlMs", order.ttlMs);
    const now = this.#clock.now();
    const row: OrderRow = {
      order_id: newOrderId(),
      user_id: order.userId,
      chat_id: order.chatId,
      product_id: order.productId,
      amount: order.amount,
      state: "issued",
      created_at: now,
      expires_at: now + order.ttlMs,
      updated_at: now,
      charge_id: null,
    };
    await this.#rows.insert(q, row);
    return toOrder(row);
  }

  /** The order with id `orderId`, or `undefined`. */
  async get(q: SqlRunner, orderId: string): Promise<Order | undefined> {
    const row = await this.#rows.find(q, { order_id: orderId });
    return row === undefined ? undefined : toOrder(row);
  }

  /**
   * Applies `event` to the order and persists the new state; returns the updated order. `pay`
   * needs the charge id (`extra.chargeId`), which is recorded on the order.
   *
   * Throws {@linkcode UnknownOrderError} for a missing order and {@linkcode OrderTransitionError}
   * when the table refuses the event. Run it inside a transaction: it reads, then writes.
   *
   * The write is conditional on the state read, so a concurrent change (another transaction on
   * PostgreSQL, where transactions run side by side at READ COMMITTED) is never overwritten: the
   * order is read again, now with that change, and the event applied to its new state, which
   * the table may refuse. Two pre-checkouts of one order tapped at once both approve it, as
   * `approved` accepts `approve`; a second `pay` finds it `paid` and is refused.
   */
  async apply(
    tx: SqlRunner,
    orderId: string,
    event: OrderEvent,
    extra: { chargeId?: string } = {},
  ): Promise<Order> {
    if (event === "pay" && !extra.chargeId) {
      throw new TypeError(`order ${orderId}: the "pay" event needs the charge id that paid it`);
    }
    for (let attempt = 1; attempt <= MAX_APPLY_TRIES; attempt++) {
      const order = await this.get(tx, orderId);
      if (order === undefined) throw new UnknownOrderError(orderId);
      const result = transition(order.state, event);
      if (!result.ok) throw new OrderTransitionError(orderId, order.state, event, result.reason);
      const now = this.#clock.now();
      const chargeId = event === "pay" ? extra.chargeId! : order.chargeId ?? null;
      const changes = await this.#rows.update(
        tx,
        { state: result.next, updated_at: now, charge_id: chargeId },
        { order_id: orderId, state: order.state },
      );
      if (changes === 1) {
        const updated: Order = { ...order, state: result.next, updatedAt: now };
        if (chargeId !== null) updated.chargeId = chargeId;
        return updated;
      }
    }
    throw new Error(
      `order ${orderId} kept changing while "${event}" was being applied; try again`,
    );
  }

  /** The user's newest order, optionally only among `states`; `undefined` when there is none. */
  async latestForUser(
    q: SqlRunner,
    userId: number,
    states: readonly OrderState[] = orderStates,
  ): Promise<Order | undefined> {
    if (states.length === 0) return undefined;
    const row = await q.get<OrderRow>(
      `SELECT ${this.#rows.columns} FROM orders
       WHERE tenant_id = ? AND user_id = ? AND state IN (${states.map(() => "?").join(", ")})
       ORDER BY created_at DESC LIMIT 1`,
      [this.#rows.tenantId, userId, ...states],
    );
    return row === undefined ? undefined : toOrder(row);
  }

  /**
   * Moves every order that can still expire (per the table: `issued`, `approved`) and whose
   * expiry is at or before `now` to `expired`; returns how many. One statement, so it may run
   * outside a transaction.
   */
  async expireDue(q: SqlRunner, now: number = this.#clock.now()): Promise<number> {
    const from = statesAccepting("expire");
    const { changes } = await q.run(
      `UPDATE orders SET state = ?, updated_at = ?
       WHERE tenant_id = ? AND state IN (${from.map(() => "?").join(", ")}) AND expires_at <= ?`,
      ["expired", now, this.#rows.tenantId, ...from, now],
    );
    return changes;
  }
}
