/**
 * A throwaway PostgreSQL server for the benchmarks: `initdb` into a temporary folder and the
 * server on a free port of 127.0.0.1, with a database of its own for each run. It finds the
 * binaries as the tests do (`findPostgresBinaries` of `tests/support/postgres_cluster.ts`), but
 * is a server of its own: the tests' server runs without fsync, and a comparison with SQLite at
 * `synchronous=FULL` is only fair when PostgreSQL is as durable, so this one keeps PostgreSQL's
 * defaults (fsync on, synchronous commit), as a production server has them.
 *
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (`setpriv`, which
 * execs rather than forks, so the process we signal is the server itself). A shell started
 * alongside owns the server: it stops it and removes the folder when told to (SIGTERM), when the
 * benchmark's process is gone (killed, crashed: it checks five times a second) or when the
 * server dies, so a `kill -9` of the benchmark leaves nothing running on a shared machine.
 *
 * @example
 * ```ts ignore
 * import { BenchPostgres } from "./postgres.ts";
 * await using server = await BenchPostgres.start();
 * const url = await server.createDatabase("throughput"); // postgres://postgres@127.0.0.1:…/…
 * ```
 * @module
 */
import postgres from "postgres";
import { findPostgresBinaries } from "../tests/support/postgres_cluster.ts";
import { freePort } from "../tests/support/free_port.ts";

/** Longest wait for the server to accept connections after its start. */
const startDeadlineMs = 30_000;

/** See the module documentation. */
export class BenchPostgres implements AsyncDisposable {
  readonly port: number;
  readonly #dir: string;
  readonly #owner: Deno.ChildProcess;
  #databases = 0;

  private constructor(port: number, dir: string, owner: Deno.ChildProcess) {
    this.port = port;
    this.#dir = dir;
    this.#owner = owner;
  }

  /** The folder of `initdb` and `postgres`, or `undefined` when PostgreSQL is not installed. */
  static binaries(): string | undefined {
    return findPostgresBinaries();
  }

  /** Creates the cluster and starts the server; resolves once it accepts connections. */
  static async start(): Promise<BenchPostgres> {
    const bin = BenchPostgres.binaries();
    if (bin === undefined) {
      throw new Error("bench: PostgreSQL binaries (initdb, postgres) not found");
    }
    // Not under the bench's own temp folder: that one is root's, and the server user must own it.
    const dir = await Deno.makeTempDir({ prefix: "constellation-bench-pg-" });
    const asServerUser = Deno.uid() === 0
      ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
      : [];
    if (asServerUser.length > 0) {
      const user = new Deno.Command("id", { args: ["-u", "postgres"] }).outputSync();
      const group = new Deno.Command("id", { args: ["-g", "postgres"] }).outputSync();
      if (!user.success) throw new Error("bench: running as root, and there is no postgres user");
      const number = (out: Uint8Array) => Number(new TextDecoder().decode(out).trim());
      await Deno.chown(dir, number(user.stdout), number(group.stdout));
    }
    const initdb = await new Deno.Command(asServerUser[0] ?? `${bin}/initdb`, {
      args: [
        ...asServerUser.slice(1),
        ...(asServerUser.length > 0 ? [`${bin}/initdb`] : []),
        ...["-D", `${dir}/data`, "-U", "postgres", "--auth=trust", "--encoding=UTF8"],
        // Unsynced: the empty cluster need not survive a power cut; every commit after it does.
        ...["--locale=C", "--no-sync", "--no-instructions"],
      ],
      stdin: "null",
    }).output();
    if (!initdb.success) {
      await Deno.remove(dir, { recursive: true });
      throw new Error(`bench: initdb failed:\n${new TextDecoder().decode(initdb.stderr)}`);
    }
    const port = freePort();
    const server = [
      ...asServerUser,
      `${bin}/postgres`,
      ...["-D", `${dir}/data`, "-p", String(port), "-k", dir],
      ...["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"],
    ];
    const owner = new Deno.Command("sh", {
      args: ["-c", ownerScript, "bench-postgres", String(Deno.pid), dir, ...server],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    const started = new BenchPostgres(port, dir, owner);
    try {
      await started.#ready();
    } catch (error) {
      await started[Symbol.asyncDispose]();
      throw error;
    }
    return started;
  }

  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication, no password). */
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Creates an empty database for one run and returns its URL; it goes with the server. */
  async createDatabase(prefix: string): Promise<string> {
    const name = `${prefix.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${++this.#databases}`;
    const sql = postgres(this.url("postgres"), { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(`CREATE DATABASE "${name}"`);
    } finally {
      await sql.end({ timeout: 5 });
    }
    return this.url(name);
  }

  /** Polls until the server answers a query, or fails with its log. */
  async #ready(): Promise<void> {
    let exited = false;
    this.#owner.status.then(() => exited = true);
    const deadline = Date.now() + startDeadlineMs;
    for (;;) {
      const sql = postgres(this.url("postgres"), {
        max: 1,
        connect_timeout: 1,
        onnotice: () => {},
      });
      try {
        await sql`SELECT 1`;
        return;
      } catch (error) {
        if (exited || Date.now() > deadline) {
          throw new Error(
            `bench: PostgreSQL did not start: ${(error as Error).message}\n${this.#log()}`,
          );
        }
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {});
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  #log(): string {
    try {
      return Deno.readTextFileSync(`${this.#dir}/server.log`);
    } catch {
      return "(no server log)";
    }
  }

  /** Stops the server at once (no checkpoint: nothing in it is kept) and removes its folder. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#owner.kill("SIGTERM");
    } catch {
      // Already gone, and the folder with it.
    }
    await this.#owner.status;
  }
}

/**
 * The shell that owns the server: `sh -c <script> <name> <bench pid> <dir> <server command…>`.
 * SIGQUIT is PostgreSQL's immediate shutdown; `sleep & wait` keeps the shell able to take its
 * SIGTERM at once.
 */
const ownerScript = `
bench=$1; dir=$2; shift 2
"$@" >"$dir/server.log" 2>&1 &
server=$!
finish() { kill -QUIT "$server" 2>/dev/null; wait "$server"; rm -rf "$dir"; exit 0; }
trap finish TERM INT HUP
while kill -0 "$bench" 2>/dev/null && kill -0 "$server" 2>/dev/null; do
  sleep 0.2 & wait $!
done
finish
`;

/**
 * The benchmark's one server, started when a section first asks for it. Where PostgreSQL is not
 * installed, a quick run outside CI skips the PostgreSQL parts (`server()` resolves with
 * `undefined`, `skipped` says why); a full run, or any run under `CI=true`, fails instead, so a
 * published table never lacks them silently.
 *
 * @example
 * ```ts ignore
 * await using supply = new PostgresSupply(quick);
 * const server = await supply.server(); // undefined: skipped, see supply.skipped
 * ```
 */
export class PostgresSupply implements AsyncDisposable {
  /** Why the PostgreSQL parts are skipped here, or `undefined` when they run. */
  readonly skipped: string | undefined;
  #server: Promise<BenchPostgres> | undefined;

  constructor(quick: boolean) {
    const optional = quick && Deno.env.get("CI") !== "true";
    this.skipped = optional && BenchPostgres.binaries() === undefined
      ? "PostgreSQL is not installed (PG_BIN, /usr/lib/postgresql/*/bin, PATH)"
      : undefined;
  }

  /** The server, started on first call; `undefined` when skipped. */
  server(): Promise<BenchPostgres | undefined> {
    if (this.skipped !== undefined) return Promise.resolve(undefined);
    this.#server ??= BenchPostgres.start();
    return this.#server;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const server = await this.#server?.catch(() => undefined);
    await server?.[Symbol.asyncDispose]();
  }
}
