/**
 * One `main.ts` process of the failover benchmark, started as an operator starts an instance:
 * its own `INSTANCE_ID` and HTTP port, the shared `CONFIG_DIR` and PostgreSQL `DATABASE_URL`,
 * and the lease timings under test. It may connect to 127.0.0.1 only. The benchmark reads its
 * `/status` (which tenant runs where) and ends it with SIGKILL, as a crash would.
 *
 * @example
 * ```ts ignore
 * import { ClusterInstance } from "./cluster_instance.ts";
 * const a = ClusterInstance.start("bench-a", { CONFIG_DIR: dir, DATABASE_URL: url });
 * await a.answering();
 * const { tenants } = await a.status();
 * await a.kill();
 * ```
 * @module
 */
import { freePort } from "../tests/support/free_port.ts";
import { withDeadline } from "./stats.ts";

const mainUrl = new URL("../main.ts", import.meta.url);
const root = new URL("../", import.meta.url).pathname;

/** `/status` is behind this token; the instance is on loopback and lives for one benchmark. */
const adminToken = "bench-admin-token";

/** Longest wait for a started instance to answer `/status`. */
const startDeadlineMs = 60_000;

/** One tenant as `/status` lists it in cluster mode. */
export interface TenantPlacement {
  id: string;
  /** `running` on this instance, `remote` when another one owns it, … */
  state: string;
  owner: string | null;
  epoch: number;
}

/** See the module documentation. */
export class ClusterInstance {
  readonly id: string;
  readonly port: number;
  readonly #child: Deno.ChildProcess;
  /** What the process printed (warnings and errors only), for a failure to show. */
  #output = "";

  private constructor(id: string, port: number, child: Deno.ChildProcess) {
    this.id = id;
    this.port = port;
    this.#child = child;
    for (const stream of [child.stdout, child.stderr]) void this.#collect(stream);
  }

  /** Starts `main.ts` as instance `id` with `env` (config, database, lease timings, tokens). */
  static start(id: string, env: Record<string, string>): ClusterInstance {
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--unstable-worker-options",
        "--allow-net=127.0.0.1",
        "--allow-env",
        "--allow-read",
        `--allow-write=${env.CONFIG_DIR}`,
        "--allow-sys",
        mainUrl.pathname,
      ],
      cwd: root,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? "",
        DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
        NO_COLOR: "1",
        // No `.env` of the working copy: the instance gets exactly what the benchmark gives it.
        ENV_FILE: "",
        INSTANCE_ID: id,
        HTTP_PORT: String(port),
        HTTP_HOSTNAME: "127.0.0.1",
        ADMIN_TOKEN: adminToken,
        LOG_LEVEL: "warning",
        ...env,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new ClusterInstance(id, port, child);
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) this.#output += chunk;
  }

  /** What the process printed so far. */
  get output(): string {
    return this.#output;
  }

  /** Resolves once the instance answers `/status`; fails if it exits first. */
  async answering(): Promise<void> {
    let exited = false;
    this.#child.status.then(() => exited = true);
    await withDeadline(
      (async () => {
        for (;;) {
          if (exited) throw new Error(`bench: instance ${this.id} exited:\n${this.#output}`);
          if (await this.status().then(() => true, () => false)) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })(),
      startDeadlineMs,
      `instance ${this.id} answering /status`,
    );
  }

  /** The instance's view of every tenant. */
  async status(): Promise<{ instance: string; tenants: TenantPlacement[] }> {
    const response = await fetch(`http://127.0.0.1:${this.port}/status`, {
      headers: { authorization: `Bearer ${adminToken}` },
      signal: AbortSignal.timeout(2_000),
    });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`/status answered ${response.status}: ${body}`);
    return JSON.parse(body);
  }

  /** SIGKILL; resolves with when the process was gone (performance.now()). */
  async kill(): Promise<number> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#child.status;
    return performance.now();
  }
}
