import { Runtime } from "../../../actors/runtime/runtime.ts";
import { openDatabase } from "../../../adapters/storage/open_database.ts";
import { SecretRedactor, secrets } from "../../../adapters/observability/redact.ts";
import { assertEquals } from "../../support/assert.ts";
import { SHOP_PRODUCTS } from "../../support/shop_products.ts";
import { parseTestTenant } from "../../support/tenant_configs.ts";

Deno.test("the runtime registers its tenants' secrets with the redactor it was given", async () => {
  const db = await openDatabase("sqlite::memory:");
  const token = "424242:runtime-secrets-test-token-0123456789";
  const hook = "runtime-secrets-test-webhook-secret";
  const hash = "runtime-secrets-test-api-hash-0123456";
  const tenant = {
    ...parseTestTenant({ products: SHOP_PRODUCTS }, { token }),
    updates: "webhook" as const,
    webhook: { secretToken: hook },
    mtproto: { apiId: 12345, apiHash: hash },
  };
  const redactor = new SecretRedactor();
  Runtime.create({ tenants: [tenant], db, redactor });
  assertEquals(redactor.redact(`${token} ${hook} ${hash}`), "<redacted> <redacted> <redacted>");
  // Nothing went to the process-wide redactor behind the caller's back.
  assertEquals(secrets.redact(`${hook} ${hash}`), `${hook} ${hash}`);
  await db.close();
});
