/**
 * A throwaway PostgreSQL server for the tests: `initdb` into a temporary folder, `pg_ctl start`
 * on a free port of 127.0.0.1 (and a unix socket in that folder), created the first time a test
 * asks for it and shared by every PostgreSQL test of the process. Each test gets a store of its
 * own ({@linkcode freshPostgresDatabase}): a new schema in the shared test database, named in the
 * URL's `search_path` (which PostgreSQL takes as a session setting), so the same URL works for
 * the runtime in a subprocess. A schema takes about a millisecond to create, where a database
 * takes 50 to 250 ms (PostgreSQL copies its template and checkpoints). The server runs without
 * fsync, as nothing in it has to survive a power cut; starting it takes about a second.
 *
 * PostgreSQL refuses to run as root, so when the tests run as root (CI does) the server and its
 * tools run as the `postgres` system user (`runuser -u postgres -- …`), in a folder it owns.
 *
 * Removal: an `unload` listener stops the server (`pg_ctl stop -m immediate`) and deletes the
 * folder when the test process ends, and a watchdog shell started alongside does the same if
 * the test process dies without unloading (a `kill -9`, a crash), checking once a second.
 *
 * Binaries: the folder `PG_BIN` names, else the newest `/usr/lib/postgresql/<version>/bin`
 * (Debian's layout), else `initdb` on the `PATH`; `.ci/run` installs PostgreSQL when neither has it. Without them, the PostgreSQL
 * tests are skipped with {@linkcode postgresSkipReason} as the reason, except under CI (`CI=true`),
 * where they run and fail, saying that the binaries are missing.
 *
 * @example
 * ```ts ignore
 * import { freshPostgresDatabase, postgresIgnored } from "./postgres_cluster.ts";
 * import { openDatabase } from "../../adapters/storage/open_database.ts";
 *
 * Deno.test({ name: "works on PostgreSQL", ignore: postgresIgnored, fn: async () => {
 *   const fresh = await freshPostgresDatabase();
 *   const db = await openDatabase(fresh.url);
 *   await db.close();
 *   await fresh.drop();
 * } });
 * ```
 * @module
 */
import postgres from "postgres";
import { freePort } from "./free_port.ts";

/**
 * The folder of `initdb`, `pg_ctl` and `postgres`, or `undefined` when none was found. `PG_BIN`
 * in the environment names the folder instead of searching (one without them: none found).
 */
export function findPostgresBinaries(): string | undefined {
  const executable = (path: string) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  };
  const named = Deno.env.get("PG_BIN");
  if (named !== undefined) {
    return executable(`${named}/initdb`) && executable(`${named}/pg_ctl`) ? named : undefined;
  }
  const debian = "/usr/lib/postgresql";
  try {
    const versions = [...Deno.readDirSync(debian)]
      .map((entry) => entry.name)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const bin = `${debian}/${version}/bin`;
      if (executable(`${bin}/initdb`) && executable(`${bin}/pg_ctl`)) return bin;
    }
  } catch {
    // No Debian layout here.
  }
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter(Boolean)) {
    if (executable(`${dir}/initdb`) && executable(`${dir}/pg_ctl`)) {
      try {
        // A symlink into the real folder, where `postgres` is.
        const real = Deno.realPathSync(`${dir}/initdb`);
        return real.slice(0, real.lastIndexOf("/"));
      } catch {
        return dir;
      }
    }
  }
  return undefined;
}

const binaries = findPostgresBinaries();
const inCi = Deno.env.get("CI") === "true";

/**
 * Why the PostgreSQL tests are skipped here, or `undefined` when they run: they are skipped only
 * when the binaries are missing outside CI.
 */
export const postgresSkipReason: string | undefined = binaries === undefined && !inCi
  ? "PostgreSQL binaries (initdb, pg_ctl) not found in PG_BIN, /usr/lib/postgresql/*/bin or " +
    "the PATH; install PostgreSQL (apt-get install postgresql) to run the PostgreSQL tests"
  : undefined;

/** `ignore` for a `Deno.test` that needs PostgreSQL. */
export const postgresIgnored = postgresSkipReason !== undefined;

if (postgresIgnored) console.warn(`Skipping the PostgreSQL tests: ${postgresSkipReason}.`);

/** The running shared server. */
export interface PostgresCluster {
  /** 127.0.0.1 */
  readonly host: string;
  readonly port: number;
  /** The temporary folder: data, log and socket. */
  readonly dir: string;
  /** The URL of `database` on this server, as the superuser `postgres` (trust, no password). */
  url(database: string): string;
  /** The server's log so far, for a failing test to show. */
  log(): string;
}

/** A store of its own for one test: an empty schema of the shared test database. */
export interface FreshPostgresDatabase {
  /** The schema's name. */
  name: string;
  /** `postgres://postgres@127.0.0.1:<port>/constellation_tests?search_path=<name>` */
  url: string;
  /** Drops the schema and everything in it (a failure is ignored: the server goes anyway). */
  drop(): Promise<void>;
}

/** The database every test's schema is created in. */
const TEST_DATABASE = "constellation_tests";

let cluster: Promise<PostgresCluster> | undefined;
let databases = 0;

/** The shared server, started on first use. */
export function postgresCluster(): Promise<PostgresCluster> {
  cluster ??= startCluster().catch((error) => {
    cluster = undefined;
    throw error;
  });
  return cluster;
}

/**
 * Creates an empty schema in the shared test database, starting the server first when needed;
 * `prefix` starts its name, for reading the server's log.
 */
export async function freshPostgresDatabase(prefix = "test"): Promise<FreshPostgresDatabase> {
  const server = await postgresCluster();
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9_]/g, "_")}_${++databases}_${
    crypto.randomUUID().slice(0, 8)
  }`;
  await admin(server, TEST_DATABASE, (sql) => sql.unsafe(`CREATE SCHEMA "${name}"`));
  return {
    name,
    url: `${server.url(TEST_DATABASE)}?search_path=${name}`,
    drop: () =>
      admin(server, TEST_DATABASE, async (sql) => {
        await sql.unsafe("SET lock_timeout = '5s'");
        await sql.unsafe(`DROP SCHEMA "${name}" CASCADE`);
      }).catch(() => {}),
  };
}

/**
 * Restarts the shared server as an operator would (`pg_ctl restart -m fast`): every connection
 * is cut and every open transaction rolled back, then the server comes back on the same port
 * with the same data. Resolves once it accepts connections again.
 */
export async function restartPostgres(): Promise<void> {
  const server = await postgresCluster();
  await run(`${binaries}/pg_ctl`, [
    "restart",
    "-D",
    `${server.dir}/data`,
    "-l",
    `${server.dir}/server.log`,
    "-m",
    "fast",
    "-w",
    "-t",
    "30",
  ]);
}

/** Runs `work` on a short-lived connection to `database`. */
async function admin(
  server: PostgresCluster,
  database: string,
  work: (sql: postgres.Sql) => Promise<unknown>,
) {
  const sql = postgres(server.url(database), { max: 1, onnotice: () => {} });
  try {
    await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** How a PostgreSQL tool is run: as the `postgres` user when we are root. */
function asServerUser(command: string, args: string[]): { command: string; args: string[] } {
  return Deno.uid() === 0
    ? { command: "runuser", args: ["-u", "postgres", "--", command, ...args] }
    : { command, args };
}

async function run(command: string, args: string[]): Promise<string> {
  const as = asServerUser(command, args);
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(as.command, {
      args: as.args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error(`cannot run ${command}: ${(error as Error).message}`, { cause: error });
  }
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`${command} ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** The uid and gid of the `postgres` user, from /etc/passwd. */
function postgresUser(): { uid: number; gid: number } {
  const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) =>
    l.startsWith("postgres:")
  );
  if (line === undefined) {
    throw new Error(
      "the tests run as root and there is no postgres user to run PostgreSQL as " +
        "(PostgreSQL refuses to run as root); installing the postgresql package creates it",
    );
  }
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

async function startCluster(): Promise<PostgresCluster> {
  if (binaries === undefined) {
    throw new Error(
      "PostgreSQL binaries (initdb, pg_ctl) not found in PG_BIN, /usr/lib/postgresql/*/bin or " +
        "the PATH, and CI=true: CI must run the PostgreSQL tests (.ci/run installs postgresql)",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "constellation-pg-" });
  if (Deno.uid() === 0) {
    const { uid, gid } = postgresUser();
    await Deno.chown(dir, uid, gid);
  }
  const data = `${dir}/data`;
  const logFile = `${dir}/server.log`;
  const stop = () => {
    try {
      const as = asServerUser(`${binaries}/pg_ctl`, ["stop", "-D", data, "-m", "immediate"]);
      new Deno.Command(as.command, { args: as.args, stdout: "null", stderr: "null" }).outputSync();
    } catch {
      // Already stopped.
    }
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already removed.
    }
  };
  try {
    await run(`${binaries}/initdb`, [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
      "--no-instructions",
    ]);
    let port = 0;
    for (let attempt = 1;; attempt++) {
      port = freePort();
      const options = [
        `-c listen_addresses=127.0.0.1`,
        `-p ${port}`,
        `-k ${dir}`,
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
        "-c max_connections=300",
      ].join(" ");
      try {
        await run(`${binaries}/pg_ctl`, [
          "start",
          "-D",
          data,
          "-l",
          logFile,
          "-w",
          "-t",
          "30",
          "-o",
          options,
        ]);
        break;
      } catch (error) {
        // Another program took the port in between: try another one.
        if (attempt >= 3) throw new Error(`${(error as Error).message}\n${readLog(logFile)}`);
      }
    }
    globalThis.addEventListener("unload", stop);
    startWatchdog(dir, data);
    const server: PostgresCluster = {
      host: "127.0.0.1",
      port,
      dir,
      url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
      log: () => readLog(logFile),
    };
    await admin(server, "postgres", (sql) => sql.unsafe(`CREATE DATABASE ${TEST_DATABASE}`));
    return server;
  } catch (error) {
    stop();
    throw error;
  }
}

function readLog(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "(no server log)";
  }
}

/**
 * A detached shell that stops the server and removes its folder once this process is gone and
 * did not do it itself (killed, crashed). It ends as soon as the folder is gone.
 */
function startWatchdog(dir: string, data: string): void {
  const stop = asServerUser(`${binaries}/pg_ctl`, ["stop", "-D", data, "-m", "immediate"]);
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const script = `(
    while kill -0 ${Deno.pid} 2>/dev/null && [ -d ${quote(dir)} ]; do sleep 1; done
    if [ -d ${quote(dir)} ]; then
      ${[stop.command, ...stop.args].map(quote).join(" ")}
      rm -rf ${quote(dir)}
    fi
  ) </dev/null >/dev/null 2>&1 &`;
  // The shell returns at once; the loop lives on in the background, outside this process.
  new Deno.Command("sh", { args: ["-c", script], stdin: "null", stdout: "null", stderr: "null" })
    .outputSync();
}
