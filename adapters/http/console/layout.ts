/**
 * The frame of every console page: the navigation, the stylesheet and the one script (both
 * served by the console itself), and the session's CSRF token in a `<meta>` for the script's
 * requests. Pages are complete without the script; it only adds live updates, sorting, charts
 * and confirm steps.
 *
 * @module
 */
import { html, type SafeHtml } from "./html.ts";
import type { Session } from "./sessions.ts";

/** What a page puts in the frame. */
export interface PageParts {
  title: string;
  /** The logged-in session; absent on the login and "console is off" pages. */
  session?: Session;
  /** Whether the page draws charts (then uPlot is loaded). */
  charts?: boolean;
  body: SafeHtml;
}

/** The whole page. */
export function page(parts: PageParts): SafeHtml {
  const { session } = parts;
  const nav = session
    ? html`<nav aria-label="Console">
  <a href="/console">Fleet</a>
  <a href="/console/search">Search</a>
  <form method="post" action="/console/logout" class="inline">
    <input type="hidden" name="csrf" value="${session.csrf}">
    <button type="submit">Log out</button>
  </form>
</nav>`
    : html``;
  return html`
    <!doctype html>
    <html lang="en">
      <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${parts.title} · Constellation console</title>
    <link rel="stylesheet" href="/console/assets/console.css">
    ${parts.charts ? html`<link rel="stylesheet" href="/console/assets/uPlot.min.css">` : ""}
    ${session ? html`<meta name="csrf-token" content="${session.csrf}">` : ""}
      </head>
      <body>
    <header><a class="brand" href="/console">✦ Constellation</a>${nav}</header>
    <main id="main">
    ${parts.body}
    </main>
    ${parts.charts ? html`<script src="/console/assets/uPlot.iife.min.js" defer></script>` : ""}
    ${session ? html`<script src="/console/assets/console.js" defer></script>` : ""}
      </body>
    </html>
  `;
}

/** `ms` as a UTC date and time, `2026-12-02 01:55`; a dash for none. */
export function when(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}
