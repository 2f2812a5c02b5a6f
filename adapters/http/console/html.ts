/**
 * HTML built from templates whose interpolated values are escaped unless marked as already
 * safe: every tenant id, error text and user id that reaches a console page passes through
 * {@linkcode escapeHtml}, so nothing a bot's user sends can become markup.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { html } from "./html.ts";
 *
 * const name = "<b>Ann</b>";
 * const row = html`<td>${name}</td>`;
 * assert.equal(row.value, "<td>&lt;b&gt;Ann&lt;/b&gt;</td>");
 * // A fragment inside another is kept as it is; lists are joined.
 * assert.equal(html`<tr>${[row, row]}</tr>`.value, `<tr>${row.value}${row.value}</tr>`);
 * ```
 * @module
 */

/** Markup that is safe to insert as it is. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** A value a template may interpolate. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | HtmlValue[];

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** `text` with the characters that mean something in HTML (and in attributes) escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

/** A template whose values are escaped; see the module doc. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  values.forEach((value, i) => out += render(value) + strings[i + 1]);
  return new SafeHtml(out);
}

/**
 * Data for the page's script, in a `<script type="application/json">` block that the browser
 * never runs (so the CSP's "no inline scripts" holds). `<` is escaped so the data cannot close
 * the block.
 */
export function jsonBlock(id: string, data: unknown): SafeHtml {
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return html`<script type="application/json" id="${id}">${new SafeHtml(json)}</script>`;
}

/** A table's head row: one column heading per label. */
export function headRow(...labels: string[]): SafeHtml {
  return html`
    <thead>
      <tr>${labels.map((label) => html`<th scope="col">${label}</th>`)}</tr>
    </thead>
  `;
}
