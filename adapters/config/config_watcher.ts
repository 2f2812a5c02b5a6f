/**
 * Watches `<configDir>/tenants/` and asks for a reload when tenant files change, and on SIGHUP.
 * What a reload does is up to `onChange` (load the files, plan, apply); this module only decides
 * when, so that a burst of file events becomes one reload and reloads never overlap.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { watchTenantConfig } from "./config_watcher.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 * import { loadTenants } from "../../config/load_tenants.ts";
 *
 * const configDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${configDir}/tenants`);
 * const loaded: string[][] = [];
 * let sighup = () => {};
 * const stop = new AbortController();
 * const watcher = watchTenantConfig({
 *   configDir,
 *   clock: new ManualClock(), // the debounce after file events never fires on its own here
 *   signal: stop.signal,
 *   onChange: async () => {
 *     const { tenants } = await loadTenants(configDir, () => "123:abc");
 *     loaded.push(tenants.map((tenant) => tenant.id));
 *   },
 *   // Stands in for `kill -HUP`, which the watcher listens for by default.
 *   onSignal: (handler) => {
 *     sighup = handler;
 *     return () => {};
 *   },
 * });
 *
 * await Deno.writeTextFile(`${configDir}/tenants/shop.json`, '{ "token": "env:SHOP_TOKEN" }');
 * await watcher.reloadNow(); // without waiting for the file events and their debounce
 * assert.deepEqual(loaded, [["shop"]]);
 *
 * await Deno.writeTextFile(`${configDir}/tenants/quiz.json`, '{ "token": "env:QUIZ_TOKEN" }');
 * sighup();
 * await watcher.reloadNow(); // joins the reload SIGHUP asked for
 * assert.deepEqual(loaded, [["shop"], ["quiz", "shop"]]);
 *
 * stop.abort();
 * await watcher.closed;
 * await Deno.remove(configDir, { recursive: true });
 * ```
 * @module
 */
import { join, resolve, sep } from "node:path";
import type { Logger } from "@logtape/logtape";
import { type Clock, systemClock, type TimerId } from "../../actors/kernel/clock.ts";
import { ConfigDirMissingError } from "../../config/load_tenants.ts";
import { runtimeLogger } from "../observability/logging.ts";

/** Registers `handler` for the reload signal and returns the function that unregisters it. */
export type SignalHook = (handler: () => void) => () => void;

/** Options of {@linkcode watchTenantConfig}. */
export interface ConfigWatcherOptions {
  /** The configuration folder; its `tenants/` subfolder holds the tenant files. */
  configDir: string;
  /** Reloads the tenants. Never called twice at once; a rejection is logged, not fatal. */
  onChange: () => Promise<void>;
  /** Times the debounce. Default: the system clock. */
  clock?: Clock;
  /**
   * How long the files must stay quiet before a reload, in milliseconds. Default 500: editors
   * save in several steps (write a temporary file, rename it over the old one, touch its
   * attributes), and each step is an event; waiting for quiet gives one reload per save, and
   * never a reload of a half-written file.
   */
  debounceMs?: number;
  /** Default: the runtime logger `constellation.config`. */
  logger?: Logger;
  /** Aborting it stops watching; {@linkcode ConfigWatcher.closed} then settles. */
  signal: AbortSignal;
  /** Registers the SIGHUP handler. Default: `Deno.addSignalListener("SIGHUP", …)`. */
  onSignal?: SignalHook;
}

/** A running watch, from {@linkcode watchTenantConfig}. */
export interface ConfigWatcher {
  /**
   * Reloads without waiting for the debounce; resolves once a reload that started after this
   * call has finished (at once when the watcher is closed). Never rejects.
   */
  reloadNow(): Promise<void>;
  /** Resolves when watching has stopped after the abort, and any reload under way has ended. */
  closed: Promise<void>;
}

/** The watched path and its watcher; `consumed` settles when its event loop has ended. */
interface Watch {
  path: string;
  watcher: Deno.FsWatcher;
  consumed: Promise<void>;
}

const sighup: SignalHook = (handler) => {
  Deno.addSignalListener("SIGHUP", handler);
  return () => Deno.removeSignalListener("SIGHUP", handler);
};

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** `undefined` when nothing is at `path`. */
function isDirectorySync(path: string): boolean | undefined {
  try {
    return Deno.statSync(path).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Starts watching the tenant files of `configDir`. Throws {@linkcode ConfigDirMissingError} when
 * `configDir` does not exist or is not a folder.
 *
 * While `tenants/` is missing (or is not a folder) the whole config folder is watched instead,
 * recursively, and only events under `tenants/` count, so creating the folder later is noticed.
 * Before each reload the watch is moved to whichever of the two is right by then; this also
 * re-attaches it when `tenants/` is deleted and created again, which a watch on the old folder
 * would never report. Only `*.json` files and the folder itself count: editors' swap and backup
 * files do not cause reloads, and reads (the reload's own) cause no events at all.
 *
 * Changes outside the watched folder are not seen: a plugin module's source, the target of a
 * symlinked tenant file, or a secret rotated in the environment. Send SIGHUP to reload then.
 * A folder that cannot be watched (the system's limit of watches reached) is logged, not thrown;
 * SIGHUP still reloads, and every reload tries to watch again.
 *
 * Bursts are debounced by waiting for quiet: a file rewritten without a pause for longer than
 * `debounceMs` delays the reload until it stops.
 */
export function watchTenantConfig(options: ConfigWatcherOptions): ConfigWatcher {
  const { onChange, signal } = options;
  const clock = options.clock ?? systemClock;
  const debounceMs = options.debounceMs ?? 500;
  const logger = options.logger ?? runtimeLogger("config");
  if (!Number.isFinite(debounceMs) || debounceMs < 0) {
    throw new RangeError(`debounceMs must be a number of milliseconds ≥ 0, got ${debounceMs}`);
  }
  // Watchers report absolute paths built from the path they watch, so compare against the same.
  const configDir = resolve(options.configDir);
  const tenantsDir = join(configDir, "tenants");

  let watch: Watch | undefined;
  // Set when the tenants folder itself was created, removed or renamed: the watch must move.
  let watchStale = false;
  let timer: TimerId | undefined;
  // The last reload in line, and the one that is waiting to start (requests join it).
  let tail: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;

  // True when the event asks for a reload; notes when the watch itself must move.
  const notice = (event: Deno.FsEvent, watched: string): boolean => {
    // "access" is a file closed after writing; its "modify" was already reported.
    if (event.kind === "access") return false;
    const underTenants = (path: string) =>
      watched === tenantsDir || path === tenantsDir || path.startsWith(tenantsDir + sep);
    const paths = event.paths.filter(underTenants);
    if (paths.includes(tenantsDir)) watchStale = true;
    return paths.some((path) => path === tenantsDir || path.endsWith(".json"));
  };

  const consume = async (watcher: Deno.FsWatcher, path: string) => {
    try {
      for await (const event of watcher) {
        if (notice(event, path)) debounce();
      }
    } catch (error) {
      if (signal.aborted) return;
      // The next reload opens a new watch.
      watchStale = true;
      logger.error("Watching {path} for tenant changes failed: {error}; send SIGHUP to reload", {
        path,
        error: String(error),
      });
    }
  };

  // A watch that cannot be opened (no permission, the system's watch limit reached) is logged,
  // not thrown: the bots keep running, SIGHUP still reloads, and each reload tries again.
  const open = (path: string) => {
    let watcher: Deno.FsWatcher;
    try {
      // Recursive only for the config folder, to see `tenants/` and the files put in it.
      watcher = Deno.watchFs(path, { recursive: path === configDir });
    } catch (error) {
      logger.error("Could not watch {path} for tenant changes: {error}; send SIGHUP to reload", {
        path,
        error: String(error),
      });
      return;
    }
    if (path === configDir) {
      logger.info("No tenants folder in {configDir}: watching the folder until it appears", {
        configDir,
      });
    } else {
      logger.debug("Watching {path} for tenant changes", { path });
    }
    watch = { path, watcher, consumed: consume(watcher, path) };
  };

  const closeWatch = async () => {
    const closing = watch;
    watch = undefined;
    if (closing === undefined) return;
    closing.watcher.close();
    await closing.consumed;
  };

  // Moves the watch to `tenants/` or the config folder, whichever is right now.
  const retarget = async () => {
    let wanted: string;
    try {
      wanted = (await isDirectory(tenantsDir)) ? tenantsDir : configDir;
    } catch (error) {
      // The reload itself will report what is wrong with the folder; keep the current watch.
      logger.warn("Could not check {path}: {error}", { path: tenantsDir, error: String(error) });
      return;
    }
    if (watch?.path === wanted && !watchStale) return;
    watchStale = false;
    await closeWatch();
    if (!signal.aborted) open(wanted);
  };

  const runOnce = async () => {
    queued = undefined;
    if (signal.aborted) return;
    try {
      // Before the reload: a change made while the watch moves is then still read by it.
      await retarget();
      if (signal.aborted) return;
      await onChange();
    } catch (error) {
      logger.error("Reloading the tenant configuration failed: {error}", {
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  };

  const reload = (): Promise<void> => {
    if (signal.aborted) return Promise.resolve();
    // A reload that has not started yet will read every change made so far: join it.
    if (queued !== undefined) return queued;
    queued = tail.then(runOnce);
    tail = queued;
    return queued;
  };

  const debounce = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = undefined;
      logger.debug("Tenant files changed: reloading");
      void reload();
    }, debounceMs);
  };

  const reloadNow = (): Promise<void> => {
    // The reload reads every change the pending debounce was waiting for.
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    return reload();
  };

  const onSighup = () => {
    logger.info("SIGHUP received: reloading the tenant configuration");
    void reloadNow();
  };

  const configIsDirectory = isDirectorySync(configDir);
  if (configIsDirectory !== true) {
    const reason = configIsDirectory === undefined ? "missing" : "not a folder";
    throw new ConfigDirMissingError(options.configDir, reason);
  }
  if (signal.aborted) return { reloadNow, closed: Promise.resolve() };
  open(isDirectorySync(tenantsDir) === true ? tenantsDir : configDir);
  let removeSignal = () => {};
  try {
    removeSignal = (options.onSignal ?? sighup)(onSighup);
  } catch (error) {
    // Windows has no SIGHUP; file changes are still watched.
    logger.warn("Reload on SIGHUP is not available: {error}", { error: String(error) });
  }

  const closed = new Promise<void>((resolveAbort) => {
    signal.addEventListener("abort", () => resolveAbort(), { once: true });
  }).then(async () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    removeSignal();
    await closeWatch();
    await tail;
  });
  return { reloadNow, closed };
}
