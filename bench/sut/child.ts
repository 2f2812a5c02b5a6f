/**
 * The system-under-test process: `deno run … bench/sut/child.ts <plan.json>`. It starts the
 * plan's bots (the runtime or plain grammY), reports on stdout (`SutEvent` lines), and answers
 * `memory`, `cpu` and `exit` commands read from stdin. It exits when stdin closes, so it never
 * outlives the benchmark. The sandbox lives in the parent; everything here talks to it on
 * 127.0.0.1.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env \
 *   --v8-flags=--expose-gc bench/sut/child.ts /tmp/plan.json
 * ```
 * @module
 */
import "../../adapters/observability/node_warnings.ts";
import process from "node:process";
import { configureLogging } from "../../adapters/observability/logging.ts";
import type { SutCommand, SutEvent, SutPlan } from "./plan.ts";

const encoder = new TextEncoder();

function emit(event: SutEvent): void {
  Deno.stdout.writeSync(encoder.encode(`${JSON.stringify(event)}\n`));
}

/** Resident memory after collecting garbage (with --expose-gc), so only live data counts. */
async function settledMemory(): Promise<SutEvent> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 2; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { rss, heapUsed } = Deno.memoryUsage();
  return { event: "memory", rss, heapUsed };
}

/**
 * With `BENCH_HEAP_DIR` set, a V8 heap snapshot of what is live (the snapshot collects the
 * garbage first) goes there too, named for the moment: idle after start-up (`idle`), and each
 * time the CPU time is read, before and right after a burst (`cpu`). Writing one stops the
 * process for a second or so, so a profiled run's figures are not to be read as results. Open
 * it in Chrome DevTools' Memory tab.
 */
async function heapSnapshot(moment: string): Promise<void> {
  const dir = Deno.env.get("BENCH_HEAP_DIR");
  if (dir === undefined) return;
  const { writeHeapSnapshot } = await import("node:v8");
  writeHeapSnapshot(`${dir}/heap-${plan.kind}-${moment}-${Deno.pid}-${Date.now()}.heapsnapshot`);
}

/** The inspector session of the allocation sampling, and whether it is sampling now. */
let sampler: import("node:inspector").Session | undefined;
let sampling = false;

/**
 * With `BENCH_ALLOC_DIR` set, V8's sampling heap profiler records where memory is allocated
 * between the first and the second time the CPU time is read — a burst — counting what the
 * garbage collector freed too, and writes a `.heapprofile` there (`bench/alloc_top.ts` reads it;
 * Chrome DevTools' Memory tab opens it).
 */
async function allocationSampling(): Promise<void> {
  const dir = Deno.env.get("BENCH_ALLOC_DIR");
  if (dir === undefined) return;
  const { Session } = await import("node:inspector");
  sampler ??= new Session();
  const session = sampler;
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (error, result) => error ? reject(error) : resolve(result))
    );
  if (!sampling) {
    session.connect();
    await post("HeapProfiler.startSampling", {
      samplingInterval: 16_384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    sampling = true;
    return;
  }
  const { profile } = await post("HeapProfiler.stopSampling") as { profile: unknown };
  sampling = false;
  session.disconnect();
  const path = `${dir}/alloc-${plan.kind}-${Deno.pid}-${Date.now()}.heapprofile`;
  await Deno.writeTextFile(path, JSON.stringify(profile));
}
const [planPath] = Deno.args;
if (planPath === undefined) throw new Error("usage: child.ts <plan.json>");
const plan = JSON.parse(await Deno.readTextFile(planPath)) as SutPlan;
// Logs at `info` as in production (issue 15: no benchmark-only shortcuts), formatted, redacted
// and written synchronously line by line as on stderr, but into a file next to the plan: a
// thousand tenants saying hello would drown the benchmark's own output.
const logFile = await Deno.open(`${planPath}.log`, { write: true, create: true, append: true });
await configureLogging({
  level: "info",
  format: "json",
  write: (line) => void logFile.writeSync(encoder.encode(line)),
});

// Each kind loads only its own modules, so the memory of one does not count against the other.
if (plan.kind === "runtime") {
  const { prepareRuntime } = await import("./runtime_host.ts");
  const start = await prepareRuntime(plan);
  emit({ event: "starting" });
  await start();
} else {
  const { startGrammyBots } = await import("./grammy_bots.ts");
  emit({ event: "starting" });
  startGrammyBots(plan);
}
emit({ event: "started" });

const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let buffer = "";
for await (const chunk of lines) {
  buffer += chunk;
  let newline: number;
  while ((newline = buffer.indexOf("\n")) >= 0) {
    const command = buffer.slice(0, newline).trim() as SutCommand;
    buffer = buffer.slice(newline + 1);
    // No graceful stop: the benchmark is over, and stopping 1000 tenants would only cost time.
    if (command === "exit") Deno.exit(0);
    if (command === "memory") {
      emit(await settledMemory());
      await heapSnapshot("idle");
    }
    if (command === "cpu") {
      const { user, system } = process.cpuUsage();
      emit({ event: "cpu", ms: (user + system) / 1000 });
      await heapSnapshot("cpu");
      await allocationSampling();
    }
  }
}
Deno.exit(0);
