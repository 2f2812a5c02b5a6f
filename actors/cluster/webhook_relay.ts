/**
 * Webhooks on any instance: Telegram may deliver a tenant's update to whichever instance its load
 * balancer picks, not only to the one that owns the tenant. That instance (already past the
 * secret check of the webhook route):
 *
 * - records the update in the tenant's inbox, idempotently (`ON CONFLICT DO NOTHING` on tenant
 *   and update id), commits, and notifies the owner, who queues it through its user lanes in
 *   order (`UpdateDispatcher.sweep`; a periodic sweep is the safety net for a lost notification).
 *   A value with no usable update id is recorded as rejected, as the owner would record it;
 *   one that fails the Update shape otherwise is recorded pending, and the owner quarantines it.
 * - answers a `pre_checkout_query` itself, at once: Telegram allows 10 s, and the answer only
 *   needs the order (a read, then the order's conditional move to `approved`, which any instance
 *   may make). It is not recorded: an unanswered query is simply asked again.
 *
 * The owner's own webhook updates never come here: the runtime hands them to the running tenant.
 * @module
 */
import { Api } from "grammy";
import type { Clock } from "../kernel/clock.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import type { Database } from "../../money/ports.ts";
import { Inbox } from "../../money/delivery/inbox.ts";
import { checkUpdate } from "../../money/delivery/update_shape.ts";
import { Checkout, type SendPreCheckoutAnswer } from "../../money/payments/checkout.ts";
import { createPaymentParts } from "../../money/payments/parts.ts";
import { botClientOptions } from "../../adapters/telegram/tenant_bot.ts";
import { callDeadlines } from "../../adapters/telegram/call_deadline.ts";
import { tenantPaymentParts } from "../tenant/tenant_build.ts";
import { tenantLogger } from "../../adapters/observability/logging.ts";
import type { PreCheckoutQuery } from "grammy/types";

/** grammY types its signals with its `abort-controller` polyfill; Deno's are the same at runtime. */
type GrammySignal = Parameters<Api["answerPreCheckoutQuery"]>[3];

/** What the relay is made from. */
export interface WebhookRelayOptions {
  db: Database;
  clock: Clock;
  /** Tells the tenant's owner that its inbox has new updates. */
  notifyOwner(tenantId: string): Promise<void>;
}

/** A checkout for a tenant that runs on another instance, with its own Bot API client. */
interface RemoteCheckout {
  config: TenantConfig;
  checkout: Checkout;
  api: Api;
}

/** Records or answers the webhook updates of tenants owned elsewhere; see the module doc. */
export class WebhookRelay {
  readonly #options: WebhookRelayOptions;
  /** One checkout per tenant, rebuilt when its config changes (a reload). */
  readonly #checkouts = new Map<string, RemoteCheckout>();

  constructor(options: WebhookRelayOptions) {
    this.#options = options;
  }

  /** Records (or, for a pre-checkout query, answers) one update; resolves once that is done. */
  async accept(config: TenantConfig, value: unknown): Promise<void> {
    const { db, clock } = this.#options;
    const check = checkUpdate(value);
    if (check.ok && check.update.pre_checkout_query) {
      return await this.#answer(config, check.update.pre_checkout_query);
    }
    const inbox = new Inbox(config.id, clock);
    const updateId = check.ok ? check.update.update_id : check.updateId;
    await db.transaction(async (tx) => {
      if (updateId === undefined) {
        const reason = check.ok ? "no update id" : check.reason;
        await inbox.reject(tx, [{ updateId, reason, payload: value }]);
      } else {
        // Checked by the owner as it queues it (`UpdateDispatcher.sweep`), which quarantines a
        // malformed one with its admins told.
        await inbox.record(tx, [{ ...(value as object), update_id: updateId }]);
      }
    });
    if (updateId !== undefined) await this.#options.notifyOwner(config.id);
  }

  async #answer(config: TenantConfig, query: PreCheckoutQuery): Promise<void> {
    const { checkout, api } = this.#checkoutOf(config);
    const send: SendPreCheckoutAnswer = (answer, signal) =>
      api.answerPreCheckoutQuery(
        query.id,
        answer.ok,
        answer.ok ? undefined : { error_message: answer.errorMessage },
        signal as GrammySignal,
      );
    await checkout.answerPreCheckout(query, await checkout.preCheckout(query), send);
  }

  #checkoutOf(config: TenantConfig): RemoteCheckout {
    const known = this.#checkouts.get(config.id);
    if (known?.config === config) return known;
    const { db, clock } = this.#options;
    const api = new Api(config.token, botClientOptions(config));
    api.config.use(callDeadlines(clock));
    const logger = tenantLogger(config.id).getChild("relay");
    const parts = createPaymentParts(tenantPaymentParts(config, { db, clock, api, logger }));
    const made = { config, checkout: new Checkout(parts), api };
    this.#checkouts.set(config.id, made);
    return made;
  }
}
