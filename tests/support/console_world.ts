/**
 * A runtime with the operator console, in this process, against the sandbox: two tenants
 * (`shop` sells credits and a subscription, `quiz` sells an item), a buyer with test Stars, and
 * the HTTP server serving the console and the operations routes on a free loopback port. For
 * the console's HTTP tests and the browser tests.
 *
 * @example
 * ```ts ignore
 * await using world = await ConsoleWorld.start();
 * const cookie = await world.login();
 * const fleet = await world.get("/console", cookie);
 * ```
 * @module
 */
import { Runtime } from "../../actors/runtime/runtime.ts";
import { systemClock } from "../../actors/kernel/clock.ts";
import { openDatabase } from "../../adapters/storage/open_database.ts";
import { SecretRedactor } from "../../adapters/observability/redact.ts";
import { tenantLogTail } from "../../adapters/observability/log_tail.ts";
import { configureLogging } from "../../adapters/observability/logging.ts";
import { type HttpServer, startHttpServer } from "../../adapters/http/server.ts";
import { opsRoutes } from "../../adapters/http/ops_routes.ts";
import { createMetrics } from "../../adapters/observability/metrics.ts";
import {
  type OperatorConsole,
  operatorConsole,
} from "../../adapters/http/console/console_routes.ts";
import type { Database } from "../../money/ports.ts";
import { Sandbox, type SandboxBot, type SandboxUser } from "../../sandbox/mod.ts";
import { parseTestTenant } from "./tenant_configs.ts";
import { CREDITS_100, MONTHLY, WALLPAPERS } from "./shop_products.ts";

/** The admin token of the world's console. */
export const ADMIN_TOKEN = "console-test-admin-token-0123456789";

/** What a world is started with. */
export interface ConsoleWorldOptions {
  /** Without it the console is off; default {@linkcode ADMIN_TOKEN}. */
  adminToken?: string | null;
  /** How often live views read their data; default 300 ms. */
  liveIntervalMs?: number;
}

/** See the module doc. */
export class ConsoleWorld implements AsyncDisposable {
  private constructor(
    readonly sandbox: Sandbox,
    readonly bots: { shop: SandboxBot; quiz: SandboxBot },
    readonly buyer: SandboxUser,
    readonly db: Database,
    readonly runtime: Runtime,
    readonly operatorConsole: OperatorConsole,
    readonly server: HttpServer,
  ) {}

  static async start(options: ConsoleWorldOptions = {}): Promise<ConsoleWorld> {
    // The log tail is filled by the log sink; lines are written nowhere else.
    await configureLogging({ level: "info", format: "text", write: () => {} });
    const sandbox = await Sandbox.start();
    const shop = sandbox.createBot({ username: "shop_bot" });
    const quiz = sandbox.createBot({ username: "quiz_bot" });
    const buyer = sandbox.createUser({
      id: 424242,
      firstName: "Ann",
      languageCode: "en",
      stars: 5000,
    });
    const tenants = [
      parseTestTenant({ apiRoot: sandbox.apiRoot, products: [CREDITS_100, MONTHLY] }, {
        id: "shop",
        token: shop.token,
      }),
      parseTestTenant({ apiRoot: sandbox.apiRoot, products: [WALLPAPERS] }, {
        id: "quiz",
        token: quiz.token,
      }),
    ];
    const db = await openDatabase("sqlite::memory:");
    const redactor = new SecretRedactor();
    const adminToken = options.adminToken === undefined ? ADMIN_TOKEN : options.adminToken;
    if (adminToken) redactor.add(adminToken);
    const runtime = await Runtime.start({ tenants, db, redactor, pollTimeoutSeconds: 1 });
    const redact = (text: string) => redactor.redact(text);
    const operator = operatorConsole({
      runtime,
      deadLetters: runtime,
      operator: runtime,
      db,
      logs: tenantLogTail,
      clock: systemClock,
      redact,
      adminToken: adminToken ?? undefined,
      liveIntervalMs: options.liveIntervalMs ?? 300,
    });
    const server = await startHttpServer({
      port: 0,
      hostname: "127.0.0.1",
      routes: [
        ...opsRoutes({
          runtime,
          deadLetters: runtime,
          metrics: createMetrics(),
          adminToken: adminToken ?? undefined,
          redact,
        }),
        ...operator.routes,
      ],
      redact,
    });
    return new ConsoleWorld(sandbox, { shop, quiz }, buyer, db, runtime, operator, server);
  }

  /** `http://127.0.0.1:<port>` of the console. */
  get origin(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  /** A GET, with the session cookie when given; redirects are not followed. */
  get(path: string, cookie?: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.origin}${path}`, {
      redirect: "manual",
      headers: { ...headers, ...(cookie ? { cookie } : {}) },
    });
  }

  /** A form POST, with the session cookie when given; redirects are not followed. */
  post(
    path: string,
    form: Record<string, string>,
    options: { cookie?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    return fetch(`${this.origin}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...options.headers,
        ...(options.cookie ? { cookie: options.cookie } : {}),
      },
      body: new URLSearchParams(form),
    });
  }

  /** Logs in with the admin token; returns the `Cookie` header value of the session. */
  async login(token = ADMIN_TOKEN): Promise<string> {
    const answer = await this.post("/console/login", { token });
    await answer.body?.cancel();
    const set = answer.headers.get("set-cookie");
    if (answer.status !== 303 || !set) throw new Error(`login failed: ${answer.status}`);
    return set.split(";")[0];
  }

  /** The CSRF token of a session, read from a page as a browser would. */
  async csrfOf(cookie: string): Promise<string> {
    const page = await (await this.get("/console", cookie)).text();
    const match = /<meta name="csrf-token" content="([^"]+)">/.exec(page);
    if (!match) throw new Error("no CSRF token on the fleet page");
    return match[1];
  }

  /** The buyer buys the shop's credits pack; returns the charge id. */
  async buyCredits(): Promise<string> {
    const shop = this.bots.shop;
    const sent = await this.buyer.send(shop, "/start buy_credits_100");
    const invoice = await this.buyer.waitForMessage(
      shop,
      (m) => m.invoice !== undefined && m.message_id > sent.message_id,
    );
    const paid = await this.buyer.pay(shop, invoice);
    if (paid.status !== "paid") throw new Error(`payment ${paid.status}`);
    return paid.chargeId;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.operatorConsole.close();
    await this.server.shutdown();
    await this.runtime.stop();
    await this.db.close();
    await this.sandbox.close();
  }
}
