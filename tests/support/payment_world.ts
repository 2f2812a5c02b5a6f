/**
 * The parts a tenant gives its payment services, assembled as the tenant assembles them, for
 * tests that run the real services (the payment fixture with a recording Bot API, the handler
 * harness with the sandbox's).
 *
 * @example
 * ```ts ignore
 * const options = paymentServicesOptions({ tenant, db, clock, api: bot.api });
 * const payments = createPaymentServices(options);
 * ```
 * @module
 */
import type { Clock } from "../../actors/kernel/clock.ts";
import { Ledger } from "../../money/stores/ledger.ts";
import { Outbox } from "../../money/delivery/outbox.ts";
import type { PaymentsApi } from "../../money/payments/bot_api.ts";
import type { PaymentServicesOptions } from "../../money/payments/services.ts";
import type { Database } from "../../money/ports.ts";
import { Texts } from "../../adapters/telegram/texts.ts";
import { tenantLogger } from "../../adapters/observability/logging.ts";
import { redactTokens } from "../../adapters/observability/redact.ts";
import { readBotApiFailure } from "../../adapters/telegram/bot_api_failure.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";

/** What a test decides; the rest follows from the tenant. */
export interface PaymentWorldParts {
  tenant: TenantConfig;
  db: Database;
  clock: Clock;
  api: PaymentsApi;
}

/**
 * The service options over `db`, `clock` and `api`, with the tenant's own ledger, outbox and
 * texts, the tenant's payments logger and no `onCommitted` (callers add them where a test looks).
 *
 * @example
 * ```ts ignore
 * const options = paymentServicesOptions({ tenant, db, clock, api: new FakePaymentsApi() });
 * await options.ledger.balance(db, 7); // 0
 * ```
 */
export function paymentServicesOptions(
  parts: PaymentWorldParts,
): PaymentServicesOptions & { texts: Texts } {
  const { tenant, clock } = parts;
  return {
    ...parts,
    ledger: new Ledger(tenant.id, clock),
    outbox: new Outbox(tenant.id, clock, redactTokens),
    texts: new Texts(tenant.texts, tenant.locale),
    logger: tenantLogger(tenant.id).getChild("payments"),
    redact: redactTokens,
    readFailure: readBotApiFailure,
  };
}
