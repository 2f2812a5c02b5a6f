/**
 * The fsync that makes SQLite's commits durable, made off the event loop.
 *
 * Under `synchronous=FULL` SQLite fsyncs the write-ahead log inside every `COMMIT`, and
 * `node:sqlite` runs on the event loop's thread: each commit stopped every tenant for the
 * length of an fsync (a tenth of the bots' process under load, BENCHMARKS.md). The database
 * therefore runs with `synchronous=NORMAL` — in WAL mode the same syncs as FULL (the log before
 * each checkpoint, the database file after it) except the one after each commit — and makes that
 * one here, with Deno's asynchronous `FsFile.sync()`, which runs on a thread of its own. The
 * durability callers get is FULL's: a commit is not acknowledged (its promise does not resolve)
 * until a sync that started after it has finished. Meanwhile the next transactions already run:
 * syncs overlap SQL instead of queueing it, and one sync covers every commit before it.
 *
 * A sync that fails leaves it unknown what reached the disk, so the database stops: every
 * commit waiting for a sync, and every one after, fails with a {@linkcode StorageError} (as
 * PostgreSQL stops on a failed fsync). Nothing unacknowledged is lost — an update is confirmed
 * to Telegram only after its commit resolved — and the next start recovers from the log.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WalSync } from "./wal_sync.ts";
 *
 * let syncs = 0;
 * const wal = new WalSync({ sync: () => Promise.resolve(void syncs++), close() {} });
 * await wal.durable(); // nothing committed yet: no sync needed
 * assert.equal(syncs, 0);
 * wal.committed();
 * wal.committed();
 * await wal.durable(); // one sync covers both commits
 * assert.equal(syncs, 1);
 * await wal.close();
 * ```
 * @module
 */
import { dirname } from "node:path";
import { StorageError } from "../../../money/ports.ts";

/** The write-ahead log's file, as far as making it durable goes. */
export interface WalFile {
  /** Flushes the file's data to the disk (fsync). */
  sync(): Promise<void>;
  close(): void;
}

/**
 * The `-wal` file of the database at `path`, opened at its first sync (SQLite creates it at the
 * first commit). Its folder is synced once then as well, so the file's name is on disk too.
 */
export function walFileOf(path: string): WalFile {
  let opened: Promise<Deno.FsFile> | undefined;
  let file: Deno.FsFile | undefined;
  const open = async () => {
    file = await Deno.open(`${path}-wal`, { read: true });
    const folder = await Deno.open(dirname(path), { read: true });
    try {
      await folder.sync();
    } finally {
      folder.close();
    }
    return file;
  };
  return {
    sync: async () => await (await (opened ??= open())).sync(),
    close: () => file?.close(),
  };
}

/** Someone waiting for the commits up to `upTo` to be on disk. */
interface Waiter {
  upTo: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** Counts commits and makes them durable in as few syncs as possible: see the module doc. */
export class WalSync {
  readonly #file: WalFile;
  /** Commits noted so far. */
  #committed = 0;
  /** Commits that a finished sync covers. */
  #synced = 0;
  #running: Promise<void> | undefined;
  #waiters: Waiter[] = [];
  #failure: StorageError | undefined;

  constructor(file: WalFile) {
    this.#file = file;
  }

  /** The error that stopped the database, once a sync has failed. */
  get failure(): StorageError | undefined {
    return this.#failure;
  }

  /** Notes a commit that has just returned; call it before anything else is committed. */
  committed(): void {
    this.#committed++;
  }

  /** Resolves once every commit noted so far is on disk; rejects once a sync has failed. */
  durable(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#synced === this.#committed) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#waiters.push({ upTo: this.#committed, resolve, reject });
    this.#start();
    return promise;
  }

  /** Starts a sync unless one is running: the one running started before some commits waiting. */
  #start(): void {
    if (this.#running) return;
    const upTo = this.#committed;
    this.#running = this.#file.sync().then(
      () => {
        this.#synced = upTo;
        const waiting = this.#waiters;
        this.#waiters = waiting.filter((waiter) => waiter.upTo > upTo);
        for (const waiter of waiting) if (waiter.upTo <= upTo) waiter.resolve();
      },
      (error) => {
        this.#failure = new StorageError(
          `the database stopped: the disk did not confirm a write (fsync of the SQLite log ` +
            `failed: ${error instanceof Error ? error.message : String(error)}); commits since ` +
            `the last confirmed one are not acknowledged, and a restart recovers from the log`,
          { cause: error },
        );
        for (const waiter of this.#waiters) waiter.reject(this.#failure);
        this.#waiters = [];
      },
    ).finally(() => {
      this.#running = undefined;
      if (this.#waiters.length > 0) this.#start();
    });
  }

  /** Waits for the syncs that are due, then closes the file. */
  async close(): Promise<void> {
    try {
      await this.durable();
    } finally {
      await this.#running;
      this.#file.close();
    }
  }
}
