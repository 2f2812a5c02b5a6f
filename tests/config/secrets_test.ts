import assert from "node:assert/strict";
import {
  isSecretReference,
  isWellFormedReference,
  resolveSecret,
  SecretError,
} from "../../config/secrets.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("resolveSecret reads env:NAME from the environment, trimmed", () => {
  const resolved = resolveSecret("env:SHOP_BOT_TOKEN", env({ SHOP_BOT_TOKEN: " 123:abc\r\n" }));
  assert.deepEqual(resolved, { value: "123:abc", literal: false });
});

Deno.test("resolveSecret returns a literal value marked as literal", () => {
  assert.deepEqual(resolveSecret("123:abc", env({})), { value: "123:abc", literal: true });
});

Deno.test("resolveSecret names a missing variable", () => {
  assert.throws(
    () => resolveSecret("env:SHOP_BOT_TOKEN", env({})),
    (error: unknown) =>
      error instanceof SecretError && error.variable === "SHOP_BOT_TOKEN" &&
      error.message === "environment variable SHOP_BOT_TOKEN is not set",
  );
});

Deno.test("resolveSecret names an empty variable", () => {
  assert.throws(
    () => resolveSecret("env:SHOP_BOT_TOKEN", env({ SHOP_BOT_TOKEN: "  " })),
    (error: unknown) =>
      error instanceof SecretError &&
      error.message === "environment variable SHOP_BOT_TOKEN is empty",
  );
});

Deno.test("resolveSecret rejects a malformed reference without echoing it", () => {
  const pasted = "env:123456:AAHsecretsecretsecretsecret";
  assert.throws(
    () => resolveSecret(pasted, env({})),
    (error: unknown) =>
      error instanceof SecretError && error.message.includes("malformed secret reference") &&
      !error.message.includes("AAHsecret"),
  );
});

Deno.test("resolveSecret rejects an empty literal", () => {
  assert.throws(() => resolveSecret("", env({})), SecretError);
});

Deno.test("isSecretReference and isWellFormedReference tell references apart", () => {
  assert.equal(isSecretReference("env:1BAD"), true);
  assert.equal(isWellFormedReference("env:1BAD"), false);
  assert.equal(isWellFormedReference("env:_GOOD_1"), true);
  assert.equal(isSecretReference("123:abc"), false);
});
