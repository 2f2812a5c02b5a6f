/**
 * Runs `main.ts` as a child process, the way an operator does, and lets a test read its log as it
 * is written. Used by the end-to-end tests (start-up, config errors, crash recovery).
 *
 * @example
 * ```ts ignore
 * const proc = RuntimeProcess.start({ CONFIG_DIR: dir });
 * await proc.waitForLog(/running 1 tenant/);
 * await proc.stop("SIGTERM");
 * ```
 * @module
 */

const root = new URL("../../", import.meta.url);

/** A running `main.ts`. */
export class RuntimeProcess {
  readonly #child: Deno.ChildProcess;
  #log = "";
  #waiters: (() => void)[] = [];
  readonly #reading: Promise<void>;
  readonly status: Promise<Deno.CommandStatus>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#reading = Promise.all([
      this.#collect(child.stdout),
      this.#collect(child.stderr),
    ]).then(() => {});
    this.status = child.status;
  }

  /**
   * Starts `main.ts` with exactly `env` (plus PATH and HOME, which Deno needs). With
   * `openFilesLimit`, under that limit of open files (soft and hard: Deno raises its soft limit
   * to the hard one as it starts), as on a box whose hard limit is 1024.
   */
  static start(
    env: Record<string, string>,
    options: { openFilesLimit?: number } = {},
  ): RuntimeProcess {
    // `ulimit` is the shell's: the process is started through `sh`, which then becomes Deno.
    const limited = options.openFilesLimit !== undefined;
    const command = limited ? "sh" : Deno.execPath();
    const prefix = limited
      ? ["-c", `ulimit -n ${options.openFilesLimit} && exec "$0" "$@"`, Deno.execPath()]
      : [];
    const child = new Deno.Command(command, {
      args: [
        ...prefix,
        "run",
        // Each tenant's plugin runs in a worker with permissions of its own.
        "--unstable-worker-options",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "--allow-write",
        "--allow-sys",
        "main.ts",
      ],
      cwd: root,
      clearEnv: true,
      env: {
        ...childDenoEnv(),
        // A free port each run, so tests never collide over 8080; a test may name its own.
        HTTP_PORT: "0",
        HTTP_HOSTNAME: "127.0.0.1",
        // On PostgreSQL a restarted process (same id) takes its tenants' leases back at once,
        // as a pod restarted under its name does, instead of waiting out its earlier life's TTL.
        INSTANCE_ID: "test-instance",
        ...env,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new RuntimeProcess(child);
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      this.#log += chunk;
      for (const wake of this.#waiters.splice(0)) wake();
    }
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  get log(): string {
    return this.#log;
  }

  /**
   * Resolves when the log matches `pattern`; rejects after `timeoutMs` showing the log. With
   * `from` (a length of {@linkcode log} taken earlier), only what was written since counts, so a
   * test can wait for the second occurrence of a line.
   */
  async waitForLog(pattern: RegExp, timeoutMs = 15_000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const match = this.#log.slice(from).match(pattern);
      if (match) return match;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`log never matched ${pattern} within ${timeoutMs} ms; log:\n${this.#log}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, Math.min(left, 250));
      });
      clearTimeout(timer);
    }
  }

  /** Sends `signal` (SIGHUP, say) without waiting for anything. */
  signal(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Sends `signal` and waits for the process to end and its output to be read. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
    const status = await this.status;
    await this.#reading;
    return status;
  }

  /** Waits for the process to exit by itself. */
  async exited(): Promise<Deno.CommandStatus> {
    const status = await this.status;
    await this.#reading;
    return status;
  }
}

/**
 * The environment a child `deno` needs and nothing else (no token of the test's own process
 * leaks in): its PATH, HOME and cache, and plain output.
 */
export function childDenoEnv(): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
    NO_COLOR: "1",
  };
}
