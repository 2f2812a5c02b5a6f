/**
 * Several `main.ts` instances on one PostgreSQL database, for the multi-process cluster tests: a
 * config folder with one tenant file per sandbox bot, a schema of its own in the shared test
 * server (`postgres_cluster.ts`), short leases, and the instances started, paused, killed and
 * asked for `/status` by name. Disposing kills every instance still there (paused ones too:
 * SIGKILL ends a stopped process), drops the schema and deletes the folder, however the test
 * ended.
 *
 * Instance ids get a random suffix so that two runs never share a name in `pg_stat_activity`;
 * {@linkcode ClusterDeployment.create} draws them until every instance is the desired owner
 * (rendezvous hashing, `actors/cluster/rendezvous.ts`) of at least one tenant, so killing or
 * pausing any of them always moves a tenant.
 *
 * @example
 * ```ts ignore
 * await using cluster = await ClusterDeployment.create(sandbox, ["alpha", "bravo"], ["a", "b"]);
 * await Promise.all(["a", "b"].map((name) => cluster.start(name)));
 * const owners = await cluster.waitAllRunning(["a", "b"]);
 * cluster.instance("a").process.stop("SIGKILL");
 * ```
 * @module
 */
import type { Sandbox, SandboxBot } from "../../sandbox/mod.ts";
import { desiredOwner } from "../../actors/cluster/rendezvous.ts";
import { PROCESS_WAIT_MS, sandboxTenantFile } from "./deployment.ts";
import { type EngineUrl, POSTGRES } from "./engines.ts";
import { freePort } from "./free_port.ts";
import { sampleValue } from "./prometheus_text.ts";
import { RuntimeProcess } from "./runtime_process.ts";
import { waitUntil } from "./wait.ts";

/** Short leases, so a failover takes seconds: renewal (and placement) every second. */
export const LEASE_TTL_MS = 3_000;
export const LEASE_RENEW_MS = 1_000;
/**
 * The server ends a transaction left idle this long (a paused instance's): shorter than the TTL,
 * so a takeover waits for the TTL, not for it.
 */
export const IDLE_IN_TRANSACTION_MS = 2_000;

const ADMIN_TOKEN = "cluster-admin-token";

/** One tenant as an instance's `/status` lists it in cluster mode. */
export interface ClusterTenantStatus {
  id: string;
  /** `running` here, `remote` when owned elsewhere or not yet owned, … */
  state: string;
  owner: string | null;
  epoch: number;
}

/** One instance of the deployment. */
export interface ClusterInstance {
  /** The name the test gave it. */
  readonly name: string;
  /** Its `INSTANCE_ID`: the name and a random suffix. */
  readonly id: string;
  readonly port: number;
  readonly process: RuntimeProcess;
}

/** A lease as `tenant_leases` holds it, with its acquisition in epoch milliseconds. */
export interface LeaseRecord {
  tenantId: string;
  owner: string | null;
  epoch: number;
  acquiredAtMs: number | null;
}

/** See the module documentation. */
export class ClusterDeployment implements AsyncDisposable {
  readonly dir: string;
  /** The sandbox bot of each tenant, by tenant id. */
  readonly bots: ReadonlyMap<string, SandboxBot>;
  readonly database: EngineUrl;
  readonly #ids: ReadonlyMap<string, string>;
  readonly #instances = new Map<string, ClusterInstance>();
  readonly #retired: RuntimeProcess[] = [];

  private constructor(
    dir: string,
    bots: Map<string, SandboxBot>,
    database: EngineUrl,
    ids: Map<string, string>,
  ) {
    this.dir = dir;
    this.bots = bots;
    this.database = database;
    this.#ids = ids;
  }

  /**
   * A config folder with a tenant file per id in `tenants` (each a new bot of `sandbox`), a fresh
   * schema, and instance ids for `names`; `placements` are the sets of names that will run
   * together, each of which must give every one of its instances a tenant (all names by default).
   */
  static async create(
    sandbox: Sandbox,
    tenants: readonly string[],
    names: readonly string[],
    placements: readonly (readonly string[])[] = [names],
  ): Promise<ClusterDeployment> {
    const dir = await Deno.makeTempDir({ prefix: "constellation-cluster-" });
    try {
      await Deno.mkdir(`${dir}/tenants`);
      const bots = new Map<string, SandboxBot>();
      for (const id of tenants) {
        bots.set(id, sandbox.createBot({ username: `${id}_shop_bot` }));
        const file = JSON.stringify(sandboxTenantFile(sandbox, id), null, 2);
        await Deno.writeTextFile(`${dir}/tenants/${id}.json`, file);
      }
      const database = await POSTGRES.url(dir);
      return new ClusterDeployment(dir, bots, database, drawIds(tenants, names, placements));
    } catch (error) {
      await Deno.remove(dir, { recursive: true });
      throw error;
    }
  }

  /** The tenant ids, in the order given. */
  get tenantIds(): string[] {
    return [...this.bots.keys()];
  }

  /** The instance `name` started last. */
  instance(name: string): ClusterInstance {
    const instance = this.#instances.get(name);
    if (!instance) throw new Error(`instance ${name} was never started`);
    return instance;
  }

  /** The `INSTANCE_ID` of `name`. */
  idOf(name: string): string {
    const id = this.#ids.get(name);
    if (id === undefined) throw new Error(`no instance named ${name}`);
    return id;
  }

  /** The name of the instance whose id is `id`. */
  nameOf(id: string | null): string | undefined {
    for (const [name, candidate] of this.#ids) if (candidate === id) return name;
    return undefined;
  }

  /** Where each tenant should run when exactly `names` are live. */
  placement(names: readonly string[]): Map<string, string> {
    const ids = names.map((name) => this.idOf(name));
    return new Map(
      this.tenantIds.map((tenant) => [tenant, this.nameOf(desiredOwner(tenant, ids)!)!]),
    );
  }

  /** The `DATABASE_URL` every instance gets. */
  get databaseUrl(): string {
    return `${this.database.url}&idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_MS}`;
  }

  /**
   * Starts instance `name` (with `env` on top of the deployment's) and waits until it answers
   * `/status` (it has joined the cluster). A name started again gets the same id, as a pod
   * restarted under its name does.
   */
  async start(name: string, env: Record<string, string> = {}): Promise<ClusterInstance> {
    const id = this.idOf(name);
    const previous = this.#instances.get(name);
    if (previous) this.#retired.push(previous.process);
    const port = freePort();
    const tokens = Object.fromEntries(
      [...this.bots].map(([tenant, bot]) => [`${tenant.toUpperCase()}_TOKEN`, bot.token]),
    );
    const process = RuntimeProcess.start({
      CONFIG_DIR: this.dir,
      DATABASE_URL: this.databaseUrl,
      INSTANCE_ID: id,
      LEASE_TTL_MS: String(LEASE_TTL_MS),
      LEASE_RENEW_MS: String(LEASE_RENEW_MS),
      HTTP_PORT: String(port),
      ADMIN_TOKEN,
      LOG_FORMAT: "json",
      // For a failure to investigate: CLUSTER_LOG_LEVEL=debug, with CLUSTER_LOG_DIR to keep them.
      LOG_LEVEL: Deno.env.get("CLUSTER_LOG_LEVEL") ?? "info",
      ...tokens,
      ...env,
    });
    const instance: ClusterInstance = { name, id, port, process };
    this.#instances.set(name, instance);
    const exited = process.status.then((status) => {
      throw new Error(`instance ${name} exited with ${status.code} while starting`);
    });
    exited.catch(() => {}); // every instance exits at the end of the test
    const answering = waitUntil(`instance ${name} answering /status`, async () => {
      try {
        return (await this.status(name)).instance === id;
      } catch {
        return false; // not listening yet
      }
    }, PROCESS_WAIT_MS);
    try {
      await Promise.race([answering, exited]);
    } catch (error) {
      throw new Error(`${(error as Error).message}; log:\n${process.log}`, { cause: error });
    }
    return instance;
  }

  /** `/status` of instance `name`. */
  async status(name: string): Promise<{ instance: string; tenants: ClusterTenantStatus[] }> {
    // A deadline of its own, cleared afterwards: an instance that hangs fails the wait around
    // this call instead of holding it forever.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), 2_000);
    try {
      const response = await fetch(`http://127.0.0.1:${this.instance(name).port}/status`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        signal: deadline.signal,
      });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`/status answered ${response.status}: ${body}`);
      return JSON.parse(body);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Waits until instance `name` has logged `phrase` about `tenant` (a JSON line whose `tenant`
   * field or message names it) after log offset `from`.
   */
  async waitForTenantLog(name: string, tenant: string, phrase: string, from = 0): Promise<void> {
    const about = (line: string) =>
      line.includes(phrase) &&
      (line.includes(`"tenant":"${tenant}"`) || line.includes(`Tenant ${tenant}:`));
    const process = this.instance(name).process;
    await waitUntil(
      `instance ${name} logging "${phrase}" for ${tenant}`,
      () => process.log.slice(from).split("\n").some(about),
      PROCESS_WAIT_MS,
    ).catch((error) => {
      throw new Error(`${error.message}; log:\n${process.log.slice(from)}`, { cause: error });
    });
  }

  /** A sample of instance `name`'s `/metrics` (0 when it has none yet). */
  async metric(name: string, metric: string, labels: Record<string, string>): Promise<number> {
    const response = await fetch(`http://127.0.0.1:${this.instance(name).port}/metrics`);
    return sampleValue(await response.text(), metric, labels) ?? 0;
  }

  /** The tenants instance `name` runs, by its `/status`. */
  async runningOn(name: string): Promise<string[]> {
    const { tenants } = await this.status(name);
    return tenants.filter((tenant) => tenant.state === "running").map((tenant) => tenant.id);
  }

  /**
   * Waits until every tenant runs on exactly the instance `placement(names)` gives it, by the
   * `/status` of each of `names`, and returns that placement.
   */
  async waitPlaced(names: readonly string[], timeoutMs = PROCESS_WAIT_MS) {
    const expected = this.placement(names);
    let seen = "";
    try {
      await waitUntil(`every tenant running where placement puts it`, async () => {
        // An instance may be slow to answer `/status` for a moment (its database restarting):
        // that is "not placed yet", not a failure; the wait's own deadline still applies.
        let running: string[][];
        try {
          running = await Promise.all(names.map((name) => this.runningOn(name)));
        } catch (error) {
          seen = `no answer (${(error as Error).message})`;
          return false;
        }
        const actual = new Map<string, string[]>();
        names.forEach((name, i) => {
          for (const tenant of running[i]) actual.set(tenant, [...actual.get(tenant) ?? [], name]);
        });
        seen = JSON.stringify(Object.fromEntries(actual));
        return this.tenantIds.every((tenant) =>
          JSON.stringify(actual.get(tenant)) === JSON.stringify([expected.get(tenant)])
        );
      }, timeoutMs);
    } catch (error) {
      throw new Error(
        `${(error as Error).message}: expected ${
          JSON.stringify(Object.fromEntries(expected))
        }, last seen ${seen}\n${this.logs(40)}`,
        { cause: error },
      );
    }
    return expected;
  }

  /** The tenants `name` should run when `names` are live. */
  tenantsOf(name: string, names: readonly string[]): string[] {
    return [...this.placement(names)].filter(([, owner]) => owner === name).map(([t]) => t);
  }

  /** Pauses instance `name` (SIGSTOP): it keeps its sockets and holds whatever it held. */
  pause(name: string): void {
    this.instance(name).process.signal("SIGSTOP");
  }

  /** Lets a paused instance go on (SIGCONT). */
  resume(name: string): void {
    this.instance(name).process.signal("SIGCONT");
  }

  /** Every lease row, by tenant id. */
  async leases(): Promise<Map<string, LeaseRecord>> {
    const rows = await this.database.query((q) =>
      q.all<Record<string, unknown>>(
        `SELECT tenant_id, owner, epoch,
                (extract(epoch from acquired_at) * 1000)::bigint AS acquired_ms
         FROM tenant_leases`,
      )
    );
    return new Map(rows.map((row) => [String(row.tenant_id), {
      tenantId: String(row.tenant_id),
      owner: row.owner === null ? null : String(row.owner),
      epoch: Number(row.epoch),
      acquiredAtMs: row.acquired_ms === null ? null : Number(row.acquired_ms),
    }]));
  }

  /** Every process started, in order (an instance started again has two). */
  get #processes(): RuntimeProcess[] {
    return [...this.#retired, ...[...this.#instances.values()].map((i) => i.process)];
  }

  /** Every instance's log (its last `tail` lines when given), for a failure message. */
  logs(tail = Infinity): string {
    return this.#processes.map((process, i) => {
      const lines = process.log.trimEnd().split("\n");
      const shown = lines.length > tail ? ["…", ...lines.slice(-tail)] : lines;
      return `--- instance process ${i} (pid ${process.pid})\n${shown.join("\n")}`;
    }).join("\n");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#processes.map((process) => process.stop("SIGKILL")));
    // For a failure too long to read in a message: CLUSTER_LOG_DIR keeps every instance's log.
    const keep = Deno.env.get("CLUSTER_LOG_DIR");
    if (keep) {
      await Deno.mkdir(keep, { recursive: true });
      await Deno.writeTextFile(
        `${keep}/${this.database.url.split("search_path=")[1]}.log`,
        this.logs(),
      );
    }
    await this.database.dispose();
    await Deno.remove(this.dir, { recursive: true });
  }
}

/**
 * Instance ids for `names` (`<name>-<random>`) such that in each of `placements`, every instance
 * is the desired owner of at least one tenant.
 */
function drawIds(
  tenants: readonly string[],
  names: readonly string[],
  placements: readonly (readonly string[])[],
): Map<string, string> {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const ids = new Map(names.map((name) => [name, `${name}-${crypto.randomUUID().slice(0, 6)}`]));
    const fits = placements.every((live) => {
      const liveIds = live.map((name) => ids.get(name)!);
      const owners = new Set(tenants.map((tenant) => desiredOwner(tenant, liveIds)));
      return liveIds.every((id) => owners.has(id));
    });
    if (fits) return ids;
  }
  throw new Error(`no instance ids give each of ${names} a tenant among ${tenants}`);
}
