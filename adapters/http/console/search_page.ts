/**
 * Search across tenants: a payment by its charge id, or a buyer's payments by user id. The
 * query goes in the URL (`?q=`): charge ids and user ids are not secrets.
 *
 * @module
 */
import type { ListedPayment } from "../../../money/reports/payment_list.ts";
import { headRow, html } from "./html.ts";
import { page, when } from "./layout.ts";
import type { Session } from "./sessions.ts";

/** The search page, with the results of `query` when there is one. */
export function searchPage(
  session: Session,
  query: string,
  results: readonly ListedPayment[] | undefined,
) {
  return page({
    title: "Search",
    session,
    body: html`<h1>Search</h1>
<form method="get" action="/console/search" role="search">
  <label for="q">Charge id or buyer's user id</label>
  <input id="q" name="q" value="${query}" required maxlength="200">
  <button type="submit">Search</button>
</form>
${
      results === undefined
        ? ""
        : results.length === 0
        ? html`<p role="status">Nothing found for <code>${query}</code>.</p>`
        : html`
          <p role="status">${results.length} payment${results.length === 1 ? "" : "s"}.</p>
          <div class="scroll">
            <table id="results">
              ${headRow("Tenant", "Paid", "Buyer", "Product", "★", "Charge id", "Refunded")}
              <tbody>${results.map((payment) =>
                html`
                  <tr>
                    <td><a href="/console/tenants/${encodeURIComponent(payment.tenantId)}">${payment
                      .tenantId}</a></td>
                    <td>${when(payment.paidAt)}</td>
                    <td>${payment.userId}</td>
                    <td>${payment.productId ?? "—"}</td>
                    <td>${payment.amount}</td>
                    <td><code>${payment.chargeId}</code></td>
                    <td>${when(payment.refundedAt)}</td>
                  </tr>
                `
              )}</tbody>
            </table>
          </div>
        `
    }`,
  });
}
