/**
 * `deno task bench`: every benchmark at full size, printing each figure with its baseline and
 * ratio, then a summary table. `deno task bench --quick` (or `BENCH_QUICK=1`) runs a tiny smoke
 * version in seconds; `--only=<section>,…` runs some sections (throughput, pre-checkout,
 * memory, ledger, balance, failover). Everything runs on this machine: the sandbox listens on
 * 127.0.0.1 and the bots under test may connect to 127.0.0.1 only. Throughput and pre-checkout
 * run the runtime on SQLite and on PostgreSQL, and failover runs several `main.ts` on
 * PostgreSQL: in a throwaway server the benchmark starts (`postgres.ts`) when the first of
 * them needs it. A quick run outside CI skips those parts where PostgreSQL is not installed.
 *
 * @example
 * ```sh
 * deno task bench --quick
 * deno task bench --only=throughput
 * ```
 * @module
 */
import "../adapters/observability/node_warnings.ts";
import { balanceBench } from "./balance.ts";
import type { BenchContext } from "./context.ts";
import { failover } from "./failover.ts";
import { ledgerBench } from "./ledger.ts";
import { memoryAndStartup } from "./memory.ts";
import { PostgresSupply } from "./postgres.ts";
import { preCheckout } from "./pre_checkout.ts";
import { Report } from "./report.ts";
import { benchSizes } from "./sizes.ts";
import { throughput } from "./throughput.ts";

const sections: Record<string, (ctx: BenchContext) => Promise<void>> = {
  throughput,
  "pre-checkout": preCheckout,
  memory: memoryAndStartup,
  ledger: ledgerBench,
  balance: balanceBench,
  failover,
};

/** The sections that use PostgreSQL. */
const postgresSections = ["throughput", "pre-checkout", "failover"];

const quick = Deno.args.includes("--quick") || Deno.env.get("BENCH_QUICK") === "1";
const only = Deno.args.find((arg) => arg.startsWith("--only="))?.slice("--only=".length)
  .split(",");
const unknown = only?.filter((name) => !(name in sections)) ?? [];
if (unknown.length > 0) {
  throw new Error(
    `unknown section ${unknown.join(", ")}; expected some of ${Object.keys(sections).join(", ")}`,
  );
}

const report = new Report((line) => console.log(line));
const workDir = await Deno.makeTempDir({ prefix: "constellation-bench-" });
const began = performance.now();
console.log(`# Constellation benchmarks${quick ? " (quick smoke run)" : ""}`);
console.log(
  `Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ${navigator.hardwareConcurrency} CPUs`,
);
const supply = new PostgresSupply(quick);
if (supply.skipped) console.log(`PostgreSQL parts skipped: ${supply.skipped}`);
// A smoke run's figures mean nothing, so the server may start (initdb: a second or two) while
// the first sections run; a full run starts it when needed, so it disturbs no measurement.
else if (quick && (!only || only.some((name) => postgresSections.includes(name)))) {
  supply.server().catch(() => {}); // a failure surfaces where a section awaits the server
}
try {
  for (const [name, section] of Object.entries(sections)) {
    if (only && !only.includes(name)) continue;
    await section({ sizes: benchSizes(quick), report, workDir, postgres: () => supply.server() });
  }
  report.summary();
  console.log(`\nfinished in ${((performance.now() - began) / 1000).toFixed(1)} s`);
} finally {
  await supply[Symbol.asyncDispose]();
  await Deno.remove(workDir, { recursive: true });
}
