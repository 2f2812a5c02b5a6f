/**
 * The login page (one field: the admin token, posted, never in the URL) and the page saying
 * the console is off while `ADMIN_TOKEN` is not set.
 *
 * @module
 */
import { html } from "./html.ts";
import { page } from "./layout.ts";

/** The login form, with what went wrong with the last attempt. */
export function loginPage(problem?: string) {
  return page({
    title: "Log in",
    body: html`<section class="login">
<h1>Operator console</h1>
<form method="post" action="/console/login">
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
  <button type="submit">Log in</button>
</form>
${problem ? html`<p class="problem" role="alert">${problem}</p>` : ""}
<p class="hint">The token is the runtime's <code>ADMIN_TOKEN</code>. It is exchanged for a session
cookie and not kept in the browser.</p>
</section>`,
  });
}

/** What `/console` shows while `ADMIN_TOKEN` is not set. */
export function consoleOffPage() {
  return page({
    title: "Console off",
    body: html`
      <section class="login">
        <h1>The console is off</h1>
        <p>Set <code>ADMIN_TOKEN</code> in the runtime's environment (or <code>.env</code>) and restart it
      to turn the operator console on. Until then no console page, action or data is served.</p>
      </section>
    `,
  });
}
