/**
 * The operator console, on the runtime's HTTP port under `/console`:
 *
 * | route                                                        | what                             |
 * | ------------------------------------------------------------ | -------------------------------- |
 * | `GET /console`                                               | the fleet                        |
 * | `GET /console/events`                                        | the fleet, live (SSE)            |
 * | `GET /console/tenants/<id>`                                  | one tenant                       |
 * | `GET /console/tenants/<id>/events`                           | its payments and logs, live      |
 * | `POST /console/tenants/<id>/refunds` `chargeId`              | refund (JSON or a result page)   |
 * | `POST /console/tenants/<id>/dead-letters/<update>/retry`     | run a dead letter again          |
 * | `POST /console/tenants/<id>/dead-letters/<update>/discard`   | forget it                        |
 * | `GET /console/search?q=`                                     | payment by charge id, buyer      |
 * | `GET /console/login`, `POST /console/login`, `POST /console/logout` | the session          |
 * | `GET /console/assets/<file>`                                 | script, styles, uPlot            |
 *
 * Every route but the login page and its stylesheet needs a session (`console_auth.ts`); every
 * POST also its CSRF token. Without `ADMIN_TOKEN` every route answers 404 and `/console` says
 * the console is off. Answers carry the security headers of `security_headers.ts`.
 *
 * @module
 */
import type { Route, RouteContext } from "../routes.ts";
import { assetResponse, PUBLIC_ASSETS } from "./assets.ts";
import { ConsoleAuth } from "./console_auth.ts";
import type { ConsoleSources } from "./console_sources.ts";
import { eventStream } from "./event_stream.ts";
import { fleetChart, fleetRows, revenueChart } from "./fleet_data.ts";
import { fleetPage } from "./fleet_page.ts";
import { consoleOffPage, loginPage } from "./login_page.ts";
import { describeRefund } from "./refund_outcome.ts";
import { searchPayments } from "./search.ts";
import { searchPage } from "./search_page.ts";
import { consoleJson, htmlResponse, securityHeaders, seeOther } from "./security_headers.ts";
import { tenantPayments, tenantView } from "./tenant_data.ts";
import { refundResultPage, tenantPage } from "./tenant_page.ts";

/** How the console is set up. */
export interface ConsoleOptions extends ConsoleSources {
  /** `ADMIN_TOKEN`; without it the console is off. */
  adminToken?: string;
  /** `PUBLIC_URL`: when it is https, the session cookie is `Secure`. */
  publicUrl?: string;
  /** How often live views read their data; 2 s by default. */
  liveIntervalMs?: number;
}

/** The console's routes, and what ends its live streams (call before the server stops). */
export interface OperatorConsole {
  readonly routes: Route[];
  close(): void;
}

/** How long one live stream lasts before the browser reconnects. */
const streamLifetimeMs = 5 * 60_000;

/** Builds the console; see the module doc. */
export function operatorConsole(options: ConsoleOptions): OperatorConsole {
  const auth = new ConsoleAuth({
    adminToken: options.adminToken,
    secure: options.publicUrl?.startsWith("https:") ?? false,
    clock: options.clock,
  });
  const closing = new AbortController();
  const intervalMs = options.liveIntervalMs ?? 2_000;
  const off = () => consoleJson(404, { error: "the console is off: set ADMIN_TOKEN" });
  /** Runs `handle` only while the console is on. */
  const on = (handle: Route["handle"]): Route["handle"] => (request, context) =>
    auth.enabled ? handle(request, context) : off();
  const stream = (
    poll: () => Promise<{ event: string; data: unknown }[]>,
    push?: Parameters<typeof eventStream>[0]["push"],
  ) =>
    eventStream({
      poll,
      push,
      intervalMs,
      lifetimeMs: streamLifetimeMs,
      signal: closing.signal,
      headers: securityHeaders(),
    });
  const tenantExists = (id: string) => options.runtime.tenants().some((t) => t.id === id);

  const routes: Route[] = [
    {
      method: "GET",
      path: "/console",
      async handle(request) {
        if (!auth.enabled) return htmlResponse(404, consoleOffPage());
        const session = auth.pageSession(request);
        if (session instanceof Response) return session;
        const rows = await fleetRows(options);
        const chart = await fleetChart(options, rows);
        return htmlResponse(200, fleetPage(session, rows, chart));
      },
    },
    {
      method: "GET",
      path: "/console/login",
      handle: on((request) =>
        auth.sessionOf(request) ? seeOther("/console") : htmlResponse(200, loginPage())
      ),
    },
    {
      method: "POST",
      path: "/console/login",
      handle: on(async (request, context) => {
        const result = await auth.login(request, addressOf(context));
        if (result.kind === "logged_in") return result.response;
        const retry = result.retryAfterSeconds;
        return htmlResponse(
          result.status,
          loginPage(result.message),
          retry ? { "retry-after": String(retry) } : {},
        );
      }),
    },
    {
      method: "POST",
      path: "/console/logout",
      handle: on(async (request) => {
        const checked = await auth.checkPost(request);
        return checked instanceof Response ? checked : auth.logout(checked.session);
      }),
    },
    {
      method: "GET",
      path: "/console/events",
      handle: on((request) => {
        const session = auth.dataSession(request);
        if (session instanceof Response) return session;
        return stream(async () => {
          const rows = await fleetRows(options);
          const chart = await fleetChart(options, rows);
          return [{ event: "fleet", data: rows }, { event: "chart", data: chart }];
        });
      }),
    },
    {
      method: "GET",
      path: "/console/tenants/:tenantId",
      handle: on(async (request, { params }) => {
        const session = auth.pageSession(request);
        if (session instanceof Response) return session;
        const view = await tenantView(options, params.tenantId);
        if (!view) return consoleJson(404, { error: `no tenant ${params.tenantId}` });
        return htmlResponse(200, tenantPage(session, view));
      }),
    },
    {
      method: "GET",
      path: "/console/tenants/:tenantId/events",
      handle: on((request, { params }) => {
        const session = auth.dataSession(request);
        if (session instanceof Response) return session;
        const id = params.tenantId;
        if (!tenantExists(id)) return consoleJson(404, { error: `no tenant ${id}` });
        return stream(
          async () => [
            { event: "payments", data: await tenantPayments(options, id) },
            { event: "chart", data: await revenueChart(options, [id]) },
          ],
          (send) => options.logs.listen(id, (line) => send({ event: "log", data: line })),
        );
      }),
    },
    {
      method: "POST",
      path: "/console/tenants/:tenantId/refunds",
      handle: on(async (request, { params }) => {
        const checked = await auth.checkPost(request);
        if (checked instanceof Response) return checked;
        const chargeId = (checked.form.get("chargeId") ?? "").trim();
        if (chargeId === "" || chargeId.length > 200) {
          return consoleJson(400, { error: "chargeId is required (at most 200 characters)" });
        }
        const outcome = await options.operator.refund(params.tenantId, chargeId);
        const described = describeRefund(outcome, options.redact);
        if (wantsJson(request)) return consoleJson(described.status, described);
        return htmlResponse(
          described.status,
          refundResultPage(checked.session, params.tenantId, described.message),
        );
      }),
    },
    {
      method: "POST",
      path: "/console/tenants/:tenantId/dead-letters/:updateId/:action",
      handle: on(async (request, { params }) => {
        const checked = await auth.checkPost(request);
        if (checked instanceof Response) return checked;
        const { tenantId, action } = params;
        const updateId = Number(params.updateId);
        if (!/^\d+$/.test(params.updateId) || !Number.isSafeInteger(updateId)) {
          return consoleJson(400, { error: "the update id must be a non-negative integer" });
        }
        let found: boolean;
        if (action === "retry") {
          const retried = await options.deadLetters.retryDeadLetter(tenantId, updateId);
          if (retried === "unavailable") {
            return consoleJson(503, {
              error: `tenant ${tenantId} is not running; retry once it is`,
            });
          }
          found = retried === "retried";
        } else if (action === "discard") {
          found = await options.deadLetters.discardDeadLetter(tenantId, updateId);
        } else {
          return consoleJson(404, { error: `no action ${action}: use retry or discard` });
        }
        if (!found) {
          return consoleJson(404, { error: `tenant ${tenantId} has no dead letter ${updateId}` });
        }
        return wantsJson(request)
          ? consoleJson(200, { done: action, tenant: tenantId, updateId })
          : seeOther(`/console/tenants/${encodeURIComponent(tenantId)}`);
      }),
    },
    {
      method: "GET",
      path: "/console/search",
      handle: on(async (request) => {
        const session = auth.pageSession(request);
        if (session instanceof Response) return session;
        const query = (new URL(request.url).searchParams.get("q") ?? "").trim();
        if (query.length > 200) {
          return consoleJson(400, { error: "the query must be at most 200 characters" });
        }
        const results = query === "" ? undefined : await searchPayments(options.db, query);
        return htmlResponse(200, searchPage(session, query, results));
      }),
    },
    {
      method: "GET",
      path: "/console/assets/:name",
      handle: on((request, { params }) => {
        if (!PUBLIC_ASSETS.has(params.name)) {
          const session = auth.dataSession(request);
          if (session instanceof Response) return session;
        }
        return assetResponse(params.name);
      }),
    },
  ];
  return { routes, close: () => closing.abort() };
}

/** The client's address without its port, for the login throttle. */
function addressOf(context: RouteContext): string {
  return context.remote.replace(/:\d+$/, "");
}

/** True when the script asked (it wants the outcome as data, not a page). */
function wantsJson(request: Request): boolean {
  return (request.headers.get("accept") ?? "").includes("application/json");
}
