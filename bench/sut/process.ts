/**
 * The parent's handle on a system-under-test process (`child.ts`): spawns it with a plan and
 * loopback-only network permission, reads its events, asks it for its memory and ends it.
 *
 * @example
 * ```ts ignore
 * import { SutProcess } from "./process.ts";
 * const sut = await SutProcess.spawn(plan, workDir);
 * const startedAt = await sut.starting();
 * const { rss } = await sut.memory();
 * await sut.exit();
 * ```
 * @module
 */
import type { SutEvent, SutPlan } from "./plan.ts";

const childUrl = new URL("./child.ts", import.meta.url);

/**
 * Memory as the child reports it, in bytes.
 *
 * @example
 * ```ts ignore
 * const { rss, heapUsed }: SutMemory = await sut.memory();
 * ```
 */
export interface SutMemory {
  rss: number;
  heapUsed: number;
}

/**
 * A running child; see the module documentation.
 *
 * @example
 * ```ts ignore
 * const sut = await SutProcess.spawn(plan, workDir);
 * await sut.exit();
 * ```
 */
export class SutProcess {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #events: { event: SutEvent; at: number }[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    void this.#read(child.stdout);
    child.status.then(() => {
      this.#ended = true;
      this.#wakeAll();
    });
  }

  /**
   * Writes the plan next to the other run files in `workDir` and starts the child. It may only
   * connect to 127.0.0.1, so no bot can reach anything but the sandbox.
   */
  static async spawn(plan: SutPlan, workDir: string): Promise<SutProcess> {
    const planPath = `${workDir}/plan-${crypto.randomUUID()}.json`;
    await Deno.writeTextFile(planPath, JSON.stringify(plan));
    // BENCH_PROFILE_DIR=<dir> makes every child write a V8 CPU profile there, to find what is
    // slow in the bots under test (open it in Chrome DevTools, or read its top frames).
    const profileDir = Deno.env.get("BENCH_PROFILE_DIR");
    const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
    // BENCH_ALLOC_DIR=<dir>: where each child writes its allocation profile of a burst, and
    // BENCH_HEAP_DIR=<dir> its heap snapshots (child.ts); each slows the child down.
    const allocDir = Deno.env.get("BENCH_ALLOC_DIR");
    const heapDir = Deno.env.get("BENCH_HEAP_DIR");
    // BENCH_V8_FLAGS=--trace-gc (comma-separated) passes V8 flags on, e.g. to watch the heap.
    const v8Flags = ["--expose-gc", ...(Deno.env.get("BENCH_V8_FLAGS")?.split(",") ?? [])];
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        // Each tenant's plugin runs in a worker with permissions of its own.
        "--unstable-worker-options",
        "--allow-net=127.0.0.1",
        "--allow-read",
        `--allow-write=${[workDir, profileDir, allocDir, heapDir].filter(Boolean).join(",")}`,
        // The allocation profile needs the inspector, which Deno counts as system access.
        ...(allocDir ? ["--allow-sys"] : []),
        "--allow-env",
        `--v8-flags=${v8Flags.join(",")}`,
        ...profile,
        childUrl.pathname,
        planPath,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    return new SutProcess(child);
  }

  async #read(stdout: ReadableStream<Uint8Array>): Promise<void> {
    let buffer = "";
    for await (const chunk of stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        // Anything else the child prints (a V8 trace, a stray log line) is passed on as it is.
        if (!line.startsWith("{")) {
          console.error(line);
          continue;
        }
        this.#events.push({ event: JSON.parse(line) as SutEvent, at: performance.now() });
        this.#wakeAll();
      }
    }
  }

  #wakeAll(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** The next event of `type`, with when it arrived (performance.now()). */
  async #next<T extends SutEvent["event"]>(
    type: T,
  ): Promise<{ event: Extract<SutEvent, { event: T }>; at: number }> {
    for (;;) {
      const index = this.#events.findIndex((e) => e.event.event === type);
      if (index >= 0) {
        const [found] = this.#events.splice(index, 1);
        return found as { event: Extract<SutEvent, { event: T }>; at: number };
      }
      if (this.#ended) throw new Error(`the bench child exited before reporting "${type}"`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** When the child was about to start its bots (performance.now() in this process). */
  async starting(): Promise<number> {
    return (await this.#next("starting")).at;
  }

  /** When the child's start call returned. */
  async started(): Promise<number> {
    return (await this.#next("started")).at;
  }

  /** The child's resident memory after a garbage collection. */
  async memory(): Promise<SutMemory> {
    await this.#stdin.write(new TextEncoder().encode("memory\n"));
    const { event } = await this.#next("memory");
    return { rss: event.rss, heapUsed: event.heapUsed };
  }

  /**
   * CPU time the child has used so far (all its threads: JavaScript, garbage collection, I/O),
   * in ms. Throughput depends on what else the machine runs; CPU time per update much less so.
   */
  async cpuMs(): Promise<number> {
    await this.#stdin.write(new TextEncoder().encode("cpu\n"));
    return (await this.#next("cpu")).event.ms;
  }

  /**
   * The child's peak resident memory so far, in bytes (`VmHWM` of `/proc/<pid>/status`): the
   * kernel keeps the high-water mark, so a burst's peak is caught without sampling in the child
   * (sampling would add work to the process being measured). `undefined` where `/proc` is
   * missing (not Linux).
   */
  async peakRss(): Promise<number | undefined> {
    // Through `cat`: Deno reads `/proc` itself only with --allow-all, which the bench does not have.
    const status = await new Deno.Command("cat", {
      args: [`/proc/${this.#child.pid}/status`],
      stderr: "null",
    }).output().then((out) => new TextDecoder().decode(out.stdout), () => "");
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  }

  /** Ends the child and waits for it. */
  async exit(): Promise<void> {
    if (!this.#ended) {
      await this.#stdin.write(new TextEncoder().encode("exit\n")).catch(() => {});
    }
    await this.#child.status;
    await this.#stdin.close().catch(() => {});
  }
}
