/**
 * The fleet as the console shows it: one row per tenant — its state and update mode from the
 * runtime, its earnings and refunds from the payments, its updates in the last minute from the
 * inbox, its outbox backlog and dead letters — and the 30-day revenue chart across tenants.
 * Every text that may quote an error is redacted here, before any page or event sees it.
 *
 * @module
 */
import { DAY_MS, dayOf, revenueByDay, revenueTotals } from "../../../money/reports/revenue.ts";
import { updatesReceivedSince } from "../../../money/reports/activity.ts";
import type { ConsoleSources } from "./console_sources.ts";

/** One tenant's row of the fleet table. */
export interface FleetRow {
  readonly id: string;
  readonly state: string;
  readonly updates: string;
  /** The instance serving it, when several share the database. */
  readonly owner: string | null;
  readonly updatesPerMinute: number;
  readonly today: number;
  readonly week: number;
  readonly month: number;
  readonly refunds: number;
  /** Outbox items not yet sent; null while the tenant is not running. */
  readonly outbox: number | null;
  readonly deadLetters: number;
  readonly lastError: string | null;
}

/** The fleet's revenue chart: one value per day and tenant, for uPlot. */
export interface FleetChart {
  /** The days' starts, in seconds since the epoch (uPlot's x axis). */
  readonly days: number[];
  readonly series: { tenantId: string; stars: number[] }[];
}

/** Days the revenue charts cover. */
export const CHART_DAYS = 30;

/** Every tenant's row, in the runtime's order (by id). */
export async function fleetRows(sources: ConsoleSources): Promise<FleetRow[]> {
  const now = sources.clock.now();
  const [totals, letters, perMinute] = await Promise.all([
    revenueTotals(sources.db, now),
    sources.deadLetters.deadLetters(),
    updatesReceivedSince(sources.db, now - 60_000),
  ]);
  const byTenant = new Map(totals.map((total) => [total.tenantId, total]));
  const reports = sources.runtime.tenants();
  return await Promise.all(reports.map(async (report) => {
    const total = byTenant.get(report.id);
    const error = report.configError ?? report.lastError;
    return {
      id: report.id,
      state: report.state,
      updates: report.updates,
      owner: report.owner ?? null,
      updatesPerMinute: perMinute.get(report.id) ?? 0,
      today: total?.today ?? 0,
      week: total?.week ?? 0,
      month: total?.month ?? 0,
      refunds: total?.refunds ?? 0,
      outbox: (await sources.operator.outboxBacklog(report.id)) ?? null,
      deadLetters: letters.filter((letter) => letter.tenantId === report.id).length,
      lastError: error === undefined ? null : sources.redact(error),
    };
  }));
}

/** The days of a chart ending today, as uPlot's x values (seconds). */
export function chartDays(now: number, days = CHART_DAYS): number[] {
  const first = dayOf(now) - days + 1;
  return Array.from({ length: days }, (_, i) => ((first + i) * DAY_MS) / 1000);
}

/** Tenants drawn apart in the fleet chart; the rest are summed as one line, "others". */
export const CHART_TENANTS = 8;

/**
 * The fleet's chart: the {@linkcode CHART_TENANTS} tenants that earned most over 30 days, one
 * line each, and the others summed — more lines than that cannot be told apart.
 */
export async function fleetChart(
  sources: ConsoleSources,
  rows: readonly FleetRow[],
): Promise<FleetChart> {
  const ranked = [...rows].sort((a, b) => b.month - a.month || a.id.localeCompare(b.id));
  const shown = ranked.slice(0, CHART_TENANTS).map((row) => row.id);
  const chart = await revenueChart(sources, ranked.map((row) => row.id));
  if (ranked.length <= CHART_TENANTS) return chart;
  const kept = chart.series.filter((one) => shown.includes(one.tenantId));
  const others = chart.days.map((_, day) =>
    chart.series.reduce((sum, one) => shown.includes(one.tenantId) ? sum : sum + one.stars[day], 0)
  );
  return { days: chart.days, series: [...kept, { tenantId: "others", stars: others }] };
}

/** Stars per day over {@linkcode CHART_DAYS} days, one series per tenant (or only `tenantId`). */
export async function revenueChart(
  sources: ConsoleSources,
  tenantIds: readonly string[],
): Promise<FleetChart> {
  const now = sources.clock.now();
  const days = chartDays(now);
  const first = dayOf(now) - CHART_DAYS + 1;
  const rows = await revenueByDay(sources.db, {
    now,
    days: CHART_DAYS,
    tenantId: tenantIds.length === 1 ? tenantIds[0] : undefined,
  });
  const series = tenantIds.map((tenantId) => ({ tenantId, stars: days.map(() => 0) }));
  const index = new Map(series.map((one) => [one.tenantId, one.stars]));
  for (const row of rows) {
    const stars = index.get(row.tenantId);
    if (stars) stars[row.day - first] += row.stars;
  }
  return { days, series };
}
