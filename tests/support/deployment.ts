/**
 * One deployment of `main.ts` for the whole-process tests: a temporary config folder with tenant
 * files, a SQLite file, a port on 127.0.0.1 chosen before the start (so `PUBLIC_URL` can name
 * it), and the processes run on them. Tenant files are replaced by rename, as editors save them,
 * so the config watcher never reads half a file. Disposing kills what is still running and
 * deletes the folder.
 *
 * @example
 * ```ts ignore
 * await using deployment = await Deployment.create();
 * await deployment.writeTenant("shop", { token: "env:SHOP_TOKEN", apiRoot: sandbox.apiRoot });
 * const proc = await deployment.start({ SHOP_TOKEN: account.token });
 * (await deployment.fetch("/healthz")).status; // 200
 * ```
 * @module
 */
import type { SqlRunner } from "../../money/ports.ts";
import type { Sandbox, SandboxBot, SandboxUser } from "../../sandbox/mod.ts";
import { CREDITS_100 } from "./shop_products.ts";
import { freePort } from "./free_port.ts";
import { RuntimeProcess } from "./runtime_process.ts";
import { readOnlySqlite } from "./tenant_world.ts";
import { waitUntil } from "./wait.ts";

/** Generous for a subprocess on a busy machine; every wait ends as soon as its condition holds. */
export const PROCESS_WAIT_MS = 15_000;

/** A config folder, a database file and a port for `main.ts`; see the module doc. */
export class Deployment implements AsyncDisposable {
  /** The config folder (`CONFIG_DIR`); tenant files are in its `tenants/`. */
  readonly dir: string;
  /** The port `HTTP_PORT` binds, on every start of this deployment. */
  readonly port: number;
  readonly #processes: RuntimeProcess[] = [];

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  /** Creates an empty config folder and picks a free port. */
  static async create(): Promise<Deployment> {
    const dir = await Deno.makeTempDir({ prefix: "constellation-deployment-" });
    await Deno.mkdir(`${dir}/tenants`);
    return new Deployment(dir, freePort());
  }

  /** `http://127.0.0.1:<port>`: where the process serves, and its `PUBLIC_URL`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The SQLite file the processes share. */
  get dbPath(): string {
    return `${this.dir}/data/constellation.db`;
  }

  /** Path of the tenant file of `id`. */
  tenantPath(id: string): string {
    return `${this.dir}/tenants/${id}.json`;
  }

  /**
   * Writes `tenants/<id>.json` (or `path` when given) in one step: the content goes to a
   * temporary file first, which is renamed over the old one.
   */
  async writeTenant(id: string, file: Record<string, unknown>, path = this.tenantPath(id)) {
    await this.writeFile(path, JSON.stringify(file, null, 2));
  }

  /** Deletes the tenant file of `id`. */
  async removeTenant(id: string): Promise<void> {
    await Deno.remove(this.tenantPath(id));
  }

  /** Writes `text` to `path` (absolute, or relative to the config folder) by rename. */
  async writeFile(path: string, text: string): Promise<void> {
    const target = path.startsWith("/") ? path : `${this.dir}/${path}`;
    // Not `.json`, so the watcher ignores the temporary file and reacts to the rename only.
    const temporary = `${target}.partial`;
    await Deno.writeTextFile(temporary, text);
    await Deno.rename(temporary, target);
  }

  /**
   * Starts `main.ts` on this deployment with `env` on top of `CONFIG_DIR`, `DATABASE_URL`,
   * `HTTP_PORT` and `PUBLIC_URL`, and waits until it answers `/healthz` and says its tenants
   * have started (the HTTP server comes up first, so `/readyz` can report them starting).
   */
  async start(
    env: Record<string, string> = {},
    options: { openFilesLimit?: number } = {},
  ): Promise<RuntimeProcess> {
    const proc = RuntimeProcess.start({
      CONFIG_DIR: this.dir,
      DATABASE_URL: `sqlite:${this.dbPath}`,
      HTTP_PORT: String(this.port),
      PUBLIC_URL: this.baseUrl,
      ...env,
    }, options);
    this.#processes.push(proc);
    const exited = proc.status.then((status) => {
      throw new Error(`main.ts exited with ${status.code} while starting; log:\n${proc.log}`);
    });
    const healthy = waitUntil("main.ts answering /healthz with its tenants started", async () => {
      try {
        return (await this.fetch("/healthz")).status === 200 &&
          proc.log.includes("Constellation is running");
      } catch {
        return false; // not listening yet
      }
    }, PROCESS_WAIT_MS);
    exited.catch(() => {}); // the process exits at the end of every test
    try {
      await Promise.race([healthy, exited]);
    } catch (error) {
      throw new Error(`${(error as Error).message}; log:\n${proc.log}`, { cause: error });
    }
    return proc;
  }

  /** A request to the process; the body is read whole, so no connection is left open. */
  async fetch(path: string, init: RequestInit = {}): Promise<HttpAnswer> {
    const response = await fetch(`${this.baseUrl}${path}`, init);
    return { status: response.status, headers: response.headers, body: await response.text() };
  }

  /** `/status` with the admin token, parsed. */
  async status(adminToken: string): Promise<TenantStatus[]> {
    const response = await this.fetch("/status", {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    if (response.status !== 200) {
      throw new Error(`/status answered ${response.status}: ${response.body}`);
    }
    return JSON.parse(response.body).tenants;
  }

  /** `/status`'s entry for tenant `id`, or `undefined` when it is not listed. */
  async tenantStatus(adminToken: string, id: string): Promise<TenantStatus | undefined> {
    return (await this.status(adminToken)).find((tenant) => tenant.id === id);
  }

  /** Runs `read` on a fresh read-only connection to the database file. */
  async query<T>(read: (q: SqlRunner) => Promise<T>): Promise<T> {
    const view = readOnlySqlite(this.dbPath);
    try {
      return await read(view);
    } finally {
      view.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const proc of this.#processes) await proc.stop("SIGKILL");
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** An HTTP answer with its body read. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** One tenant as `/status` lists it. */
export interface TenantStatus {
  id: string;
  state: string;
  updates: "polling" | "webhook";
  restarts: number;
  lastError: string | null;
  lastUpdateAt: string | null;
  configError?: string;
  /** Calls the tenant serves without that keep failing (its command menu …). */
  failingOptionalCalls: {
    call: string;
    error: string;
    attempts: number;
    failingSince: string;
    nextAttemptAt: string;
  }[];
}

/**
 * Asserts that none of `secrets` occurs in any of `texts` (named, so a failure says where).
 *
 * @example
 * ```ts ignore
 * assertNoSecrets({ log: proc.log, status: statusBody }, [account.token, "admin-token"]);
 * ```
 */
export function assertNoSecrets(
  texts: Record<string, string>,
  secrets: readonly string[],
): void {
  for (const [where, text] of Object.entries(texts)) {
    secrets.forEach((secret, index) => {
      if (secret.length === 0) throw new Error(`secret #${index} is empty: nothing to look for`);
      if (text.includes(secret)) {
        throw new Error(`secret #${index} appears in the ${where}:\n${text}`);
      }
    });
  }
}

/**
 * A tenant file for a bot of `sandbox`: token from `env:<ID>_TOKEN`, English, the 100-credits
 * pack; `overrides` replaces top-level fields.
 */
export function sandboxTenantFile(
  sandbox: Sandbox,
  id: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    token: `env:${id.toUpperCase()}_TOKEN`,
    apiRoot: sandbox.apiRoot,
    locale: "en",
    products: [CREDITS_100],
    ...overrides,
  };
}

/** Sends /start and returns the bot's reply (the greeting). */
export async function greeting(user: SandboxUser, bot: SandboxBot): Promise<string> {
  const before = user.messages(bot).length;
  await user.send(bot, "/start");
  await waitUntil(
    `a reply from @${bot.username}`,
    () => user.messages(bot).length > before,
    PROCESS_WAIT_MS,
  );
  return user.messages(bot)[before].text ?? "";
}
