/**
 * A small route table: method plus a path pattern of literal segments and `:name` parameters.
 * Matching a path tells apart "no such path" (404) from "path exists, wrong method" (405, with
 * the methods that would work).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouteTable } from "./routes.ts";
 *
 * const handle = () => new Response("{}");
 * const table = new RouteTable([
 *   { method: "POST", path: "/telegram/:tenantId", handle },
 *   { method: "GET", path: "/healthz", handle },
 * ]);
 * const found = table.find("POST", "/telegram/my%20shop");
 * assert.equal(found.kind, "matched");
 * assert.deepEqual(found.kind === "matched" && found.params, { tenantId: "my shop" });
 * const wrongMethod = table.find("GET", "/telegram/shop");
 * assert.deepEqual(wrongMethod, { kind: "wrong-method", allowed: ["POST"] });
 * assert.deepEqual(table.find("GET", "/nowhere"), { kind: "not-found" });
 * assert.throws(() => new RouteTable([{ method: "get", path: "/x", handle }]), TypeError);
 * ```
 * @module
 */

/** What a handler gets besides the request. */
export interface RouteContext {
  /** The path's `:name` parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The client's address (`host:port`), for logs. */
  readonly remote: string;
}

/** Answers one matched request. A handler that throws gets a 500 from the server. */
export type RouteHandler = (
  request: Request,
  context: RouteContext,
) => Response | Promise<Response>;

/** One entry of the table. */
export interface Route {
  /** An HTTP method in upper case, e.g. `GET`. */
  readonly method: string;
  /** `/a/:name/b`: literal segments match themselves, `:name` matches one non-empty segment. */
  readonly path: string;
  readonly handle: RouteHandler;
}

/** The result of {@linkcode RouteTable.find}. */
export type RouteMatch =
  | { kind: "matched"; route: Route; params: Record<string, string> }
  | { kind: "wrong-method"; allowed: string[] }
  | { kind: "not-found" };

interface CompiledRoute {
  route: Route;
  segments: string[];
}

const PARAMETER = /^:([A-Za-z_][A-Za-z0-9_]*)$/;
const METHOD = /^[A-Z]+$/;

/** Routes compiled once, matched per request in declaration order. */
export class RouteTable {
  readonly #routes: CompiledRoute[];

  /** @throws {TypeError} naming the route whose method or path is malformed or repeated. */
  constructor(routes: readonly Route[]) {
    const seen = new Set<string>();
    this.#routes = routes.map((route) => {
      const where = `route ${route.method} ${route.path}`;
      if (!METHOD.test(route.method)) {
        throw new TypeError(`${where}: method must be upper-case letters, e.g. "GET"`);
      }
      if (!route.path.startsWith("/")) throw new TypeError(`${where}: path must start with "/"`);
      const segments = route.path.split("/").slice(1);
      for (const segment of segments) {
        if (segment.startsWith(":") && !PARAMETER.test(segment)) {
          throw new TypeError(`${where}: parameter "${segment}" must be ":" and an identifier`);
        }
      }
      // Parameters are positional, so /a/:x and /a/:y are the same route.
      const key = `${route.method} ${segments.map((s) => s.startsWith(":") ? ":" : s).join("/")}`;
      if (seen.has(key)) throw new TypeError(`${where}: declared twice`);
      seen.add(key);
      return { route, segments };
    });
  }

  /** Finds the route for `method` and `pathname` (as in `URL.pathname`, still percent-encoded). */
  find(method: string, pathname: string): RouteMatch {
    const parts = pathname.split("/").slice(1);
    const allowed: string[] = [];
    for (const { route, segments } of this.#routes) {
      const params = matchSegments(segments, parts);
      if (params === undefined) continue;
      if (route.method === method) return { kind: "matched", route, params };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { kind: "wrong-method", allowed } : { kind: "not-found" };
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i];
    const actual = parts[i];
    if (!expected.startsWith(":")) {
      if (expected !== actual) return undefined;
      continue;
    }
    if (actual === "") return undefined;
    try {
      params[expected.slice(1)] = decodeURIComponent(actual);
    } catch {
      // Malformed percent-encoding cannot name anything that exists.
      return undefined;
    }
  }
  return params;
}
