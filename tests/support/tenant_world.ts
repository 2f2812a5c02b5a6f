/**
 * A whole hosted tenant against the sandbox, for the end-to-end tests: a sandbox on 127.0.0.1,
 * one database, tenant configs built through the real config parser (with a plugin file when a
 * test needs one), tenants started with `startTenant` or a whole `Runtime`, and read-only views
 * of the rows that matter (ledger, payments, outbox, inbox). Everything it starts, it stops on
 * dispose, in reverse order.
 *
 * Waiting is on conditions: `waitUntil` (in `wait.ts`) polls with a deadline, and the sandbox's
 * `waitForMessage` wakes on the message itself.
 *
 * @example
 * ```ts ignore
 * await using world = await TenantWorld.start();
 * const account = world.sandbox.createBot({ username: "shop_bot" });
 * const tenant = await world.startTenant(await world.tenant(account));
 * const ann = world.sandbox.createUser({ firstName: "Ann", stars: 100 });
 * await ann.send(account, "/start");
 * (await ann.waitForMessage(account)).text; // "Hello, Ann! …"
 * ```
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { type Clock, systemClock } from "../../actors/kernel/clock.ts";
import { Runtime, type RuntimeOptions } from "../../actors/runtime/runtime.ts";
import {
  startTenant,
  type TenantEnvironment,
  type TenantHandle,
} from "../../actors/tenant/tenant_actor.ts";
import type { Database, SqlRunner, SqlValue } from "../../money/ports.ts";
import { openDatabase } from "../../adapters/storage/open_database.ts";
import type { TestEngine } from "./engines.ts";
import { secrets } from "../../adapters/observability/redact.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import { Sandbox, type SandboxBot } from "../../sandbox/mod.ts";
import { SHOP_PRODUCTS } from "./shop_products.ts";
import { parseTestTenant } from "./tenant_configs.ts";

/** Long polls of the tenants under test: short, so that stopping one takes no time. */
const TEST_POLL_TIMEOUT_SECONDS = 1;

/** How to build one test tenant. */
export interface TestTenantOptions {
  /** Source of a plugin module, written to the config folder and named in the tenant file. */
  plugin?: string;
}

/** A sandbox, a database and the tenants running on them; see the module doc. */
export class TenantWorld implements AsyncDisposable {
  readonly sandbox: Sandbox;
  readonly db: Database;
  /** The config folder: tenant plugins are written here. */
  readonly configDir: string;
  readonly #running: { stop(): Promise<void> }[] = [];

  private constructor(sandbox: Sandbox, db: Database, configDir: string) {
    this.sandbox = sandbox;
    this.db = db;
    this.configDir = configDir;
  }

  /**
   * Starts a sandbox (on `sandboxClock` when given; the tenants keep the real clock) and a new
   * database on `engine` (default: SQLite in memory; see `engines.ts`), which `wrapDb` may wrap,
   * e.g. to inject storage faults.
   */
  static async start(
    options: {
      sandboxClock?: Clock;
      wrapDb?: (db: Database) => Database;
      engine?: Pick<TestEngine, "open">;
    } = {},
  ): Promise<TenantWorld> {
    const sandbox = await Sandbox.start({ clock: options.sandboxClock });
    let opened: Database;
    try {
      opened = await (options.engine?.open() ?? openDatabase("sqlite::memory:"));
    } catch (error) {
      await sandbox.close();
      throw error;
    }
    const db = options.wrapDb?.(opened) ?? opened;
    const configDir = await Deno.makeTempDir({ prefix: "constellation-world-" });
    return new TenantWorld(sandbox, db, configDir);
  }

  /**
   * The config of a tenant selling {@linkcode SHOP_PRODUCTS} through `account`, parsed as a
   * tenant file would be; its id is the bot's username without `_bot`.
   */
  async tenant(account: SandboxBot, options: TestTenantOptions = {}): Promise<TenantConfig> {
    const id = account.username.replace(/_bot$/, "");
    const file: Record<string, unknown> = {
      apiRoot: this.sandbox.apiRoot,
      products: SHOP_PRODUCTS,
    };
    if (options.plugin !== undefined) {
      await Deno.mkdir(`${this.configDir}/plugins`, { recursive: true });
      await Deno.writeTextFile(`${this.configDir}/plugins/${id}.ts`, options.plugin);
      file.plugin = `plugins/${id}.ts`;
    }
    return parseTestTenant(file, { id, token: account.token, configDir: this.configDir });
  }

  /**
   * Starts one tenant actor, unsupervised; it is stopped on dispose. `env` replaces parts of
   * its environment (shorter Bot API deadlines, say).
   */
  async startTenant(
    config: TenantConfig,
    env: Partial<TenantEnvironment> = {},
  ): Promise<TenantHandle> {
    const tenant = await startTenant(config, {
      clock: systemClock,
      db: this.db,
      pollTimeoutSeconds: TEST_POLL_TIMEOUT_SECONDS,
      random: Math.random,
      ...env,
    });
    this.#running.push(tenant);
    return tenant;
  }

  /** Starts a runtime over `tenants` on this world's database; it is stopped on dispose. */
  async startRuntime(
    tenants: readonly TenantConfig[],
    supervision?: RuntimeOptions["supervision"],
  ): Promise<Runtime> {
    const runtime = await Runtime.start({
      tenants,
      db: this.db,
      supervision,
      pollTimeoutSeconds: TEST_POLL_TIMEOUT_SECONDS,
      redactor: secrets,
    });
    this.#running.push(runtime);
    return runtime;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const running of this.#running.splice(0).reverse()) await running.stop();
    await this.sandbox.close();
    await this.db.close();
    await Deno.remove(this.configDir, { recursive: true });
  }
}

/**
 * Named gates that a test plugin's handler waits at ({@linkcode GATE_PLUGIN}): the handler says
 * it arrived (`Slow task <gate> started.`) and waits until the gate's file exists in its folder.
 * A plugin runs in a worker that may read its own folder and nothing else, so a file there is
 * what the test and the plugin can both see. Disposing opens every gate, so no handler is left
 * hanging and the tenants can stop.
 *
 * @example
 * ```ts ignore
 * using gates = Gates.of(world);
 * await ann.send(account, "/slow a");
 * await ann.waitForMessage(account, (m) => m.text === "Slow task a started.");
 * gates.open("a");
 * ```
 */
export class Gates implements Disposable {
  readonly #folder: string;

  private constructor(folder: string) {
    this.#folder = folder;
  }

  /** The gates of the plugins of `world`'s tenants, all closed. */
  static of(world: TenantWorld): Gates {
    const folder = `${world.configDir}/plugins`;
    Deno.mkdirSync(folder, { recursive: true });
    return new Gates(folder);
  }

  /** Lets the handler at gate `name` (and any later one) go on. */
  open(name: string): void {
    Deno.writeTextFileSync(`${this.#folder}/gate-${name}`, "");
  }

  [Symbol.dispose](): void {
    Deno.writeTextFileSync(`${this.#folder}/gates-open`, "");
  }
}

/**
 * How long a test waits for a plugin's first reply. Its worker starts with the first update that
 * reaches it, and under `deno test` starting a worker type-checks the worker's modules: on a fresh
 * clone, with nothing in Deno's check cache, that alone took 5–6 s here (CI failed on a 5 s wait).
 */
export const PLUGIN_START_WAIT_MS = 20_000;

/**
 * A plugin whose `/slow <gate>` replies `Slow task <gate> started.`, waits at that gate of
 * {@linkcode Gates}, then replies `Slow task <gate> done.` It imports nothing: it is written to
 * a temporary folder, outside the import map.
 */
export const GATE_PLUGIN = `
type Ctx = { match: string; reply(text: string): Promise<unknown> };
type Composer = { command(name: string, handler: (ctx: Ctx) => Promise<void>): void };

async function exists(file: string): Promise<boolean> {
  try {
    await Deno.stat(new URL(file, import.meta.url));
    return true;
  } catch {
    return false;
  }
}

export default (bot: Composer) => {
  bot.command("slow", async (ctx) => {
    await ctx.reply(\`Slow task \${ctx.match} started.\`);
    while (!(await exists(\`gate-\${ctx.match}\`)) && !(await exists("gates-open"))) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await ctx.reply(\`Slow task \${ctx.match} done.\`);
  });
};
`;

/** One row of `ledger_entries`, as the tests compare it. */
export interface LedgerRow {
  userId: number;
  kind: string;
  amount: number;
  balanceAfter: number;
  idempotencyKey: string;
}

/**
 * The tenant's ledger entries (of one user when given), oldest first.
 *
 * @example
 * ```ts ignore
 * (await ledgerRows(world.db, "shop", ann.id)).map((row) => row.balanceAfter); // [100]
 * ```
 */
export async function ledgerRows(
  q: SqlRunner,
  tenantId: string,
  userId?: number,
): Promise<LedgerRow[]> {
  // A bare `? IS NULL` is fine for SQLite, but PostgreSQL cannot tell the parameter's type.
  const rows = await q.all<Record<string, SqlValue>>(
    `SELECT user_id, kind, amount, balance_after, idempotency_key FROM ledger_entries
     WHERE tenant_id = ? ${userId === undefined ? "" : "AND user_id = ?"} ORDER BY user_id, seq`,
    userId === undefined ? [tenantId] : [tenantId, userId],
  );
  return rows.map((row) => ({
    userId: Number(row.user_id),
    kind: String(row.kind),
    amount: Number(row.amount),
    balanceAfter: Number(row.balance_after),
    idempotencyKey: String(row.idempotency_key),
  }));
}

/** One row of `payments`. */
export interface PaymentRow {
  chargeId: string;
  userId: number;
  productId: string | null;
  amount: number;
  kind: string;
  refunded: boolean;
}

/** The tenant's payments, in the order they were recorded. */
export async function paymentRows(q: SqlRunner, tenantId: string): Promise<PaymentRow[]> {
  const rows = await q.all<Record<string, SqlValue>>(
    `SELECT charge_id, user_id, product_id, amount, kind, refunded_at FROM payments
     WHERE tenant_id = ? ORDER BY paid_at, charge_id`,
    [tenantId],
  );
  return rows.map((row) => ({
    chargeId: String(row.charge_id),
    userId: Number(row.user_id),
    productId: row.product_id === null ? null : String(row.product_id),
    amount: Number(row.amount),
    kind: String(row.kind),
    refunded: row.refunded_at !== null,
  }));
}

/** One row of `outbox`. */
export interface OutboxRow {
  id: string;
  method: string;
  attempts: number;
  sent: boolean;
  failed: boolean;
}

/** The tenant's outbox, oldest first. */
export async function outboxRows(q: SqlRunner, tenantId: string): Promise<OutboxRow[]> {
  const rows = await q.all<Record<string, SqlValue>>(
    `SELECT id, method, attempts, sent_at, failed_at FROM outbox WHERE tenant_id = ? ORDER BY seq`,
    [tenantId],
  );
  return rows.map((row) => ({
    id: String(row.id),
    method: String(row.method),
    attempts: Number(row.attempts),
    sent: row.sent_at !== null,
    failed: row.failed_at !== null,
  }));
}

/** Whether the inbox has the update, and whether it is done; `undefined` if it is not there. */
export async function inboxState(
  q: SqlRunner,
  tenantId: string,
  updateId: number,
): Promise<"pending" | "done" | undefined> {
  const row = await q.get<{ done_at: SqlValue }>(
    "SELECT done_at FROM inbox WHERE tenant_id = ? AND update_id = ?",
    [tenantId, updateId],
  );
  if (row === undefined) return undefined;
  return row.done_at === null ? "pending" : "done";
}

/**
 * A read-only view of a SQLite file that another process writes (a `main.ts` under test): the
 * test looks, never changes a thing. Close it before deleting the file.
 *
 * @example
 * ```ts ignore
 * const view = readOnlySqlite(`${dir}/data/constellation.db`);
 * const payments = await paymentRows(view, "shop");
 * view.close();
 * ```
 */
export function readOnlySqlite(path: string): SqlRunner & { close(): void } {
  const db = new DatabaseSync(path, { readOnly: true });
  const plain = <T>(row: unknown) => ({ ...(row as object) }) as T;
  return {
    all: <T>(sql: string, params: readonly SqlValue[] = []) =>
      Promise.resolve(db.prepare(sql).all(...params).map((row) => plain<T>(row))),
    get: <T>(sql: string, params: readonly SqlValue[] = []) => {
      const row = db.prepare(sql).get(...params);
      return Promise.resolve(row === undefined ? undefined : plain<T>(row));
    },
    run: () => Promise.reject(new Error("readOnlySqlite: this view cannot write")),
    close: () => db.close(),
  };
}
