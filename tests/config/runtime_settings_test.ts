import assert from "node:assert/strict";
import {
  DEFAULT_DATABASE_URL,
  loadRuntimeSettings,
  RuntimeSettingsError,
} from "../../config/runtime_settings.ts";

const lookup = (vars: Record<string, string>) => (name: string) => vars[name];

function settingsError(vars: Record<string, string>): RuntimeSettingsError {
  try {
    loadRuntimeSettings(lookup(vars));
  } catch (error) {
    if (error instanceof RuntimeSettingsError) return error;
    throw error;
  }
  assert.fail("expected a RuntimeSettingsError");
}

Deno.test("runtime settings defaults", () => {
  assert.deepEqual(loadRuntimeSettings(lookup({})), {
    configDir: "config",
    databaseUrl: DEFAULT_DATABASE_URL,
    httpPort: 8080,
    httpHostname: "0.0.0.0",
    logLevel: "info",
    logFormat: "text",
  });
  assert.equal(DEFAULT_DATABASE_URL, "sqlite:data/constellation.db");
});

Deno.test("empty variables keep the defaults", () => {
  const settings = loadRuntimeSettings(lookup({ HTTP_PORT: "", PUBLIC_URL: " ", LOG_LEVEL: "" }));
  assert.equal(settings.httpPort, 8080);
  assert.equal(settings.publicUrl, undefined);
  assert.equal(settings.logLevel, "info");
});

Deno.test("every variable is read", () => {
  const settings = loadRuntimeSettings(lookup({
    CONFIG_DIR: "/etc/constellation",
    DATABASE_URL: "postgresql://bot:pw@127.0.0.1:5432/constellation",
    HTTP_PORT: "0",
    HTTP_HOSTNAME: "127.0.0.1",
    LOG_LEVEL: "WARNING",
    LOG_FORMAT: "json",
    PUBLIC_URL: "https://bots.example.org/",
    ADMIN_TOKEN: "admin-secret",
  }));
  assert.deepEqual(settings, {
    configDir: "/etc/constellation",
    databaseUrl: "postgresql://bot:pw@127.0.0.1:5432/constellation",
    httpPort: 0,
    httpHostname: "127.0.0.1",
    logLevel: "warning",
    logFormat: "json",
    publicUrl: "https://bots.example.org",
    adminToken: "admin-secret",
  });
  assert.equal(
    loadRuntimeSettings(lookup({ DATABASE_URL: "postgres://h/db" })).databaseUrl,
    "postgres://h/db",
  );
  assert.equal(loadRuntimeSettings(lookup({ HTTP_PORT: "65535" })).httpPort, 65535);
});

Deno.test("bad HTTP_PORT values name the variable and the range", () => {
  for (const value of ["65536", "80a", "-1", "8.5"]) {
    const error = settingsError({ HTTP_PORT: value });
    assert.deepEqual(error.issues, [{
      path: "HTTP_PORT",
      message: `expected an integer from 0 to 65535, got ${JSON.stringify(value)}`,
    }], value);
  }
});

Deno.test("bad LOG_LEVEL, LOG_FORMAT and PUBLIC_URL name their variables", () => {
  const error = settingsError({
    LOG_LEVEL: "verbose",
    LOG_FORMAT: "xml",
    PUBLIC_URL: "bots.example.org",
  });
  assert.deepEqual(error.issues, [
    {
      path: "LOG_LEVEL",
      message: 'expected one of trace, debug, info, warning, error, fatal, got "verbose"',
    },
    { path: "LOG_FORMAT", message: 'expected "text" or "json", got "xml"' },
    {
      path: "PUBLIC_URL",
      message:
        'expected an http:// or https:// URL without query or fragment, got "bots.example.org"',
    },
  ]);
  assert.match(error.message, /^invalid runtime settings in the environment:\n {2}LOG_LEVEL: /);
});

Deno.test("a bad DATABASE_URL is named but its value (which may hold a password) is not shown", () => {
  for (const value of ["mysql://root:hunter2@db/app", "sqlite:", "postgres:/x"]) {
    const error = settingsError({ DATABASE_URL: value });
    assert.deepEqual(error.issues, [{
      path: "DATABASE_URL",
      message: 'expected "sqlite:<file path>" or a "postgres://" or "postgresql://" URL',
    }], value);
    assert.ok(!error.message.includes("hunter2"), error.message);
  }
});

Deno.test("HTTP_HOSTNAME must look like a hostname or an address", () => {
  assert.throws(
    () => loadRuntimeSettings(lookup({ HTTP_HOSTNAME: "local host/" })),
    /HTTP_HOSTNAME: expected a hostname or an IP address/,
  );
});

Deno.test("HTTP_MAX_CONNECTIONS sets the HTTP server's cap; a bad value names the range", () => {
  assert.equal(
    loadRuntimeSettings(lookup({ HTTP_MAX_CONNECTIONS: "4096" })).httpMaxConnections,
    4096,
  );
  for (const value of ["0", "-5", "lots", "1000001"]) {
    assert.deepEqual(settingsError({ HTTP_MAX_CONNECTIONS: value }).issues, [
      {
        path: "HTTP_MAX_CONNECTIONS",
        message: `expected an integer from 1 to 1000000, got "${value}"`,
      },
    ], value);
  }
});

Deno.test("MAX_UPDATES_IN_FLIGHT and its per-tenant part are read; bad values name the range", () => {
  const settings = loadRuntimeSettings(lookup({
    MAX_UPDATES_IN_FLIGHT: "2000",
    MAX_UPDATES_IN_FLIGHT_PER_TENANT: "50",
  }));
  assert.equal(settings.maxUpdatesInFlight, 2000);
  assert.equal(settings.maxUpdatesInFlightPerTenant, 50);
  for (const name of ["MAX_UPDATES_IN_FLIGHT", "MAX_UPDATES_IN_FLIGHT_PER_TENANT"]) {
    assert.deepEqual(settingsError({ [name]: "0" }).issues, [
      { path: name, message: `expected an integer from 1 to 1000000, got "0"` },
    ]);
  }
});
