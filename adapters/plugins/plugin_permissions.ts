/**
 * What a plugin's worker may do: read its own folder, and nothing else — no environment (the
 * tokens are there), no writing (the database is a file), no network (its Bot API calls go
 * through the host), no subprocesses, no native code, no system information.
 *
 * Deno checks a path as written, without resolving symbolic links, so a link inside the folder
 * would let the plugin read wherever it points. The folder is checked first: a plugin whose
 * folder holds a link leading out of it is refused, as is a plugin whose path is itself reached
 * through a link (the config loader resolves links and refuses paths leading out of the config
 * folder, so that can only mean the file changed since).
 * @module
 */
import { SingleFlight } from "../../actors/kernel/single_flight.ts";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";

/** A plugin that may not run: its folder or path would let it read more than its folder. */
export class PluginPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PluginPathError";
  }
}

/** Checks of a path under way, so that tenants starting together share one (see below). */
const checking = new SingleFlight<string, Deno.PermissionOptionsObject>();

/**
 * The Deno permissions of the worker of the plugin at the absolute `path`; see the module doc.
 * Calls for the same path while a check of it is under way share that check: a thousand
 * tenants of one plugin file starting at once would otherwise walk its folder a thousand times
 * (5 % of their start-up). A call made after it settled checks afresh, so a link added since is
 * still found.
 */
export function pluginPermissions(path: string): Promise<Deno.PermissionOptionsObject> {
  return checking.run(path, () => checkedPermissions(path));
}

async function checkedPermissions(path: string): Promise<Deno.PermissionOptionsObject> {
  let real: string;
  try {
    real = await Deno.realPath(path);
  } catch (error) {
    throw new PluginPathError(`plugin ${path} could not be loaded: ${(error as Error).message}`);
  }
  if (real !== path) {
    throw new PluginPathError(
      `plugin ${path} now leads through a symbolic link to ${real}; reload the config to check it`,
    );
  }
  const folder = dirname(real);
  const escaping = await linkLeavingFolder(folder);
  if (escaping !== undefined) {
    throw new PluginPathError(
      `plugin folder ${folder} holds a symbolic link, ${escaping.link}, to ${escaping.target}, ` +
        `outside the folder; the plugin could read it. Remove the link or move the plugin`,
    );
  }
  return {
    read: [folder],
    write: false,
    net: false,
    env: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  };
}

/** The first symbolic link under `folder` whose target lies outside it, if any. */
async function linkLeavingFolder(
  folder: string,
): Promise<{ link: string; target: string } | undefined> {
  for await (const entry of Deno.readDir(folder)) {
    const path = join(folder, entry.name);
    if (entry.isSymlink) {
      const target = await linkTarget(path);
      const inside = relative(folder, target);
      if (inside === ".." || inside.startsWith("../") || isAbsolute(inside)) {
        return { link: path, target };
      }
    } else if (entry.isDirectory) {
      const found = await linkLeavingFolder(path);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Where the link at `path` leads, through every further link; for a dangling link, where it
 * points, since whatever is created there later would be read through it.
 */
async function linkTarget(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    return resolve(dirname(path), await Deno.readLink(path));
  }
}
