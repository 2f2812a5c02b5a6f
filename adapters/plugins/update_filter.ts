/**
 * Which updates a plugin wants, as it may declare them: a module-level export `updates`, a list
 * of grammY filter queries (`"message:text"`, `"callback_query:data"`, …) like those its handlers
 * pass to `bot.on`. The host then hands its worker only the updates that match one of them; any
 * other passes straight on to the tenant's fallbacks, as if the plugin had called `next()`, and
 * costs no crossing to the worker. A plugin without the export gets every update, as before.
 *
 * The declaration is the plugin's promise, not a guess: a handler for updates outside it (a
 * `bot.use` that logs everything, a `bot.command` when `"message"` is not declared) never sees
 * them. Only the declaration of the plugin's running worker counts: it is read when the worker
 * has installed the plugin, and the updates that start a worker go to it whatever they are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readUpdateQueries } from "./update_filter.ts";
 *
 * assert.deepEqual(readUpdateQueries(["message:text"]), ["message:text"]);
 * assert.equal(readUpdateQueries(undefined), undefined); // no declaration: every update
 * assert.throws(() => readUpdateQueries("message"), /a list of grammY filter queries/);
 * ```
 * @module
 */

/** What a plugin module may export as `updates`; see the module doc. */
export type PluginUpdates = readonly string[];

/**
 * The filter queries `value` declares, or `undefined` when it declares none; throws when it is
 * not a non-empty list of strings. Whether each is a query grammY knows is for its
 * `matchFilter` to say, on each side with its own build of grammY.
 */
export function readUpdateQueries(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) || value.length === 0 ||
    !value.every((query) => typeof query === "string")
  ) {
    throw new TypeError(
      `"updates" must be a list of grammY filter queries, like ["message:text"]`,
    );
  }
  return [...value];
}
