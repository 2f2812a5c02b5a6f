/**
 * The fleet page: every tenant with its state, update mode, owner (when several instances
 * run), updates a minute, Stars earned today / 7 days / 30 days, refunds, outbox backlog, dead
 * letters and last error, and the 30-day revenue chart across tenants. The table is complete as
 * served; the script makes it live (`/console/events`), sortable and filterable.
 *
 * @module
 */
import { html, jsonBlock, type SafeHtml } from "./html.ts";
import { page } from "./layout.ts";
import type { FleetChart, FleetRow } from "./fleet_data.ts";
import type { Session } from "./sessions.ts";

/** The columns: the row field, the heading, and whether it is a number (sorted as one). */
export const FLEET_COLUMNS: readonly { field: keyof FleetRow; label: string; numeric: boolean }[] =
  [
    { field: "id", label: "Tenant", numeric: false },
    { field: "state", label: "State", numeric: false },
    { field: "updates", label: "Updates", numeric: false },
    { field: "owner", label: "Instance", numeric: false },
    { field: "updatesPerMinute", label: "Upd/min", numeric: true },
    { field: "today", label: "Today ★", numeric: true },
    { field: "week", label: "7 days ★", numeric: true },
    { field: "month", label: "30 days ★", numeric: true },
    { field: "refunds", label: "Refunds", numeric: true },
    { field: "outbox", label: "Outbox", numeric: true },
    { field: "deadLetters", label: "Dead letters", numeric: true },
    { field: "lastError", label: "Last error", numeric: false },
  ];

function cell(row: FleetRow, field: keyof FleetRow): SafeHtml {
  const value = row[field];
  if (field === "id") {
    return html`<td data-field="id"><a href="/console/tenants/${
      encodeURIComponent(row.id)
    }">${row.id}</a></td>`;
  }
  if (field === "state") {
    return html`<td data-field="state"><span class="state state-${row.state}">${row.state}</span></td>`;
  }
  return html`<td data-field="${field}">${value ?? "—"}</td>`;
}

/** The fleet page. */
export function fleetPage(session: Session, rows: readonly FleetRow[], chart: FleetChart) {
  const columns = FLEET_COLUMNS.filter((column) =>
    column.field !== "owner" || rows.some((row) => row.owner !== null)
  );
  const total = (field: "today" | "week" | "month") =>
    rows.reduce((sum, row) => sum + row[field], 0);
  return page({
    title: "Fleet",
    session,
    charts: true,
    body: html`
      <h1>Fleet <span class="live" id="live" aria-live="polite">${rows.length} tenants</span></h1>
      <p class="totals">Earned today <strong id="total-today">${total("today")}</strong> ★ ·
      7 days <strong id="total-week">${total("week")}</strong> ★ ·
      30 days <strong id="total-month">${total("month")}</strong> ★</p>
      <section aria-labelledby="chart-title">
      <h2 id="chart-title">Revenue, last 30 days</h2>
      <div class="chart" id="revenue-chart" role="img" aria-label="Stars earned per day, per tenant"></div>
      ${jsonBlock("chart-data", chart)}
      </section>
      <section aria-labelledby="tenants-title">
        <h2 id="tenants-title">Tenants</h2>
        <label
          class="filter">Filter <input id="fleet-filter" type="search" placeholder="tenant, state, error"></label>
        <div class="scroll">
          <table id="fleet" class="sortable">
            <thead>
              <tr>${columns.map((column) =>
                html`
                  <th scope="col" data-field="${column.field}"
                    ${column.numeric
                      ? html`
                        data-numeric
                      `
                      : ""}><button type="button" class="sort">${column.label}</button></th>
                `
              )}</tr>
            </thead>
            <tbody>${rows.map((row) =>
              html`<tr data-tenant="${row.id}">${
                columns.map((column) => cell(row, column.field))
              }</tr>`
            )}</tbody>
          </table>
        </div>
      </section>
    `,
  });
}
