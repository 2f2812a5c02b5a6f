/**
 * One process per SQLite file. A second Constellation started on the same file would poll the
 * same bots and trade `409 Conflict` with the first forever, so it refuses to start instead,
 * naming the file and the process that holds it.
 *
 * The guard is an exclusive advisory lock (`flock`) on a file beside the database,
 * `<database>.lock`, held for as long as the database is open. The operating system releases
 * it when the holder ends, however it ends: a `kill -9` or a power cut leaves no stale lock
 * behind, as a pid file would. The lock file holds who took it (process id, host, time) only
 * to be named in the refusal; it is never removed, since removing it could let two processes
 * lock two different files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InstanceLock } from "./instance_lock.ts";
 * import { StorageError } from "../../../money/ports.ts";
 *
 * const dir = Deno.makeTempDirSync();
 * const lock = InstanceLock.acquire(`${dir}/shop.db`);
 * // Another opener (here the same process; normally a second one) is refused.
 * assert.throws(() => InstanceLock.acquire(`${dir}/shop.db`), StorageError);
 * lock.release();
 * InstanceLock.acquire(`${dir}/shop.db`).release(); // free again
 * Deno.removeSync(dir, { recursive: true });
 * ```
 * @module
 */
import { StorageError } from "../../../money/ports.ts";

/** Who holds a lock, as its holder wrote it into the lock file. */
interface Holder {
  pid: number;
  host: string;
  since: string;
}

/** The exclusive lock of one SQLite database file; see the module documentation. */
export class InstanceLock {
  /** The lock file, beside the database. */
  readonly path: string;
  #file: Deno.FsFile | undefined;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /**
   * Takes the lock of the database at `databasePath`, without waiting. Throws a
   * {@linkcode StorageError} naming the database and the holder when another process has it.
   */
  static acquire(databasePath: string): InstanceLock {
    const path = `${databasePath}.lock`;
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true, write: true, create: true });
    } catch (error) {
      throw new StorageError(
        `cannot open the lock file ${path} of the SQLite database ${databasePath}: ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
    let locked: boolean;
    try {
      locked = file.tryLockSync(true);
    } catch (error) {
      file.close();
      throw new StorageError(`cannot lock ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (!locked) {
      file.close();
      throw new StorageError(
        `the SQLite database ${databasePath} is in use by another process (${
          describeHolder(path)
        }); a SQLite database serves one Constellation process at a time: stop that one first, ` +
          `or use PostgreSQL (DATABASE_URL=postgres://…) to run several instances`,
      );
    }
    const holder: Holder = { pid: Deno.pid, host: hostname(), since: new Date().toISOString() };
    try {
      file.truncateSync(0);
      file.writeSync(new TextEncoder().encode(JSON.stringify(holder) + "\n"));
    } catch {
      // Who holds it is only for the message; the lock itself is what counts.
    }
    return new InstanceLock(path, file);
  }

  /** Releases the lock (closing the file releases it too). Harmless when already released. */
  release(): void {
    const file = this.#file;
    if (file === undefined) return;
    this.#file = undefined;
    try {
      file.unlockSync();
    } finally {
      file.close();
    }
  }
}

/** The holder named in the lock file at `path`, as words. */
function describeHolder(path: string): string {
  try {
    const holder = JSON.parse(Deno.readTextFileSync(path)) as Partial<Holder>;
    if (typeof holder.pid === "number") {
      return `pid ${holder.pid} on ${holder.host ?? "an unknown host"}, since ${
        holder.since ?? "an unknown time"
      }; lock file ${path}`;
    }
  } catch {
    // Being written at this moment, or unreadable.
  }
  return `holder unknown; lock file ${path}`;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "this host"; // without --allow-sys
  }
}
