/**
 * The process's plugin workers, one per plugin file, shared by the tenants that use that file.
 *
 * **Why share.** Each worker is a V8 isolate of about 13 MiB, and waking one per tenant for each
 * update costs far more CPU than the plugin itself: at 100 tenants, 100 workers took 0.39–0.52 ms
 * per update where one worker carrying the same load took 0.034–0.048 ms, and peaked at 1.5 GiB.
 * A worker's permissions depend only on its plugin file's path (`plugin_permissions.ts`), so the
 * tenants using one file lose no isolation from the rest of the process by sharing its worker.
 *
 * **What is shared, and what is not.** The module is imported once per worker; its default
 * export is called once per tenant, with that tenant's own composer, Stars service, Bot API
 * client and logger. So a tenant's handlers, and whatever their closures hold, are its own, and
 * a Bot API call made by a tenant's handler goes to that tenant's bot only (each message names
 * its tenant, and the host makes the call with that tenant's client). What *is* shared is the
 * module's top-level state: a `const cache = new Map()` at the top of the file is one map for
 * every tenant using the file, which is also how a plugin written for many bots shares what it
 * may (a loaded model, a dictionary). A plugin that keeps per-tenant data there, or must not
 * share at all, is run with `"pluginWorker": "own"` in its tenant's config: a worker of its own,
 * as before. This is no wall between the tenants of one file against the file itself: the same
 * code runs for all of them, so it could hand one tenant's objects to another's handlers; it
 * keeps them apart against mistakes, and `"own"` is there for the rest.
 *
 * **What a failure takes down.** An update whose handler throws fails alone, as before. A
 * tenant whose default export throws (or never returns) loses only its own instance. But a crash,
 * a blocked thread or memory past the limit ends the worker, and so fails the updates of every
 * tenant in it at that moment; each is told, the worker restarts with backoff, and every tenant
 * reinstalls with its next update (`worker_group.ts`).
 *
 * A group is keyed by the file's real path and its modification time when the tenant started:
 * a tenant started (or reloaded) after the file changed gets a worker with the new code, while
 * the tenants started before keep the old one until it stops (idle, failed, or left by them).
 * @module
 */
import { type GroupOptions, type Member, WorkerGroup } from "./worker_group.ts";

/** The shared workers of a process, by plugin file; see the module doc. */
export class PluginWorkers {
  readonly #groups = new Map<string, WorkerGroup>();

  /**
   * Adds `member` to the group of `key` (the file's path and version), made with `options` if
   * there is none yet.
   */
  join(key: string, options: () => GroupOptions, member: Member): WorkerGroup {
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = new WorkerGroup(options());
      this.#groups.set(key, group);
    }
    group.add(member);
    return group;
  }

  /** Takes `member` out of the group of `key`, dropping the group with its last member. */
  leave(key: string, member: Member, reason: string): void {
    const group = this.#groups.get(key);
    if (group?.remove(member, reason)) this.#groups.delete(key);
  }

  /** How many workers run now. */
  get running(): number {
    let running = 0;
    for (const group of this.#groups.values()) if (group.running) running++;
    return running;
  }

  /** How many plugin files have tenants now. */
  get files(): number {
    return this.#groups.size;
  }
}

/** The process's shared plugin workers. */
export const pluginWorkers: PluginWorkers = new PluginWorkers();
