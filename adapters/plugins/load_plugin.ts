/**
 * Inside a plugin's worker: imports the plugin module once (`loadPlugin`), then lets its default
 * export register each tenant's handlers on a composer of that tenant's own
 * (`instantiatePlugin`). Each way this can fail is a `PluginInstallError` whose
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

/** A loaded plugin module: its default export, and the updates it declares it wants. */
export interface PluginModule {
  plugin: Plugin;
  /** `undefined`: every update (`update_filter.ts`). */
  updates: string[] | undefined;
}

/**
 * Imports the plugin at the absolute `path` and checks its exports. Everything that can fail
 * here fails alike for every tenant using the file, so a shared worker does this once.
 */
export async function loadPlugin(path: string): Promise<PluginModule> {
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
  return { plugin: module.default as Plugin, updates };
}

/**
 * Lets the loaded plugin register one tenant's handlers on a composer of that tenant's own:
 * called once per tenant, so what its default export builds (handlers, closures) is the
 * tenant's; only the module's top-level state is shared.
 */
export async function instantiatePlugin(
  path: string,
  loaded: PluginModule,
  stars: StarsService,
  tenant: PluginTenant,
): Promise<Composer<Context>> {
  const composer = new Composer<Context>();
  try {
    await loaded.plugin(composer, stars, tenant);
  } catch (error) {
    throw new PluginInstallError(`plugin ${path} failed while installing: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return composer;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
