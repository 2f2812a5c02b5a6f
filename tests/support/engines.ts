/**
 * The storage engines a test can run on, for the tests that go through the whole money path
 * (a purchase, a double payment, a refund, reconciliation, a crash): SQLite, the embedded
 * default, and PostgreSQL, in the shared throwaway server of `postgres_cluster.ts`.
 * {@linkcode eachEngine}`.test` registers a test once per engine, named `… [sqlite]` and
 * `… [postgres]`; the PostgreSQL one is skipped only where PostgreSQL is not installed outside
 * CI (see `postgres_cluster.ts`).
 *
 * @example
 * ```ts ignore
 * import { eachEngine } from "./engines.ts";
 *
 * eachEngine.test("a purchase credits once", async ({ engine }) => {
 *   const db = await engine.open(); // empty and migrated; closing it also removes it
 *   await db.close();
 * });
 * ```
 * @module
 */
import type { Database, SqlRunner, SqlValue } from "../../money/ports.ts";
import { openDatabase } from "../../adapters/storage/open_database.ts";
import { PostgresDatabase } from "../../adapters/storage/postgres/postgres.ts";
import { freshPostgresDatabase, postgresIgnored } from "./postgres_cluster.ts";
import { readOnlySqlite } from "./tenant_world.ts";

/** A `DATABASE_URL` for a runtime in a subprocess, and a way to look into it from the test. */
export interface EngineUrl {
  url: string;
  /** Runs `read` on a read-only connection to the store, closed afterwards. */
  query<T>(read: (q: SqlRunner) => Promise<T>): Promise<T>;
  /** Removes the store (the SQLite file is in the caller's folder, removed with it). */
  dispose(): Promise<void>;
}

/** One storage engine, as the tests use it. */
export interface TestEngine {
  readonly name: "sqlite" | "postgres";
  /** Whether its tests are skipped here. */
  readonly ignore: boolean;
  /** A new, empty, migrated store; closing it also removes it. */
  open(): Promise<Database>;
  /** A store for `main.ts` in a subprocess; a SQLite file goes in `dir`. */
  url(dir: string): Promise<EngineUrl>;
}

/** SQLite: in memory for a test in this process, a file for a subprocess. */
export const SQLITE: TestEngine = {
  name: "sqlite",
  ignore: false,
  open: () => openDatabase("sqlite::memory:"),
  url(dir) {
    const path = `${dir}/data/constellation.db`;
    return Promise.resolve({
      url: `sqlite:${path}`,
      async query(read) {
        const view = readOnlySqlite(path);
        try {
          return await read(view);
        } finally {
          view.close();
        }
      },
      dispose: () => Promise.resolve(),
    });
  },
};

/** PostgreSQL: a schema of its own in the shared test server, dropped afterwards. */
export const POSTGRES: TestEngine = {
  name: "postgres",
  ignore: postgresIgnored,
  async open() {
    const fresh = await freshPostgresDatabase("engine");
    return new DroppedOnClose(await openDatabase(fresh.url), fresh.drop);
  },
  async url() {
    const fresh = await freshPostgresDatabase("process");
    return {
      url: fresh.url,
      async query(read) {
        // Read-only, as the SQLite view is: the test looks, never changes a thing.
        const view = await PostgresDatabase.open(`${fresh.url}&default_transaction_read_only=on`, {
          maxConnections: 1,
        });
        try {
          return await read(view);
        } finally {
          await view.close();
        }
      },
      dispose: fresh.drop,
    };
  },
};

/** Every engine, SQLite first. */
export const ENGINES: readonly TestEngine[] = [SQLITE, POSTGRES];

/** What a test registered by {@linkcode eachEngine} is given. */
export interface EngineTestContext {
  engine: TestEngine;
  t: Deno.TestContext;
}

/** Registers tests that run on every engine. */
export const eachEngine = {
  /**
   * Registers `fn` as one test per engine, named `<name> [<engine>]`; `options` are the other
   * fields of the `Deno.test` definition. (`eachEngine.test(name, async ({ engine }) => …)` is
   * laid out by `deno fmt` as a `Deno.test` is: the body is not indented once more.)
   */
  test(
    name: string,
    fn: (context: EngineTestContext) => Promise<void>,
    options: Omit<Deno.TestDefinition, "name" | "fn"> = {},
  ): void {
    for (const engine of ENGINES) {
      Deno.test({
        ...options,
        name: `${name} [${engine.name}]`,
        ignore: options.ignore === true || engine.ignore,
        fn: (t) => fn({ engine, t }),
      });
    }
  },
};

/** A database that removes its store once closed. */
class DroppedOnClose implements Database {
  readonly #inner: Database;
  readonly #drop: () => Promise<void>;

  constructor(inner: Database, drop: () => Promise<void>) {
    this.#inner = inner;
    this.#drop = drop;
  }

  get dialect(): Database["dialect"] {
    return this.#inner.dialect;
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#inner.all<T>(sql, params);
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.#inner.get<T>(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.#inner.run(sql, params);
  }

  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#inner.transaction(fn);
  }

  async close(): Promise<void> {
    await this.#inner.close();
    await this.#drop();
  }
}
