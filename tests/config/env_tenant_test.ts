import assert from "node:assert/strict";
import { resolve } from "node:path";
import {
  ENV_TENANT_ID,
  ENV_TENANT_SOURCE,
  EnvTenantError,
  tenantFromEnv,
} from "../../config/env_tenant.ts";
import { loadTenantFile } from "../../config/load_tenants.ts";

const TOKEN = "123456789:AAF-env-mode-token-value-abc";
const lookup = (vars: Record<string, string>) => (name: string) => vars[name];

function envError(vars: Record<string, string>): EnvTenantError {
  try {
    tenantFromEnv(lookup(vars), "config");
  } catch (error) {
    if (error instanceof EnvTenantError) return error;
    throw error;
  }
  assert.fail("expected an EnvTenantError");
}

Deno.test("no TELEGRAM_BOT_TOKEN means no env tenant", () => {
  assert.equal(tenantFromEnv(lookup({}), "config"), undefined);
  assert.equal(tenantFromEnv(lookup({ TELEGRAM_BOT_TOKEN: "  " }), "config"), undefined);
});

Deno.test("all variables build the default tenant", () => {
  const tenant = tenantFromEnv(
    lookup({
      TELEGRAM_BOT_TOKEN: TOKEN,
      USE_TELEGRAM_STARS: "No",
      TELEGRAM_API_ID: "12345",
      TELEGRAM_API_HASH: "abcdef0123456789",
      TELEGRAM_API_ROOT: "http://127.0.0.1:8081/",
      TELEGRAM_ADMINS: "111, 222,",
    }),
    "config",
  );
  assert.ok(tenant);
  assert.equal(tenant.id, ENV_TENANT_ID);
  assert.equal(tenant.source, ENV_TENANT_SOURCE);
  assert.equal(tenant.token, TOKEN);
  assert.equal(tenant.stars.enabled, false);
  assert.deepEqual(tenant.mtproto, { apiId: 12345, apiHash: "abcdef0123456789" });
  assert.equal(tenant.apiRoot, "http://127.0.0.1:8081");
  assert.deepEqual(tenant.admins, [111, 222]);
});

Deno.test("env tenant defaults match a file tenant's defaults", async () => {
  const fromEnv = tenantFromEnv(lookup({ TELEGRAM_BOT_TOKEN: TOKEN }), "config");
  const dir = await Deno.makeTempDir({ prefix: "constellation-env-" });
  try {
    const path = resolve(dir, "default.json");
    await Deno.writeTextFile(path, JSON.stringify({ token: "env:TELEGRAM_BOT_TOKEN" }));
    const fromFile = await loadTenantFile(path, dir, lookup({ TELEGRAM_BOT_TOKEN: TOKEN }));
    assert.ok(fromFile.ok);
    assert.deepEqual({ ...fromEnv, source: "" }, { ...fromFile.tenant, source: "" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("USE_TELEGRAM_STARS accepts true/false/1/0/yes/no in any case", () => {
  const cases: [string, boolean][] = [
    ["true", true],
    ["TRUE", true],
    ["1", true],
    ["Yes", true],
    ["false", false],
    ["0", false],
    ["no", false],
    ["NO", false],
  ];
  for (const [value, expected] of cases) {
    const tenant = tenantFromEnv(
      lookup({ TELEGRAM_BOT_TOKEN: TOKEN, USE_TELEGRAM_STARS: value }),
      "config",
    );
    assert.equal(tenant?.stars.enabled, expected, value);
  }
});

Deno.test("a bad USE_TELEGRAM_STARS names the variable", () => {
  const error = envError({ TELEGRAM_BOT_TOKEN: TOKEN, USE_TELEGRAM_STARS: "maybe" });
  assert.deepEqual(error.issues, [{
    path: "USE_TELEGRAM_STARS",
    message: 'expected true/false, 1/0 or yes/no, got "maybe"',
  }]);
  assert.match(
    error.message,
    /^invalid single-bot settings in the environment:\n {2}USE_TELEGRAM_STARS: /,
  );
});

Deno.test("TELEGRAM_API_ID without TELEGRAM_API_HASH is an error naming both", () => {
  const error = envError({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ID: "12345" });
  assert.deepEqual(error.issues, [{
    path: "TELEGRAM_API_HASH",
    message: "expected TELEGRAM_API_HASH to be set because TELEGRAM_API_ID is; " +
      "set both to use MTProto, or neither",
  }]);
  const reverse = envError({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_HASH: "abc" });
  assert.equal(reverse.issues[0].path, "TELEGRAM_API_ID");
});

Deno.test("a non-numeric TELEGRAM_API_ID names the variable", () => {
  const error = envError({
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ID: "abc",
    TELEGRAM_API_HASH: "def",
  });
  assert.deepEqual(error.issues, [{
    path: "TELEGRAM_API_ID",
    message:
      "expected environment variable TELEGRAM_API_ID to hold a positive integer (the api_id)",
  }]);
});

Deno.test("bad TELEGRAM_ADMINS and TELEGRAM_API_ROOT name their variables", () => {
  const admins = envError({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_ADMINS: "111,bob" });
  assert.deepEqual(admins.issues, [{
    path: "TELEGRAM_ADMINS",
    message:
      'expected comma-separated Telegram user ids (positive integers), got "bob" in the list',
  }]);
  const duplicate = envError({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_ADMINS: "5,5" });
  assert.equal(duplicate.issues[0].path, "TELEGRAM_ADMINS");
  assert.match(duplicate.issues[0].message, /duplicate admin id 5.*\(admins\[1\]\)$/);
  const root = envError({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: "api.telegram.org" });
  assert.equal(root.issues[0].path, "TELEGRAM_API_ROOT");
  assert.match(root.issues[0].message, /^expected an http:\/\/ or https:\/\/ URL/);
});

Deno.test("env tenant errors never contain the token", () => {
  const error = envError({
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: `https://api.telegram.org/bot${TOKEN}`,
  });
  assert.equal(error.issues[0].path, "TELEGRAM_API_ROOT");
  assert.ok(!error.message.includes("env-mode-token"), error.message);
});
