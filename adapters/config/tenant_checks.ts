/**
 * The loader options of the runtime: everything a tenant needs to start is checked as its file is
 * loaded (text keys and their placeholders, webhook mode without `PUBLIC_URL`, the plugin file), so a reload never
 * swaps in a config that cannot start. Shared by `main.ts` and `deno task validate`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTenant } from "../../config/load_tenants.ts";
 * import { tenantLoadOptions } from "./tenant_checks.ts";
 *
 * const origin = {
 *   id: "shop",
 *   source: "config/tenants/shop.json",
 *   configDir: "config",
 *   env: () => "123:abc",
 *   options: tenantLoadOptions(undefined),
 * };
 * const file = {
 *   token: "env:SHOP_TOKEN",
 *   updates: "webhook",
 *   texts: { en: { "start.greting": "Hi" } },
 * };
 * const result = parseTenant(file, origin);
 * assert.ok(!result.ok);
 * assert.deepEqual(result.problem.issues.map((issue) => issue.path), [
 *   "updates",
 *   "texts.en.start.greting",
 * ]);
 * assert.match(result.problem.issues[1].message, /did you mean "start.greeting"/);
 * ```
 * @module
 */
import type { LoadOptions } from "../../config/load_tenants.ts";
import { textOverrideIssues } from "../telegram/texts.ts";

/** The options for {@linkcode loadTenants} given the runtime's `PUBLIC_URL` (unset: `undefined`). */
export function tenantLoadOptions(publicUrl: string | undefined): LoadOptions {
  return {
    publicUrl: publicUrl ?? null,
    checkPluginFile: true,
    check: (tenant) => textOverrideIssues(tenant.texts),
  };
}
