/**
 * The tenant's side of its outbox sender: started with the bot's `SendPacer` (the one its bot
 * reports Telegram's 429s to) so receipts, notices and refunds stay under the bot's flood limits
 * and wait out its flood holds, kicked after every payment commit so they go out at once, and
 * given a short drain at stop so the receipts of the last payments are not left for the next
 * start.
 *
 * @module
 */
import type { Actor } from "../kernel/actor.ts";
import type { ExitReason } from "../kernel/child.ts";
import { type OutboxSenderMsg, startOutboxSender } from "./outbox_sender.ts";
import type { TenantParts } from "./tenant_build.ts";
import type { TenantEnvironment } from "./tenant_environment.ts";

/**
 * How long a stopping tenant gives its outbox to send what is due (receipts of the last
 * payments) before stopping it; what is left goes at the next start.
 */
const outboxDrainMs = 3_000;

/** A running outbox sender, as the tenant actor stops it. */
export interface PacedOutbox {
  /** Commits from now on no longer kick the sender, which is about to stop. */
  stopKicking(): void;
  /** Sends what is due (for at most {@linkcode outboxDrainMs}), then stops the sender. */
  drainAndStop(): Promise<void>;
}

/** Starts the sender; `onFailure` hears of it if the sender actor crashes. */
export function startPacedOutbox(
  parts: Pick<
    TenantParts,
    "config" | "outbox" | "logger" | "rawCall" | "whenCommitted" | "payments" | "pacer"
  >,
  env: Pick<TenantEnvironment, "clock" | "db" | "random">,
  onFailure: (error: unknown) => void,
): PacedOutbox {
  const { clock } = env;
  const sender: Actor<OutboxSenderMsg> = startOutboxSender({
    tenantId: parts.config.id,
    db: env.db,
    outbox: parts.outbox,
    clock,
    logger: parts.logger.getChild("outbox"),
    call: parts.rawCall,
    pacer: parts.pacer,
    onSent: parts.payments.onOutboxSent,
    random: env.random,
  });
  parts.whenCommitted(() => sender.ref.tell({ type: "Kick" }));
  sender.done.then((reason: ExitReason) => {
    if (reason.kind === "failure") onFailure(reason.error);
  });
  return {
    stopKicking: () => parts.whenCommitted(() => {}),
    drainAndStop: async () => {
      await sender.ref.ask<void>((reply) => ({ type: "Drain", reply }), {
        timeoutMs: outboxDrainMs,
      }).catch(() => {});
      await sender.stop();
    },
  };
}
