/**
 * The loader options of the runtime: everything a tenant needs to start is checked as its file is
 * loaded (locales with a texts file, text keys and their placeholders, webhook mode without `PUBLIC_URL`, the plugin file), so a reload never
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
 *   locale: "de",
 *   texts: { en: { "start.greting": "Hi" } },
 * };
 * const result = parseTenant(file, origin);
 * assert.ok(!result.ok);
 * assert.deepEqual(result.problem.issues.map((issue) => issue.path), [
 *   "updates",
 *   "locale",
 *   "texts.en.start.greting",
 * ]);
 * assert.match(result.problem.issues[1].message, /no texts for "de": the languages are en, ru/);
 * assert.match(result.problem.issues[2].message, /did you mean "start.greeting"/);
 * ```
 * @module
 */
import type { LoadOptions } from "../../config/load_tenants.ts";
import type { FieldIssue } from "../../config/plain_issues.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";
import { localesOf } from "../../config/localized.ts";
import { shippedCatalog } from "../telegram/locale_catalog.ts";
import { noLocaleMessage, textOverrideIssues } from "../telegram/texts.ts";

/** The options for {@linkcode loadTenants} given the runtime's `PUBLIC_URL` (unset: `undefined`). */
export function tenantLoadOptions(publicUrl: string | undefined): LoadOptions {
  return {
    publicUrl: publicUrl ?? null,
    checkPluginFile: true,
    check: (tenant) => [...localeIssues(tenant), ...textOverrideIssues(tenant.texts)],
  };
}

/**
 * The tenant's `locale`, and every locale a product's title or description names, must have a
 * texts file: a bot cannot speak a language it has no texts in.
 */
function localeIssues(
  tenant: Partial<Pick<TenantConfig, "locale" | "products">>,
): FieldIssue[] {
  const known = shippedCatalog().locales;
  const issues: FieldIssue[] = [];
  if (tenant.locale !== undefined && !known.includes(tenant.locale)) {
    issues.push({ path: "locale", message: noLocaleMessage(tenant.locale) });
  }
  (tenant.products ?? []).forEach((product, index) => {
    for (const field of ["title", "description"] as const) {
      for (const locale of localesOf(product[field])) {
        if (known.includes(locale)) continue;
        issues.push({
          path: `products[${index}].${field}.${locale}`,
          message: noLocaleMessage(locale),
        });
      }
    }
  });
  return issues;
}
