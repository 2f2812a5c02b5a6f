/**
 * Reads a tenant file only when it is a regular file. A FIFO named `shop.json` (or a symbolic
 * link to one) made every reload hang: opening a FIFO for reading waits for a writer, so the
 * reload never finished and every later one queued behind it. The file is therefore opened
 * without blocking (`O_NONBLOCK`, which changes nothing for a regular file), and what was opened
 * is checked before a byte is read: a FIFO, a socket, a device or a folder is refused with what
 * it is. Checking the opened file rather than the path means a file swapped between a check and
 * the read is still caught.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NotARegularFileError, readRegularTextFile } from "./read_regular_file.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/shop.json`, "{}");
 * assert.equal(await readRegularTextFile(`${dir}/shop.json`), "{}");
 * await Deno.mkdir(`${dir}/quiz.json`);
 * await assert.rejects(readRegularTextFile(`${dir}/quiz.json`), NotARegularFileError);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { constants, promises as fs, type Stats } from "node:fs";

/** The path names something other than a regular file; `kind` says what. */
export class NotARegularFileError extends Error {
  readonly kind: string;

  constructor(kind: string) {
    super(`not a regular file but ${kind}`);
    this.name = "NotARegularFileError";
    this.kind = kind;
  }
}

/** The file is larger than a tenant file can sensibly be. */
export class FileTooLargeError extends Error {
  constructor(size: number, limit: number) {
    super(`the file holds ${size} bytes; a tenant file may hold at most ${limit}`);
    this.name = "FileTooLargeError";
  }
}

/**
 * A tenant file is a few KiB. The limit keeps a mistake (a log file or a disk image renamed
 * `*.json`) from being read whole into memory at every reload.
 */
export const MAX_TENANT_FILE_BYTES = 1024 * 1024;

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isSocket()) return "a socket";
  if (stats.isDirectory()) return "a folder";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device";
  return "a special file";
}

/**
 * Reads `path` as UTF-8 text, following symbolic links, when it is a regular file of at most
 * `maxBytes`. Never waits for a writer.
 *
 * @throws {NotARegularFileError} for a FIFO, socket, device or folder (or a link to one).
 * @throws {FileTooLargeError} for a file over `maxBytes`.
 * @throws {Deno.errors.NotFound} (or another I/O error) when it cannot be opened.
 */
export async function readRegularTextFile(
  path: string,
  maxBytes = MAX_TENANT_FILE_BYTES,
): Promise<string> {
  // A socket cannot be opened at all (ENXIO): look first, so it is named rather than an errno.
  const seen = await Deno.stat(path);
  if (seen.isSocket) throw new NotARegularFileError("a socket");
  // Windows has no O_NONBLOCK, and no FIFOs a path can name either.
  const handle = await fs.open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new NotARegularFileError(kindOf(stats));
    if (stats.size > maxBytes) throw new FileTooLargeError(stats.size, maxBytes);
    return new TextDecoder().decode(await handle.readFile());
  } finally {
    await handle.close();
  }
}
