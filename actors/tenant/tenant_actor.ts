/**
 * The tenant actor: one per hosted bot. It owns the bot's grammY `Bot`, its payment service and
 * its outbox sender, and decides when updates run:
 *
 * - a batch from the poller (or one update from the webhook route) is first recorded in the
 *   durable inbox, and only then confirmed to Telegram (the poller asks for the next batch, or
 *   the webhook answers 200, after this actor replies);
 * - updates of one user run in order on that user's lane, different users concurrently;
 * - `pre_checkout_query` skips the lanes: Telegram gives it 10 s, and it must never wait behind
 *   a slow handler;
 * - every update is checked against the Update shape first: a malformed one is recorded as
 *   rejected (or, carrying a payment, set aside as a dead letter) and confirmed, never run;
 * - a handled update is marked done; one whose handler failed is marked done too (the user was
 *   told), except a payment update, which stays pending and crashes the tenant so that its
 *   restart applies it again — money is never dropped on an error — until it has failed
 *   three times: then it is set aside as a dead letter, the admins are told, and the tenant
 *   goes on. An operator retries a dead letter through {@linkcode TenantHandle.retryDeadLetter}.
 *
 * A tenant that crashes is restarted by its supervisor; nothing it does can reach another tenant.
 *
 * The actor only sequences its parts, each in a file of its own so it can be read alone:
 * `update_intake.ts` (the update source and the poller), `update_dispatcher.ts` (inbox, lanes,
 * outcomes), `paced_outbox.ts` (the outbox sender), `housekeeping.ts` (the timers) and
 * `part_failure.ts` (how a failed part crashes the tenant).
 *
 * @example A purchase through a polling tenant, against the sandbox
 * ```ts
 * import assert from "node:assert/strict";
 * import { startTenant } from "./tenant_actor.ts";
 * import { systemClock } from "../kernel/clock.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 * import { parseTenant } from "../../config/load_tenants.ts";
 * import { Sandbox } from "../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const account = sandbox.createBot({ username: "shop_bot" });
 * const ann = sandbox.createUser({ firstName: "Ann", languageCode: "en", stars: 100 });
 * const pack = {
 *   kind: "credits",
 *   id: "credits_100",
 *   title: "100 credits",
 *   description: "A pack of 100 credits.",
 *   price: 50,
 *   credits: 100,
 * };
 * const parsed = parseTenant(
 *   { token: "env:SHOP_TOKEN", apiRoot: sandbox.apiRoot, products: [pack] },
 *   { id: "shop", source: "shop.json", configDir: "config", env: () => account.token },
 * );
 * assert(parsed.ok);
 * const db = await openDatabase("sqlite::memory:");
 * const tenant = await startTenant(parsed.tenant, { clock: systemClock, db, random: Math.random });
 *
 * await ann.send(account, "/start buy_credits_100");
 * const invoice = await ann.waitForMessage(account);
 * assert.equal((await ann.pay(account, invoice)).status, "paid");
 * // The receipt comes from the outbox, once the payment is committed.
 * const receipt = await ann.waitForMessage(account);
 * assert.match(receipt.text ?? "", /your balance is 100/);
 *
 * await tenant.stop();
 * await db.close();
 * ```
 * @module
 */
import {
  Actor,
  type ActorContext,
  type ActorRef,
  type Behavior,
  type Reply,
} from "../kernel/actor.ts";
import type { Child } from "../kernel/child.ts";
import { buildTenant, type TenantParts } from "./tenant_build.ts";
import type { TenantEnvironment } from "./tenant_environment.ts";
import { registerIntake, startPolling } from "./update_intake.ts";
import { UpdateDispatcher } from "./update_dispatcher.ts";
import { type PacedOutbox, startPacedOutbox } from "./paced_outbox.ts";
import { Housekeeping } from "./housekeeping.ts";
import { partFailure } from "./part_failure.ts";
import type { OptionalCallFailure } from "./optional_calls.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import type { UpdateSource } from "../../adapters/telegram/update_source.ts";
import type { RefundOutcome } from "../../money/payments/refunds.ts";

export type { TenantEnvironment } from "./tenant_environment.ts";
export { allowedUpdates } from "./update_intake.ts";

/** The tenant actor's protocol. */
export type TenantMsg =
  /**
   * A batch of updates as received, not yet checked; replied to once it is durably recorded and
   * dispatched.
   */
  | { type: "Updates"; updates: readonly unknown[]; reply: Reply<void> }
  /** An operator's retry of a dead letter; replied `false` when there is no such dead letter. */
  | { type: "RetryDeadLetter"; updateId: number; reply: Reply<boolean> }
  /** Periodic housekeeping: expire orders and subscriptions, forget old inbox rows. */
  | { type: "Tick" }
  /** Periodic reconciliation of Telegram's transactions with the ledger. */
  | { type: "Reconcile" }
  /** Another instance recorded updates for this tenant in the inbox: queue them. */
  | { type: "SweepInbox" }
  /**
   * A part of the tenant failed (poller, outbox sender, a payment update, an uncaught error of
   * its code): crash and restart.
   */
  | { type: "Failed"; part: string; error: unknown };

/** A running tenant, as its supervisor and the HTTP server see it. */
export interface TenantHandle extends Child {
  readonly id: string;
  /** Polling, or the webhook with its secret. */
  readonly source: UpdateSource;
  /**
   * Records one update that came by webhook, as parsed from its body and not yet checked;
   * resolves once it is durable (as an update to run, or as a rejected one), which is when the
   * webhook may answer 200. Rejects when the tenant is stopping or storage failed.
   */
  accept(update: unknown): Promise<void>;
  /**
   * Puts a dead letter back in the inbox and runs it again; resolves `false` when the tenant
   * has no such dead letter.
   */
  retryDeadLetter(updateId: number): Promise<boolean>;
  /**
   * Crashes the tenant through its supervisor, for an error of its code that nothing caught (an
   * unhandled rejection, a throw in a timer): the process stays up, the tenant restarts.
   */
  crash(error: unknown): void;
  /** When the last update arrived (clock ms), for `/status`. */
  lastUpdateAt(): number | undefined;
  /** The optional calls (command menu …) failing now, for `/status`. */
  failingOptionalCalls(): OptionalCallFailure[];
  /** Outbox items not yet sent, for `/metrics`. */
  outboxBacklog(): Promise<number>;
  /**
   * An operator's refund of one of the tenant's payments (the console), through the tenant's
   * own payment services: its receipt goes out at once, as after `/refund` in the chat.
   */
  refund(chargeId: string): Promise<RefundOutcome>;
  /** Messages waiting in the tenant actor's mailbox, for `/metrics`. */
  mailboxDepth(): number;
  /**
   * Queues the inbox's pending updates this tenant is not running yet: those another instance
   * recorded from a webhook it received (several instances on one database).
   */
  sweepInbox(): void;
  /**
   * Stops taking new updates ahead of a stop: the poller ends after the batch in hand and
   * confirms it, so what users send from now on waits at Telegram for the next start. Updates
   * already taken go on running until {@linkcode Child.stop}.
   */
  drain(): void;
}

/**
 * How long the poller (or a webhook request) waits for updates to be recorded and dispatched.
 * Longer means the lanes are full of stuck handlers: the tenant crashes and restarts, and the
 * batch comes again.
 */
const batchTimeoutMs = 60_000;

/** Hands a batch to the actor; resolves once it is recorded and dispatched. */
function handOver(ref: ActorRef<TenantMsg>, updates: readonly unknown[]): Promise<void> {
  return ref.ask<void>((reply) => ({ type: "Updates", updates, reply }), {
    timeoutMs: batchTimeoutMs,
  });
}

/**
 * Builds the tenant (a rejected token or a bad plugin throws a `FatalError`, which parks it),
 * tells Telegram how it takes updates, and starts the actor, which replays unfinished updates
 * and, for a polling tenant, starts polling.
 */
export async function startTenant(
  config: TenantConfig,
  env: TenantEnvironment,
): Promise<TenantHandle> {
  const parts = await buildTenant(config, env);
  const source = await registerIntake(parts, env).catch(async (error) => {
    // What the build started (a plugin's worker) must not outlive a start that failed.
    await parts.close();
    throw error;
  });
  let lastUpdateAt: number | undefined;
  const draining = new AbortController();
  const actor = Actor.spawn(
    `tenant:${config.id}`,
    () =>
      tenantBehavior(parts, env, source, draining.signal, () => (lastUpdateAt = env.clock.now())),
    { clock: env.clock, deadLetters: env.deadLetters },
  );
  // The tenant serves from here on; what it can serve without goes now, in the background.
  parts.optionalCalls.start();
  return {
    id: config.id,
    source,
    done: actor.done,
    stop: (reason) => actor.stop(reason),
    accept: (update) => handOver(actor.ref, [update]),
    retryDeadLetter: (updateId) =>
      actor.ref.ask<boolean>((reply) => ({ type: "RetryDeadLetter", updateId, reply }), {
        timeoutMs: batchTimeoutMs,
      }),
    crash: (error) => void actor.ref.tell({ type: "Failed", part: "uncaught error", error }),
    lastUpdateAt: () => lastUpdateAt,
    failingOptionalCalls: () => parts.optionalCalls.failures(),
    outboxBacklog: () => parts.outbox.backlog(env.db),
    refund: (chargeId) => parts.payments.refunds.refund(chargeId, { by: "admin" }),
    mailboxDepth: () => actor.mailboxSize,
    sweepInbox: () => void actor.ref.tell({ type: "SweepInbox" }),
    drain: () => draining.abort(),
  };
}

/** The actor's behaviour: see the module documentation. */
function tenantBehavior(
  parts: TenantParts,
  env: TenantEnvironment,
  source: UpdateSource,
  draining: AbortSignal,
  noteUpdate: () => void,
): Behavior<TenantMsg> {
  let self: ActorContext<TenantMsg> | undefined;
  let outbox: PacedOutbox | undefined;
  let polling: Promise<void> | undefined;

  /** Tells the actor that a part failed, unless it is stopping anyway. */
  const fail = (part: string, error: unknown) => {
    if (self && !self.signal.aborted) self.self.tell({ type: "Failed", part, error });
  };
  // The outbox sender is kicked through the commit listener it registers with the payment
  // services; notices the dispatcher queues (a dead letter's) kick it the same way.
  let kickOutbox = () => {};
  const outboxParts: TenantParts = {
    ...parts,
    whenCommitted: (listener) => {
      kickOutbox = listener;
      parts.whenCommitted(listener);
    },
  };
  const updates = new UpdateDispatcher(parts, env, {
    failed: fail,
    queuedNotice: () => kickOutbox(),
  });
  const timers = new Housekeeping(parts, env, (msg) => self?.self.tell(msg));

  return {
    async preStart(ctx) {
      self = ctx;
      outbox = startPacedOutbox(outboxParts, env, (error) => fail("outbox sender", error));
      timers.startTicking();
      if (env.balances) {
        // Before the first reconciliation: the reconciler reads the bot's transactions through
        // the BalanceActor, which answers only for tenants registered with it.
        await env.balances.register(parts.balanceTenant);
        timers.startReconciling();
      }
      await updates.sweep(ctx.signal);
      if (source.mode !== "polling") return;
      polling = startPolling(parts, env, {
        stop: ctx.signal,
        drain: draining,
        handle: (batch) => handOver(ctx.self, batch),
        onFailure: (error) => fail("poller", error),
      });
    },
    async receive(msg) {
      switch (msg.type) {
        case "Updates":
          noteUpdate();
          // A stop cuts short the wait for permits; what is left stays pending in the inbox.
          await updates.recordAndDispatch(msg.updates, self?.signal);
          msg.reply();
          return;
        case "RetryDeadLetter":
          msg.reply(await updates.retryDeadLetter(msg.updateId, self?.signal));
          return;
        case "Tick":
          await timers.tick();
          return;
        case "Reconcile":
          timers.reconcile();
          return;
        case "SweepInbox":
          // Not while draining: what is left is found by the next owner's start.
          if (!draining.aborted) await updates.sweep(self?.signal);
          return;
        case "Failed":
          throw partFailure(msg.part, msg.error);
      }
    },
    // The reverse of the start: nothing new comes in, what came in finishes, its receipts go
    // out, and only then does the tenant let go of what it holds.
    async postStop() {
      timers.stop();
      outbox?.stopKicking();
      await polling;
      await updates.drain();
      await outbox?.drainAndStop();
      await env.balances?.unregister(parts.config.id).catch(() => {});
      await parts.close();
    },
  };
}
