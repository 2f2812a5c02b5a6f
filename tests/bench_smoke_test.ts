/**
 * `deno task bench --quick` as a subprocess, the way a developer runs it: it must finish and
 * print every section and the summary. Only that it runs is checked — the figures depend on the
 * machine, and no test here asserts a timing. Where PostgreSQL is installed (always under CI)
 * its rows must be there too; elsewhere the quick run skips them.
 */
import { assertStringIncludes, assertTrue } from "./support/assert.ts";
import { postgresIgnored } from "./support/postgres_cluster.ts";

const root = new URL("../", import.meta.url);

Deno.test("the quick benchmark run completes and prints every section", async () => {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--allow-sys",
      "bench/main.ts",
      "--quick",
    ],
    cwd: root,
    stdin: "null",
  }).output();
  const output = new TextDecoder().decode(stdout);
  assertTrue(success, `the bench failed:\n${output}\n${new TextDecoder().decode(stderr)}`);
  for (
    const heading of [
      "## Throughput",
      "## Pre-checkout latency",
      "## Memory of idle polling tenants",
      "## Ledger",
      "## BalanceActor",
      "## Failover",
      "## Summary",
    ]
  ) {
    assertStringIncludes(output, heading);
  }
  for (
    const row of [
      "| throughput, reply plugin, 2 tenants (updates/s) |",
      "| throughput, /start, one per user, 4 tenants (updates/s) | ≥ 1.3× grammY |",
      "| peak rss under load, /start, one per user, 2 tenants | ≤ 1.5× grammY |",
      "| throughput, /start, one per user, 2 tenants, against a bare fetch client (updates/s) |",
      "| pre-checkout p99 under load (ms) | ≤ 50 ms |",
      "| memory per idle tenant, 4 tenants | ≤ 1 MiB |",
      "| start-up until 4 tenants poll (ms) |",
      "| ledger, 4 concurrent writers (writes/s) |",
      "| balance: upstream calls per round (2 tenants) |",
      ...postgresIgnored ? [] : [
        "| throughput on PostgreSQL, /start, one per user, 2 tenants (updates/s) | ≥ 0.8× SQLite |",
        "| pre-checkout p99 under load on PostgreSQL (ms) | ≤ 50 ms |",
        "| failover, TTL 3 s, renewal 1 s, one kill (ms) |",
      ],
    ]
  ) {
    assertStringIncludes(output, row);
  }
});
