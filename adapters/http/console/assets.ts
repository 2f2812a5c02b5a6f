/**
 * The console's static files: its own script and stylesheet (in `browser/` beside this file)
 * and uPlot's, read from the npm package the runtime depends on (`deno.json` imports) — never
 * from a CDN, so the console works offline. Each is read once and kept in memory.
 *
 * @module
 */
import { securityHeaders } from "./security_headers.ts";

interface Asset {
  /** Where the file is. */
  url: () => Promise<URL>;
  type: string;
}

/** uPlot's dist folder, from where Deno resolved the package. */
async function uplotFile(name: string): Promise<URL> {
  // The import puts the package in the module graph, so it is installed wherever the runtime is.
  await import("uplot");
  return new URL(name, import.meta.resolve("uplot"));
}

const ASSETS: Record<string, Asset> = {
  "console.js": {
    url: () => Promise.resolve(new URL("./browser/console.js", import.meta.url)),
    type: "text/javascript; charset=utf-8",
  },
  "console.css": {
    url: () => Promise.resolve(new URL("./browser/console.css", import.meta.url)),
    type: "text/css; charset=utf-8",
  },
  "uPlot.iife.min.js": {
    url: () => uplotFile("./uPlot.iife.min.js"),
    type: "text/javascript; charset=utf-8",
  },
  "uPlot.min.css": { url: () => uplotFile("./uPlot.min.css"), type: "text/css; charset=utf-8" },
};

/** Assets served without a session: the login page's stylesheet. */
export const PUBLIC_ASSETS: ReadonlySet<string> = new Set(["console.css"]);

const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

/** Whether `name` is a console asset. */
export function isAsset(name: string): boolean {
  return Object.hasOwn(ASSETS, name);
}

/** The asset's answer; 404 for an unknown name. */
export async function assetResponse(name: string): Promise<Response> {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) return new Response("no such asset", { status: 404, headers: securityHeaders() });
  let bytes = cache.get(name);
  if (!bytes) {
    bytes = asset.url().then((url) => Deno.readFile(url));
    cache.set(name, bytes);
    bytes.catch(() => cache.delete(name));
  }
  return new Response(await bytes, {
    headers: {
      ...securityHeaders(),
      "content-type": asset.type,
      "cache-control": "private, max-age=300",
    },
  });
}
