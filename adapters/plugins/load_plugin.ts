/**
 * Loads a tenant's plugin module and installs it on a composer of its own. A module that cannot
 * be imported or whose default export is not a function is a configuration error: restarting
 * cannot fix it, so it surfaces as a `FatalError` that parks the tenant with the reason.
 *
 * @example
 * ```ts ignore
 * import { installPlugin } from "./load_plugin.ts";
 * const composer = await installPlugin("/srv/config/plugins/oracle.ts", stars, tenant);
 * bot.use(composer);
 * ```
 * @module
 */
import { Composer, type Context } from "grammy";
import { pathToFileURL } from "node:url";
import { FatalError } from "../../actors/kernel/child.ts";
import type { Plugin, PluginTenant, StarsService } from "./plugin_api.ts";

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
    throw new FatalError(`plugin ${path} could not be loaded: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof module.default !== "function") {
    throw new FatalError(
      `plugin ${path} must export a function as default (export default (bot, stars, tenant) => …)`,
    );
  }
  const composer = new Composer<Context>();
  try {
    await (module.default as Plugin)(composer, stars, tenant);
  } catch (error) {
    throw new FatalError(`plugin ${path} failed while installing: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return composer;
}
