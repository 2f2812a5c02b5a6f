/**
 * Argument checks that the stores share: how a bad value is quoted in an error, and the tenant
 * id every store is scoped to. A store built with an empty tenant id would read and write rows
 * of no tenant, so it is refused at construction, naming the store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireTenantId, shown } from "./argument_checks.ts";
 *
 * requireTenantId("ledger", "shop");
 * assert.throws(() => requireTenantId("outbox", ""), {
 *   name: "TypeError",
 *   message: 'outbox: tenantId must be a non-empty string, got ""',
 * });
 * assert.equal(shown("100"), '"100"');
 * assert.equal(shown(100), "100");
 * ```
 * @module
 */

/**
 * A value as an error message shows it: strings quoted, so that "100" (a string from a config
 * file) does not read like the number 100.
 */
export function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** Throws a `TypeError` naming `owner` unless `tenantId` is a non-empty string. */
export function requireTenantId(owner: string, tenantId: unknown): asserts tenantId is string {
  if (typeof tenantId !== "string" || tenantId.trim() === "") {
    throw new TypeError(`${owner}: tenantId must be a non-empty string, got ${shown(tenantId)}`);
  }
}
