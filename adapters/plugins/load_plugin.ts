/**
 * Inside a plugin's worker: imports the plugin module and lets its default export register its
 * handlers on a composer of its own. Each way this can fail is a `PluginInstallError` whose
 * message says what to fix; the host turns it into a `FatalError` at the tenant's start (a bad
 * plugin is a configuration error that restarting cannot fix), or into a restart later.
 *
 * grammY comes from its web build here: the Node build reads the whole environment when it
 * loads, which a plugin's worker may not.
 *
 * @module
 */
import { Composer, type Context, type FilterQuery, matchFilter } from "grammy/web";
import { pathToFileURL } from "node:url";
import type { Plugin, PluginTenant, StarsService } from "./plugin_api.ts";
import { readUpdateQueries } from "./update_filter.ts";

/** The plugin could not be imported, exports no function, or threw while installing. */
export class PluginInstallError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PluginInstallError";
  }
}

/** An installed plugin: its handlers, and the updates it declares it wants (`update_filter.ts`). */
export interface InstalledPlugin {
  composer: Composer<Context>;
  /** `undefined`: every update. */
  updates: string[] | undefined;
}

/** Imports the plugin at the absolute `path` and lets it register its handlers. */
export async function installPlugin(
  path: string,
  stars: StarsService,
  tenant: PluginTenant,
): Promise<InstalledPlugin> {
  let module: { default?: unknown; updates?: unknown };
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new PluginInstallError(`plugin ${path} could not be loaded: ${messageOf(error)}`, {
      cause: error,
    });
  }
  if (typeof module.default !== "function") {
    throw new PluginInstallError(
      `plugin ${path} must export a function as default (export default (bot, stars, tenant) => …)`,
    );
  }
  let updates: string[] | undefined;
  try {
    updates = readUpdateQueries(module.updates);
    if (updates) matchFilter(updates as FilterQuery[]); // throws, naming it, for a query grammY does not know
  } catch (error) {
    throw new PluginInstallError(`plugin ${path}: ${messageOf(error)}`, { cause: error });
  }
  const composer = new Composer<Context>();
  try {
    await (module.default as Plugin)(composer, stars, tenant);
  } catch (error) {
    throw new PluginInstallError(`plugin ${path} failed while installing: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return { composer, updates };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
