/**
 * The `.env` file of the process, read again on every reload so that "rotate the token in `.env`
 * and send SIGHUP" works. `deno task start` loads `.env` once with `--env-file`; this module reads
 * the same file (`ENV_FILE`, default `.env` when it exists) at start and before each reload, and
 * its values take precedence over the environment the process started with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EnvFile } from "./env_file.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/.env`;
 * await Deno.writeTextFile(path, "SHOP_TOKEN=123:old\n# a comment\nexport OTHER='x y'\n");
 * const file = EnvFile.locate((name) => (name === "ENV_FILE" ? path : undefined))!;
 * assert.equal(file.read(), undefined);
 * const env = file.overlay(() => undefined);
 * assert.equal(env("SHOP_TOKEN"), "123:old");
 * assert.equal(env("OTHER"), "x y");
 *
 * await Deno.writeTextFile(path, "SHOP_TOKEN=123:new\n");
 * file.read();
 * assert.equal(env("SHOP_TOKEN"), "123:new");
 * assert.equal(env("OTHER"), undefined); // gone from the file
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { parseEnv } from "node:util";
import type { EnvLookup } from "../../config/secrets.ts";

/** One `.env` file and the values last read from it. */
export class EnvFile {
  readonly path: string;
  #vars: Record<string, string> = {};

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * The file the process uses: `ENV_FILE` when set (an empty value turns the file off), else
   * `.env` in the working directory when it exists; `undefined` when there is none.
   */
  static locate(env: EnvLookup): EnvFile | undefined {
    const named = env("ENV_FILE");
    if (named !== undefined) return named.trim() === "" ? undefined : new EnvFile(named.trim());
    try {
      return Deno.statSync(".env").isFile ? new EnvFile(".env") : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Reads the file again. Returns `undefined`, or why it could not be read (then the values
   * read before are kept).
   */
  read(): string | undefined {
    let text: string;
    try {
      text = Deno.readTextFileSync(this.path);
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? "the file does not exist"
        : error instanceof Error
        ? error.message
        : String(error);
      return `could not read ${this.path} (ENV_FILE): ${reason}; keeping the values read before`;
    }
    this.#vars = Object.fromEntries(
      Object.entries(parseEnv(text)).filter((entry): entry is [string, string] =>
        entry[1] !== undefined
      ),
    );
    return undefined;
  }

  /** The names the file sets, as last read. */
  get names(): string[] {
    return Object.keys(this.#vars);
  }

  /** A lookup that reads this file's last values first, then `fallback`. */
  overlay(fallback: EnvLookup): EnvLookup {
    return (name) => Object.hasOwn(this.#vars, name) ? this.#vars[name] : fallback(name);
  }
}
