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
import { Composer, type Context } from "grammy/web";
import { pathToFileURL } from "node:url";
import type { Plugin, PluginTenant, StarsService } from "./plugin_api.ts";

/** The plugin could not be imported, exports no function, or threw while installing. */
export class PluginInstallError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PluginInstallError";
  }
}

/** Imports the plugin at the absolute `path` and lets it register its handlers. */
export async function installPlugin(
  path: string,
  stars: StarsService,
  tenant: PluginTenant,
): Promise<Composer<Context>> {
  let module: { default?: unknown };
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
  const composer = new Composer<Context>();
  try {
    await (module.default as Plugin)(composer, stars, tenant);
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
