/**
 * The page of one tenant: its revenue per day (chart) and by product, recent payments with a
 * copyable charge id and a Refund button (a confirm step, then the true outcome), subscribers,
 * the bot's own Stars with their source and age, dead letters with retry and discard, its config
 * without secrets, and a live tail of its logs. Each action is a plain form carrying the CSRF
 * token, so it works without the script too; the script adds the confirm step and live updates.
 *
 * @module
 */
import type { ListedPayment } from "../../../money/reports/payment_list.ts";
import { headRow, html, jsonBlock, type SafeHtml } from "./html.ts";
import { page, when } from "./layout.ts";
import type { Session } from "./sessions.ts";
import type { TenantView } from "./tenant_data.ts";

/** One payment row; also rendered by the script from the live data, in the same shape. */
function paymentRow(tenantId: string, payment: ListedPayment, csrf: string): SafeHtml {
  const refundable = payment.refundedAt === null;
  return html`
    <tr data-charge="${payment.chargeId}">
      <td>${when(payment.paidAt)}</td>
      <td>${payment.userId}</td>
      <td>${payment.productId ?? "—"}</td>
      <td>${payment.amount}</td>
      <td>${payment.kind}</td>
      <td class="charge"><code>${payment.chargeId}</code>
    <button type="button" class="copy" data-copy="${payment
      .chargeId}" aria-label="Copy charge id">Copy</button></td>
      <td class="refund-cell">${refundable
        ? html`
          <form method="post" action="/console/tenants/${encodeURIComponent(
            tenantId,
          )}/refunds" class="refund">
            <input type="hidden" name="csrf" value="${csrf}">
            <input type="hidden" name="chargeId" value="${payment.chargeId}">
            <button type="submit" data-amount="${payment.amount}">Refund</button>
          </form>
        `
        : html`<span class="refunded">refunded ${when(payment.refundedAt)}</span>`}</td>
    </tr>
  `;
}

function balanceOf(view: TenantView): SafeHtml {
  const balance = view.balance;
  if ("error" in balance) return html`<p class="problem">Not available: ${balance.error}</p>`;
  const age = Math.round(balance.ageMs / 1000);
  return html`<p><strong class="stars">${balance.amount}</strong> ★ · from
<code>${balance.source}</code> · ${age} s old${
    balance.stale
      ? html`
        · <em>stale</em>
      `
      : ""
  }</p>`;
}

function deadLetterRows(view: TenantView, csrf: string): SafeHtml {
  if (view.deadLetters.length === 0) return html`<p>None.</p>`;
  const base = `/console/tenants/${encodeURIComponent(view.report.id)}/dead-letters`;
  return html`
    <div class="scroll">
      <table>
        ${headRow("Update", "Kind", "Attempts", "Error", "Set aside", "Action")}
        <tbody>${view.deadLetters.map((letter) =>
          html`
            <tr>
              <td>${letter.updateId}</td>
              <td>${letter.kind}${letter.payment ? " 💰" : ""}</td>
              <td>${letter.attempts}</td>
              <td class="error">${letter.error}</td>
              <td>${when(letter.deadAt)}</td>
              <td>
                <form method="post" action="${base}/${letter.updateId}/retry" class="inline">
            <input type="hidden" name="csrf" value="${csrf}"><button type="submit">Retry</button></form>
                <form method="post" action="${base}/${letter
                  .updateId}/discard" class="inline confirm"
                  data-confirm="Discard dead letter ${letter.updateId} for good?">
            <input type="hidden" name="csrf" value="${csrf}"><button type="submit">Discard</button></form>
              </td>
            </tr>
          `
        )}</tbody>
      </table>
    </div>
  `;
}

function configOf(view: TenantView): SafeHtml {
  const summary = view.summary;
  if (!summary) return html`<p>No valid config: ${view.report.configError ?? "—"}</p>`;
  return html`
    <dl class="config">
      <dt>File</dt>
      <dd><code>${summary.source}</code></dd>
      <dt>Updates</dt>
      <dd>${summary.updates}</dd>
      <dt>Bot API</dt>
      <dd><code>${summary.apiRoot}</code>${summary.testEnvironment ? " (test)" : ""}</dd>
      <dt>Locale</dt>
      <dd>${summary.locale}</dd>
      <dt>Admins</dt>
      <dd>${summary.admins.join(", ") || "—"}</dd>
      <dt>Sells for Stars</dt>
      <dd>${summary.starsEnabled ? "yes" : "no"}</dd>
      <dt>Balance via MTProto</dt>
      <dd>${summary.mtproto ? "yes" : "no"}</dd>
      <dt>Plugin</dt>
      <dd>${summary.plugin ?? "—"}</dd>
      <dt>Products</dt>
      <dd>
        <ul>${summary.products.map((product) =>
          html`<li><code>${product.id}</code> ${product.kind}: ${product.title} · ${product.price} ★${
            product.enabled ? "" : " (off)"
          }</li>`
        )}</ul>
      </dd>
    </dl>
  `;
}

/** The tenant page. */
export function tenantPage(session: Session, view: TenantView) {
  const { report } = view;
  return page({
    title: report.id,
    session,
    charts: true,
    body: html`
      <h1 data-tenant="${report.id}">${report.id}
      <span class="state state-${report.state}">${report.state}</span></h1>
      <p>${report.updates} · restarts ${report.restarts} · last update ${when(
        report.lastUpdateAt,
      )}</p>
      ${report.lastError ? html`<p class="problem">Last error: ${report.lastError}</p>` : ""}
      <div class="grid">
        <section aria-labelledby="revenue-title">
      <h2 id="revenue-title">Revenue per day</h2>
      <div class="chart" id="revenue-chart" role="img" aria-label="Stars earned per day"></div>
      ${jsonBlock("chart-data", view.chart)}
      <h3>By product, 30 days</h3>
      <table>${headRow("Product", "Payments", "★ earned", "Refunded")}
      <tbody>${view.products.map((product) =>
        html`
          <tr>
            <td>${product.productId ?? "—"}</td>
            <td>${product.payments}</td>
            <td>${product.stars}</td>
            <td>${product.refunded}</td>
          </tr>
        `
      )}</tbody></table>
        </section>
        <section aria-labelledby="balance-title">
      <h2 id="balance-title">The bot's Stars</h2>
      ${balanceOf(view)}
      <h2>Config</h2>
      ${configOf(view)}
        </section>
      </div>
      <section aria-labelledby="payments-title">
        <h2 id="payments-title">Recent payments</h2>
        <p class="outcome" id="refund-outcome" role="status" aria-live="polite"></p>
        <div class="scroll">
          <table id="payments" data-tenant="${report.id}">
            ${headRow("Paid", "Buyer", "Product", "★", "Kind", "Charge id", "Refund")}
            <tbody>${view.payments.map((payment) =>
              paymentRow(report.id, payment, session.csrf)
            )}</tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="subscribers-title">
      <h2 id="subscribers-title">Subscribers</h2>
      ${view.subscribers.length === 0 ? html`<p>None.</p>` : html`
        <div class="scroll">
          <table>
            ${headRow("User", "Product", "State", "Until", "Renews")}
            <tbody>${view.subscribers.map((one) =>
              html`
                <tr>
                  <td>${one.userId}</td>
                  <td>${one.productId}</td>
                  <td>${one.state}</td>
                  <td>${when(one.expiresAt)}</td>
                  <td>${one.renewalCanceled ? "no" : "yes"}</td>
                </tr>
              `
            )}</tbody>
          </table>
        </div>
      `}
      </section>
      <section aria-labelledby="dead-title">
      <h2 id="dead-title">Dead letters</h2>
      ${deadLetterRows(view, session.csrf)}
      </section>
      <section aria-labelledby="logs-title">
        <h2 id="logs-title">Log tail <span class="live" id="log-live"></span></h2>
        <pre id="log-tail" tabindex="0" aria-label="Latest log lines">${view.logs.map((line) =>
          line.text + "\n"
        )}</pre>
      </section>
    `,
  });
}

/** The page shown after a refund posted without the script. */
export function refundResultPage(session: Session, tenantId: string, message: string) {
  return page({
    title: "Refund",
    session,
    body: html`
      <h1>Refund</h1>
      <p role="status">${message}</p>
      <p><a href="/console/tenants/${encodeURIComponent(tenantId)}">Back to ${tenantId}</a></p>
    `,
  });
}
