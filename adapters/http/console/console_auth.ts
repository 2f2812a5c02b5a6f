/**
 * Who may use the console, and how: `ADMIN_TOKEN`, typed once on the login page and compared in
 * constant time, is exchanged for a session cookie (`sessions.ts`, `cookies.ts`); failed logins
 * are throttled (`login_throttle.ts`). Every other console request needs a live session: a page
 * redirects to the login page, anything else gets 401. Every state-changing request (a POST)
 * must also come from the console's own pages — its `Origin` (or `Sec-Fetch-Site`) must say
 * so — and carry the session's CSRF token, in the form (`csrf`) or the `X-CSRF-Token` header;
 * otherwise 403 naming what is missing. The token is never put in a URL, a page or a log.
 *
 * @module
 */
import type { Clock } from "../../../actors/kernel/clock.ts";
import { constantTimeEqual } from "../constant_time.ts";
import { sessionCookie, sessionIdOf } from "./cookies.ts";
import { readForm } from "./forms.ts";
import { LoginThrottle } from "./login_throttle.ts";
import { consoleJson, seeOther } from "./security_headers.ts";
import { type Session, SESSION_MAX_MS, SessionStore } from "./sessions.ts";

/** How the console checks its users. */
export interface ConsoleAuthOptions {
  /** `ADMIN_TOKEN`; without it the console is off. */
  adminToken?: string;
  /** True when the console is served over https (`PUBLIC_URL`): the cookie is `Secure`. */
  secure: boolean;
  clock: Clock;
}

/** A POST that passed the checks: its session and its form. */
export interface CheckedPost {
  session: Session;
  form: URLSearchParams;
}

/** What a login attempt led to. */
export type LoginResult =
  | { kind: "logged_in"; response: Response }
  | { kind: "refused"; status: 400 | 401 | 403 | 429; message: string; retryAfterSeconds?: number };

/** The console's gate; see the module doc. */
export class ConsoleAuth {
  readonly #options: ConsoleAuthOptions;
  readonly sessions: SessionStore;
  readonly #throttle: LoginThrottle;

  constructor(options: ConsoleAuthOptions) {
    this.#options = options;
    this.sessions = new SessionStore(options.clock);
    this.#throttle = new LoginThrottle(options.clock);
  }

  /** False while `ADMIN_TOKEN` is not set: the console says it is off. */
  get enabled(): boolean {
    return (this.#options.adminToken ?? "") !== "";
  }

  /** The request's live session, if it has one. */
  sessionOf(request: Request): Session | undefined {
    return this.sessions.find(sessionIdOf(request));
  }

  /** The session of a page request, or a redirect to the login page. */
  pageSession(request: Request): Session | Response {
    return this.sessionOf(request) ?? seeOther("/console/login");
  }

  /** The session of a data request (events, JSON), or 401. */
  dataSession(request: Request): Session | Response {
    return this.sessionOf(request) ??
      consoleJson(401, { error: "log in first: POST /console/login" });
  }

  /** Checks a state-changing request: session, origin, CSRF token; reads its form. */
  async checkPost(request: Request): Promise<CheckedPost | Response> {
    const session = this.sessionOf(request);
    if (!session) return consoleJson(401, { error: "log in first: POST /console/login" });
    const foreign = foreignOrigin(request);
    if (foreign) return consoleJson(403, { error: foreign });
    const form = await readForm(request);
    if (form instanceof Response) return form;
    const token = request.headers.get("x-csrf-token") ?? form.get("csrf");
    if (!this.sessions.csrfMatches(session, token)) {
      return consoleJson(403, {
        error: "missing or wrong CSRF token: send the page's token as csrf or X-CSRF-Token",
      });
    }
    return { session, form };
  }

  /** A login attempt from `address` (the client's IP). */
  async login(request: Request, address: string): Promise<LoginResult> {
    const foreign = foreignOrigin(request);
    if (foreign) return { kind: "refused", status: 403, message: foreign };
    const waitMs = this.#throttle.retryAfterMs(address);
    if (waitMs > 0) {
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      return {
        kind: "refused",
        status: 429,
        message: `Too many failed logins; try again in ${retryAfterSeconds} s.`,
        retryAfterSeconds,
      };
    }
    const form = await readForm(request);
    if (form instanceof Response) {
      return { kind: "refused", status: 400, message: "The login form could not be read." };
    }
    const token = form.get("token") ?? "";
    if (token === "") return { kind: "refused", status: 400, message: "Enter the admin token." };
    if (!constantTimeEqual(token, this.#options.adminToken ?? "")) {
      this.#throttle.failed(address);
      return { kind: "refused", status: 401, message: "Wrong admin token." };
    }
    this.#throttle.succeeded(address);
    const session = this.sessions.create();
    const cookie = sessionCookie(session.id, {
      secure: this.#options.secure,
      maxAgeSeconds: SESSION_MAX_MS / 1000,
    });
    return { kind: "logged_in", response: seeOther("/console", { "set-cookie": cookie }) };
  }

  /** Ends the session and deletes the cookie. */
  logout(session: Session): Response {
    this.sessions.end(session.id);
    const cookie = sessionCookie("", { secure: this.#options.secure, maxAgeSeconds: 0 });
    return seeOther("/console/login", { "set-cookie": cookie });
  }
}

/**
 * Why a POST does not come from the console's own pages, or undefined when it does. Browsers
 * send `Origin` with every POST and `Sec-Fetch-Site` with most; a request with neither comes
 * from a program, which the CSRF token still has to satisfy.
 */
function foreignOrigin(request: Request): string | undefined {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return `cross-site request refused (Sec-Fetch-Site: ${site})`;
  }
  const origin = request.headers.get("origin");
  if (origin === null) return undefined;
  const host = request.headers.get("host") ?? new URL(request.url).host;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return "cross-site request refused: malformed Origin";
  }
  return originHost === host ? undefined : "cross-site request refused: Origin is another site";
}
