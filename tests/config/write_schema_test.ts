import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { renderTenantJsonSchema, TENANT_SCHEMA_FILE } from "../../config/write_schema.ts";

const SCRIPT = fileURLToPath(new URL("../../config/write_schema.ts", import.meta.url));

Deno.test("the committed tenant.schema.json is up to date", async () => {
  const committed = await Deno.readTextFile(TENANT_SCHEMA_FILE);
  assert.equal(
    committed,
    renderTenantJsonSchema(),
    "config/tenant.schema.json is out of date: run `deno task schema`",
  );
});

Deno.test("the schema describes the input shape with defaults and allows $schema", () => {
  const schema = JSON.parse(renderTenantJsonSchema());
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.equal(schema.title, "Constellation tenant");
  assert.equal(typeof schema.description, "string");
  assert.deepEqual(schema.required, ["token"]);
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.properties.$schema.type, "string");
  assert.equal(schema.properties.apiRoot.default, "https://api.telegram.org");
  assert.equal(schema.properties.stars.properties.subscriptionPeriod.default, 2592000);
  const [credits, , subscription] = schema.properties.products.items.oneOf;
  // A title is one text or one per locale, each within Telegram's limit.
  const [title, titles] = credits.properties.title.anyOf;
  assert.equal(title.maxLength, 32);
  assert.equal(titles.additionalProperties.maxLength, 32);
  assert.equal(credits.properties.description.anyOf[0].maxLength, 255);
  assert.equal(subscription.properties.price.maximum, 10000);
  // Every field with a default explains it.
  for (const [name, property] of Object.entries(schema.properties)) {
    const described = property as { default?: unknown; description?: string };
    if ("default" in described) assert.match(described.description ?? "", /Default/, name);
  }
});

Deno.test("write_schema.ts --check accepts the committed file", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", SCRIPT, "--check"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
});
