/**
 * Ledger: durable deposits and deducts per second on a SQLite file (WAL, `synchronous=FULL`,
 * as in production), each in its own transaction as the payment code runs them. One writer
 * (one user, deposit and deduct alternating), then many concurrent writers (one user each). The
 * baseline is the floor: single-row inserts, each its own durable commit, straight through
 * `node:sqlite` with the same settings.
 *
 * @example
 * ```ts ignore
 * import { ledgerBench } from "./ledger.ts";
 * await ledgerBench(ctx);
 * ```
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { systemClock } from "../actors/kernel/clock.ts";
import { Ledger } from "../money/stores/ledger.ts";
import type { Database } from "../money/ports.ts";
import { openDatabase } from "../adapters/storage/open_database.ts";
import type { BenchContext } from "./context.ts";
import { fmt, ratio } from "./stats.ts";

/** `operations` ledger writes for `userId`, one transaction each; deposits and deducts alternate. */
async function write(db: Database, ledger: Ledger, userId: number, operations: number) {
  for (let i = 0; i < operations; i++) {
    const opts = { idempotencyKey: `bench:${userId}:${i}`, reason: "benchmark" };
    if (i % 2 === 0) await db.transaction((tx) => ledger.deposit(tx, userId, 10, opts));
    else {
      const result = await db.transaction((tx) => ledger.deduct(tx, userId, 5, opts));
      if (!result.ok) throw new Error(`bench: a deduct was refused (balance ${result.balance})`);
    }
  }
}

/** Durable single-row commits per second, with the production pragmas. */
function rawCommitsPerSecond(path: string, commits: number): number {
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t (x INTEGER)");
    const insert = db.prepare("INSERT INTO t (x) VALUES (?)");
    const started = performance.now();
    for (let i = 0; i < commits; i++) insert.run(i);
    return commits / ((performance.now() - started) / 1000);
  } finally {
    db.close();
  }
}

/**
 * Measures ledger writes per second, one writer and many.
 *
 * @example
 * ```ts ignore
 * await ledgerBench({ sizes: benchSizes(false), report, workDir });
 * ```
 */
export async function ledgerBench(ctx: BenchContext): Promise<void> {
  const { report, workDir } = ctx;
  const { operations, writers, operationsPerWriter } = ctx.sizes.ledger;
  report.section("Ledger (durable deposits and deducts on a SQLite file)");
  const floor = rawCommitsPerSecond(`${workDir}/raw-commits.db`, operations);
  const db = await openDatabase(`sqlite:${workDir}/ledger.db`);
  try {
    const ledger = new Ledger("bench", systemClock);
    let started = performance.now();
    await write(db, ledger, 1, operations);
    const single = operations / ((performance.now() - started) / 1000);
    report.row({
      name: "ledger, one writer (writes/s)",
      target: "—",
      value: fmt(single),
      baseline: `${fmt(floor)} raw commits/s`,
      ratio: ratio(single, floor),
    });

    started = performance.now();
    await Promise.all(
      Array.from({ length: writers }, (_, w) => write(db, ledger, 1_000 + w, operationsPerWriter)),
    );
    const many = (writers * operationsPerWriter) / ((performance.now() - started) / 1000);
    report.row({
      name: `ledger, ${writers} concurrent writers (writes/s)`,
      target: "—",
      value: fmt(many),
      baseline: `${fmt(single)} (one writer)`,
      ratio: ratio(many, single),
    });
  } finally {
    await db.close();
  }
}
