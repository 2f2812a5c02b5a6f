/**
 * Everything the tenant page shows, read at once: its report, the recent payments, revenue by
 * product, subscribers, the bot's Stars balance, dead letters, the config summary and the log
 * tail. Error texts are redacted here.
 *
 * @module
 */
import { type ListedPayment, recentPayments } from "../../../money/reports/payment_list.ts";
import { type ProductRevenue, revenueByProduct } from "../../../money/reports/revenue.ts";
import { type Subscriber, subscribersOf } from "../../../money/reports/subscribers.ts";
import { DAY_MS } from "../../../money/reports/revenue.ts";
import type { StarBalance } from "../../../money/bot_stars/types.ts";
import type { TailLine } from "../../observability/log_tail.ts";
import type { TenantReport, TenantSummary } from "../runtime_view.ts";
import type { ConsoleSources } from "./console_sources.ts";
import { CHART_DAYS, type FleetChart, revenueChart } from "./fleet_data.ts";

/** Payments listed on the tenant page. */
export const RECENT_PAYMENTS = 50;

/** A dead letter as the page lists it. */
export interface ListedDeadLetter {
  readonly updateId: number;
  readonly kind: string;
  readonly payment: boolean;
  readonly attempts: number;
  readonly error: string;
  readonly deadAt: number;
}

/** The tenant page's data. */
export interface TenantView {
  readonly report: TenantReport;
  readonly summary?: TenantSummary;
  readonly payments: ListedPayment[];
  readonly products: ProductRevenue[];
  readonly subscribers: Subscriber[];
  readonly balance: StarBalance | { error: string };
  readonly deadLetters: ListedDeadLetter[];
  readonly chart: FleetChart;
  readonly logs: TailLine[];
}

/** The tenant's recent payments (also what the live view refreshes). */
export function tenantPayments(sources: ConsoleSources, tenantId: string) {
  return recentPayments(sources.db, tenantId, RECENT_PAYMENTS);
}

/** Reads the tenant page's data; undefined for an unknown tenant. */
export async function tenantView(
  sources: ConsoleSources,
  tenantId: string,
): Promise<TenantView | undefined> {
  const report = sources.runtime.tenants().find((tenant) => tenant.id === tenantId);
  if (!report) return undefined;
  const since = sources.clock.now() - CHART_DAYS * DAY_MS;
  const [payments, products, subscribers, balance, letters, chart] = await Promise.all([
    tenantPayments(sources, tenantId),
    revenueByProduct(sources.db, tenantId, since),
    subscribersOf(sources.db, tenantId),
    sources.operator.starsBalance(tenantId),
    sources.deadLetters.deadLetters(),
    revenueChart(sources, [tenantId]),
  ]);
  const error = report.lastError ?? report.configError;
  const redacted = (text: string | undefined) =>
    text === undefined ? undefined : sources.redact(text);
  return {
    report: { ...report, lastError: redacted(error), configError: redacted(report.configError) },
    summary: sources.operator.tenantSummary(tenantId),
    payments,
    products,
    subscribers,
    balance: "error" in balance ? { error: sources.redact(balance.error) } : balance,
    deadLetters: letters.filter((letter) => letter.tenantId === tenantId).map((letter) => ({
      updateId: letter.updateId,
      kind: letter.kind,
      payment: letter.movesMoney,
      attempts: letter.attempts,
      error: sources.redact(letter.error),
      deadAt: letter.deadAt,
    })),
    chart,
    logs: sources.logs.lines(tenantId),
  };
}
