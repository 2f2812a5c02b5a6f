// The console's one script: live updates over server-sent events, sorting and filtering of the
// fleet, uPlot charts, the refund confirm step, copy buttons and the log tail. Every page works
// without it; it is served by the runtime itself, as the CSP allows no inline script.
(() => {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
  const el = (tag, attributes = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  };
  const when = (ms) =>
    ms === null || ms === undefined
      ? "—"
      : new Date(ms).toISOString().slice(0, 16).replace("T", " ");

  // Charts: Stars per day, one line per tenant.
  const palette = ["#4f7cff", "#ff8a3d", "#2bb673", "#d64545", "#9b59b6", "#14a3b8", "#c9a400"];
  let chart;
  function drawChart(data) {
    const box = $("#revenue-chart");
    if (!box || typeof uPlot === "undefined") return;
    const series = [{}].concat(data.series.map((one, i) => ({
      label: one.tenantId,
      stroke: palette[i % palette.length],
      width: 2,
      points: { show: true, size: 4 },
    })));
    const values = [data.days].concat(data.series.map((one) => one.stars));
    const width = Math.max(280, box.clientWidth);
    // The same lines: new values only. Other lines (the ranking changed): drawn anew.
    const labels = data.series.map((one) => one.tenantId).join("\n");
    if (chart && chart.labels === labels) {
      chart.setData(values);
      return;
    }
    chart?.destroy();
    chart = new uPlot(
      {
        width,
        height: 220,
        series,
        scales: { x: { time: true } },
        axes: [{}, { label: "★", size: 50 }],
      },
      values,
      box,
    );
    chart.labels = labels;
    box.dataset.drawn = "true";
  }
  const chartData = $("#chart-data");
  if (chartData) {
    const draw = () => drawChart(JSON.parse(chartData.textContent));
    if (document.readyState === "complete") draw();
    else addEventListener("load", draw);
    addEventListener("resize", () => {
      const box = $("#revenue-chart");
      if (chart && box) chart.setSize({ width: Math.max(280, box.clientWidth), height: 220 });
    });
  }

  // The fleet table: sorting, filtering, live rows.
  const fleet = $("#fleet");
  if (fleet) {
    const columns = $$("thead th", fleet).map((th) => ({
      field: th.dataset.field,
      numeric: th.hasAttribute("data-numeric"),
      th,
    }));
    let rows = null; // the latest live rows; null until the first event
    let sortBy = null;
    let descending = false;
    const filter = $("#fleet-filter");
    const cell = (row, field) => {
      const value = row[field];
      if (field === "id") {
        return el(
          "td",
          { "data-field": "id" },
          el("a", {
            href: `/console/tenants/${encodeURIComponent(row.id)}`,
          }, row.id),
        );
      }
      if (field === "state") {
        return el(
          "td",
          { "data-field": "state" },
          el("span", {
            class: `state state-${row.state}`,
          }, row.state),
        );
      }
      return el("td", { "data-field": field }, value === null ? "—" : String(value));
    };
    const render = () => {
      const tbody = $("tbody", fleet);
      if (rows) {
        tbody.replaceChildren(
          ...rows.map((row) =>
            el("tr", { "data-tenant": row.id }, ...columns.map((c) => cell(row, c.field)))
          ),
        );
        for (const field of ["today", "week", "month"]) {
          const total = $(`#total-${field}`);
          if (total) total.textContent = rows.reduce((sum, row) => sum + row[field], 0);
        }
      }
      const text = (filter?.value ?? "").trim().toLowerCase();
      const trs = $$("tr", tbody);
      for (const tr of trs) tr.hidden = text !== "" && !tr.textContent.toLowerCase().includes(text);
      if (sortBy) {
        const index = columns.findIndex((c) => c.field === sortBy.field);
        const key = (tr) => tr.children[index].textContent;
        trs.sort((a, b) => {
          const order = sortBy.numeric
            ? (Number(key(a)) || 0) - (Number(key(b)) || 0)
            : key(a).localeCompare(key(b));
          return descending ? -order : order;
        });
        tbody.append(...trs);
      }
    };
    for (const column of columns) {
      $("button", column.th).addEventListener("click", () => {
        descending = sortBy === column ? !descending : column.numeric;
        sortBy = column;
        for (const c of columns) c.th.removeAttribute("aria-sort");
        column.th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        render();
      });
    }
    filter?.addEventListener("input", render);
    const events = new EventSource("/console/events");
    events.addEventListener("fleet", (event) => {
      rows = JSON.parse(event.data);
      const live = $("#live");
      if (live) live.textContent = `${rows.length} tenants · live`;
      render();
    });
    events.addEventListener("chart", (event) => drawChart(JSON.parse(event.data)));
  }

  // Copy buttons.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest?.("button.copy");
    if (!button) return;
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = "Copied";
    } catch {
      // Without clipboard access (plain http), select the text for Ctrl+C instead.
      const code = button.previousElementSibling;
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      button.textContent = "Selected";
    }
    setTimeout(() => (button.textContent = "Copy"), 1500);
  });

  // Refunds: a confirm step, one request, and the true outcome.
  const outcome = $("#refund-outcome");
  let deferredPayments = null; // live rows that arrived while a refund was being confirmed
  const busy = () => $$("form.refund[data-step]").length > 0;
  function resetRefund(form) {
    delete form.dataset.step;
    $$(".confirm-step", form).forEach((node) => node.remove());
    $("button[type=submit]", form).hidden = false;
    if (!busy() && deferredPayments) renderPayments(deferredPayments);
  }
  async function sendRefund(form) {
    form.dataset.step = "sending";
    $$("button", form).forEach((button) => (button.disabled = true));
    const chargeId = $("input[name=chargeId]", form).value;
    let message;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
          "x-csrf-token": csrf,
        },
        body: new URLSearchParams({ chargeId }),
      });
      const answer = await response.json();
      message = answer.message ?? answer.error;
      if (answer.refunded) {
        form.replaceWith(el("span", { class: "refunded" }, "refunded"));
      }
    } catch (error) {
      message = `The console could not be reached: ${error.message}`;
    }
    outcome.textContent = `${chargeId}: ${message}`;
    outcome.focus?.();
    if (form.isConnected) {
      $$("button", form).forEach((button) => (button.disabled = false));
      resetRefund(form);
    } else if (!busy() && deferredPayments) renderPayments(deferredPayments);
  }
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("form.refund")) {
      event.preventDefault();
      if (form.dataset.step) return;
      form.dataset.step = "confirm";
      const submit = $("button[type=submit]", form);
      submit.hidden = true;
      const confirm = el(
        "button",
        { type: "button", class: "confirm-step danger" },
        `Confirm refund of ${submit.dataset.amount} ★`,
      );
      const cancel = el("button", { type: "button", class: "confirm-step" }, "Cancel");
      confirm.addEventListener("click", () => {
        if (form.dataset.step === "confirm") void sendRefund(form);
      });
      cancel.addEventListener("click", () => {
        resetRefund(form);
        submit.focus();
      });
      form.addEventListener("keydown", (key) => {
        if (key.key === "Escape" && form.dataset.step === "confirm") cancel.click();
      });
      form.append(confirm, cancel);
      confirm.focus();
    } else if (form.matches("form.confirm") && form.dataset.confirmed !== "yes") {
      event.preventDefault();
      form.dataset.confirmed = "yes";
      const button = $("button[type=submit]", form);
      button.textContent = form.dataset.confirm ?? "Sure?";
      button.focus();
    }
  });

  // The tenant page, live: payments, chart, log tail.
  const payments = $("#payments");
  function renderPayments(list) {
    if (busy()) {
      deferredPayments = list;
      return;
    }
    deferredPayments = null;
    const tenant = payments.dataset.tenant;
    const tbody = $("tbody", payments);
    tbody.replaceChildren(...list.map((payment) => {
      const refund = payment.refundedAt === null
        ? el(
          "form",
          {
            method: "post",
            action: `/console/tenants/${encodeURIComponent(tenant)}/refunds`,
            class: "refund",
          },
          el("input", { type: "hidden", name: "csrf", value: csrf }),
          el("input", { type: "hidden", name: "chargeId", value: payment.chargeId }),
          el("button", { type: "submit", "data-amount": payment.amount }, "Refund"),
        )
        : el("span", { class: "refunded" }, `refunded ${when(payment.refundedAt)}`);
      return el(
        "tr",
        { "data-charge": payment.chargeId },
        el("td", {}, when(payment.paidAt)),
        el("td", {}, String(payment.userId)),
        el("td", {}, payment.productId ?? "—"),
        el("td", {}, String(payment.amount)),
        el("td", {}, payment.kind),
        el(
          "td",
          { class: "charge" },
          el("code", {}, payment.chargeId),
          " ",
          el("button", {
            type: "button",
            class: "copy",
            "data-copy": payment.chargeId,
            "aria-label": "Copy charge id",
          }, "Copy"),
        ),
        el("td", { class: "refund-cell" }, refund),
      );
    }));
  }
  if (payments) {
    const tail = $("#log-tail");
    const events = new EventSource(
      `/console/tenants/${encodeURIComponent(payments.dataset.tenant)}/events`,
    );
    let first = true;
    events.addEventListener("payments", (event) => {
      // The first event repeats what the page was served with.
      if (first) {
        first = false;
        return;
      }
      renderPayments(JSON.parse(event.data));
    });
    events.addEventListener("chart", (event) => drawChart(JSON.parse(event.data)));
    events.addEventListener("log", (event) => {
      const line = JSON.parse(event.data);
      const atBottom = tail.scrollTop + tail.clientHeight >= tail.scrollHeight - 4;
      tail.append(line.text + "\n");
      while (tail.childNodes.length > 500) tail.firstChild.remove();
      if (atBottom) tail.scrollTop = tail.scrollHeight;
      const live = $("#log-live");
      if (live) live.textContent = "live";
    });
  }
})();
