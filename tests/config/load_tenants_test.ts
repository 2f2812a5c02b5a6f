import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ConfigDirMissingError,
  formatProblem,
  formatWarning,
  loadTenantFile,
  loadTenants,
  tenantIdOf,
} from "../../config/load_tenants.ts";

const SECRET_TOKEN = "987654321:AAF-super-secret-token-value-xyz";
const vars: Record<string, string> = {
  SHOP_BOT_TOKEN: SECRET_TOKEN,
  HOOK_SECRET: "hook-secret",
  API_ID: "12345",
  API_HASH: "hash-value",
};
const env = (name: string) => vars[name];

const EXAMPLES_DIR = fileURLToPath(new URL("../../config/examples", import.meta.url));

/** A temporary config dir whose `tenants/` holds `files` (objects are written as JSON). */
async function withConfig(
  files: Record<string, unknown>,
  run: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "constellation-config-" });
  try {
    await Deno.mkdir(join(dir, "tenants"));
    for (const [name, content] of Object.entries(files)) {
      const text = typeof content === "string" ? content : JSON.stringify(content, null, 2);
      await Deno.writeTextFile(join(dir, "tenants", name), text);
    }
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the shop example validates and loads", async () => {
  const result = await loadTenantFile(join(EXAMPLES_DIR, "shop.json"), EXAMPLES_DIR, env);
  assert.deepEqual(result.warnings, []);
  if (!result.ok) assert.fail(formatProblem(result.problem));
  const shop = result.tenant;
  assert.equal(shop.id, "shop");
  assert.equal(shop.token, SECRET_TOKEN);
  assert.deepEqual(shop.products.map((product) => product.kind), [
    "credits",
    "item",
    "subscription",
  ]);
  assert.equal("$schema" in shop, false);
});

Deno.test("the example's $schema points at the generated schema", async () => {
  const example = JSON.parse(await Deno.readTextFile(join(EXAMPLES_DIR, "shop.json")));
  assert.equal(example.$schema, "../tenant.schema.json");
  assert.equal(example.token, "env:SHOP_BOT_TOKEN");
  await Deno.stat(join(EXAMPLES_DIR, example.$schema));
});

Deno.test("defaults are applied to a minimal tenant", async () => {
  await withConfig({ "shop.json": { token: "env:SHOP_BOT_TOKEN" } }, async (dir) => {
    const { tenants, problems, warnings } = await loadTenants(dir, env);
    assert.deepEqual(problems, []);
    assert.deepEqual(warnings, []);
    assert.deepEqual(tenants, [{
      id: "shop",
      source: join(dir, "tenants", "shop.json"),
      token: SECRET_TOKEN,
      enabled: true,
      apiRoot: "https://api.telegram.org",
      testEnvironment: false,
      updates: "polling",
      admins: [],
      locale: "en",
      pluginWorker: "shared",
      stars: {
        enabled: true,
        lowBalanceThreshold: 0,
        subscriptionPeriod: 2592000,
        orderTtlSeconds: 3600,
      },
      products: [],
      texts: {},
      balance: { cacheTtlSeconds: 60, reconcileIntervalSeconds: 600 },
    }]);
  });
});

Deno.test("product defaults, secrets, mtproto and plugin are resolved", async () => {
  const tenant = {
    token: "env:SHOP_BOT_TOKEN",
    apiRoot: "http://127.0.0.1:8081//",
    testEnvironment: true,
    updates: "webhook",
    webhook: { secretToken: "env:HOOK_SECRET" },
    stars: { subscriptionPeriod: 300 },
    mtproto: { apiId: "env:API_ID", apiHash: "env:API_HASH" },
    plugin: "plugins/shop.ts",
    products: [
      { kind: "item", id: "a", title: "A", description: "An item", price: 3, content: "Hi" },
    ],
  };
  await withConfig({ "shop.json": tenant }, async (dir) => {
    const { tenants, problems } = await loadTenants(dir, env);
    assert.deepEqual(problems, []);
    const [shop] = tenants;
    assert.equal(shop.apiRoot, "http://127.0.0.1:8081");
    assert.deepEqual(shop.webhook, { secretToken: "hook-secret" });
    assert.deepEqual(shop.mtproto, { apiId: 12345, apiHash: "hash-value" });
    assert.equal(shop.plugin, join(resolve(dir), "plugins", "shop.ts"));
    assert.equal(shop.products[0].enabled, true);
    assert.equal(shop.stars.subscriptionPeriod, 300);
  });
});

Deno.test("a plugin worker is shared or the tenant's own, nothing else", async () => {
  const own = { token: "env:SHOP_BOT_TOKEN", pluginWorker: "own" };
  await withConfig({ "shop.json": own }, async (dir) => {
    const { tenants, problems } = await loadTenants(dir, env);
    assert.deepEqual(problems, []);
    assert.equal(tenants[0]?.pluginWorker, "own");
  });
  const bogus = { token: "env:SHOP_BOT_TOKEN", pluginWorker: "per-tenant" };
  await withConfig({ "shop.json": bogus }, async (dir) => {
    const { problems } = await loadTenants(dir, env);
    assert.equal(problems.length, 1);
    assert.match(formatProblem(problems[0]), /pluginWorker: expected "shared" or "own"/);
  });
});

Deno.test("invalid JSON reports the file and the line and column", async () => {
  await withConfig({ "shop.json": `{\n  "token": "env:SHOP_BOT_TOKEN",\n}` }, async (dir) => {
    const { problems, tenants } = await loadTenants(dir, env);
    assert.equal(tenants.length, 0);
    assert.equal(problems.length, 1);
    const line = formatProblem(problems[0]);
    assert.match(line, /^.*\/tenants\/shop\.json: not valid JSON at line 3, column 1: /);
  });
});

Deno.test("invalid JSON never quotes the file's content", async () => {
  // V8's own messages quote the text around the error; these inputs put the token there.
  const texts = [
    SECRET_TOKEN,
    `{"token": "${SECRET_TOKEN}", "enabled": tru}`,
    `[ ${SECRET_TOKEN}x`,
  ];
  for (const text of texts) {
    await withConfig({ "shop.json": text }, async (dir) => {
      const { problems } = await loadTenants(dir, env);
      const line = formatProblem(problems[0]);
      assert.match(line, /shop\.json: not valid JSON/);
      assert.ok(!line.includes("secret"), line);
    });
  }
});

Deno.test("an empty file is reported as empty", async () => {
  await withConfig({ "shop.json": "" }, async (dir) => {
    const { problems } = await loadTenants(dir, env);
    assert.match(
      formatProblem(problems[0]),
      /shop\.json: the file is empty; expected a JSON object/,
    );
  });
});

Deno.test("one bad file does not stop the others; results are sorted", async () => {
  const files = {
    "zeta.json": { token: "env:SHOP_BOT_TOKEN" },
    "broken.json": "{",
    "alpha.json": { token: "env:SHOP_BOT_TOKEN" },
    "invalid.json": { token: "env:SHOP_BOT_TOKEN", locale: "German" },
  };
  await withConfig(files, async (dir) => {
    const { tenants, problems } = await loadTenants(dir, env);
    assert.deepEqual(tenants.map((tenant) => tenant.id), ["alpha", "zeta"]);
    assert.deepEqual(
      problems.map((problem) => problem.file),
      [join(dir, "tenants", "broken.json"), join(dir, "tenants", "invalid.json")],
    );
    assert.match(
      formatProblem(problems[1]),
      /invalid\.json: locale: expected a lowercase locale tag such as "en", "ru" or "pt-br", got "German"$/,
    );
  });
});

Deno.test("a missing secret variable is named and its value never shown", async () => {
  await withConfig({ "shop.json": { token: "env:MISSING_TOKEN" } }, async (dir) => {
    const { problems, tenants } = await loadTenants(dir, env);
    assert.equal(tenants.length, 0);
    assert.equal(
      formatProblem(problems[0]),
      `${join(dir, "tenants", "shop.json")}: token: environment variable MISSING_TOKEN is not set`,
    );
  });
  await withConfig({ "shop.json": { token: "env:SHOP_BOT_TOKEN" } }, async (dir) => {
    // Present but empty: still named; the problem must not carry any other secret either.
    const { problems } = await loadTenants(
      dir,
      (name) => (name === "SHOP_BOT_TOKEN" ? "" : env(name)),
    );
    const line = formatProblem(problems[0]);
    assert.match(line, /token: environment variable SHOP_BOT_TOKEN is empty$/);
    assert.ok(!line.includes(SECRET_TOKEN));
  });
});

Deno.test("a literal token loads with a warning that does not contain it", async () => {
  const tenant = { token: SECRET_TOKEN, mtproto: { apiId: 7, apiHash: "literal-hash" } };
  await withConfig({ "shop.json": tenant }, async (dir) => {
    const { tenants, warnings } = await loadTenants(dir, env);
    assert.equal(tenants[0].token, SECRET_TOKEN);
    assert.deepEqual(tenants[0].mtproto, { apiId: 7, apiHash: "literal-hash" });
    assert.deepEqual(warnings.map((warning) => warning.path), ["token", "mtproto.apiHash"]);
    for (const warning of warnings) {
      const text = formatWarning(warning);
      assert.match(text, /shop\.json: (token|mtproto\.apiHash): the secret is written literally/);
      assert.ok(!text.includes(SECRET_TOKEN) && !text.includes("literal-hash"), text);
    }
  });
});

Deno.test("a schema error on a literal token never shows the token", async () => {
  await withConfig({ "shop.json": { token: SECRET_TOKEN, oops: SECRET_TOKEN } }, async (dir) => {
    const { problems } = await loadTenants(dir, env);
    const text = formatProblem(problems[0]);
    assert.match(text, /oops: unknown field/);
    assert.ok(!text.includes(SECRET_TOKEN));
  });
});

Deno.test("an mtproto apiId variable that is not a number is named", async () => {
  const tenant = {
    token: "env:SHOP_BOT_TOKEN",
    mtproto: { apiId: "env:API_HASH", apiHash: "env:API_HASH" },
  };
  await withConfig({ "shop.json": tenant }, async (dir) => {
    const { problems } = await loadTenants(dir, env);
    assert.match(
      formatProblem(problems[0]),
      /mtproto\.apiId: expected environment variable API_HASH to hold a positive integer/,
    );
  });
});

Deno.test("a missing config dir throws an error naming the folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "constellation-config-" });
  await Deno.remove(dir);
  await assert.rejects(
    () => loadTenants(dir, env),
    (error: unknown) =>
      error instanceof ConfigDirMissingError && error.configDir === dir &&
      error.message.startsWith(`configuration folder "${dir}" does not exist`),
  );
});

Deno.test("a config dir without tenants/ has zero tenants", async () => {
  const dir = await Deno.makeTempDir({ prefix: "constellation-config-" });
  try {
    assert.deepEqual(await loadTenants(dir, env), { tenants: [], problems: [], warnings: [] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("files not ending in .json are ignored", async () => {
  const files = {
    ".gitkeep": "",
    "README.md": "# tenants",
    "shop.json.bak": "{",
    "shop.json": { token: "env:SHOP_BOT_TOKEN" },
  };
  await withConfig(files, async (dir) => {
    const { tenants, problems } = await loadTenants(dir, env);
    assert.deepEqual(problems, []);
    assert.deepEqual(tenants.map((tenant) => tenant.id), ["shop"]);
  });
});

Deno.test("plugin paths that escape the config folder are rejected", async () => {
  const cases: [string, RegExp][] = [
    [
      "../outside.ts",
      /plugin: expected a path inside the config folder \(no "\.\." segments\), got "\.\.\/outside\.ts"$/,
    ],
    ["plugins/../../outside.ts", /plugin: expected a path inside the config folder/],
    [
      "/etc/plugin.ts",
      /plugin: expected a path relative to the config folder, not an absolute path/,
    ],
    [
      "plugins/shop.py",
      /plugin: expected a path ending in "\.ts" or "\.js", got "plugins\/shop\.py"$/,
    ],
  ];
  for (const [plugin, expected] of cases) {
    await withConfig({ "shop.json": { token: "env:SHOP_BOT_TOKEN", plugin } }, async (dir) => {
      const { problems, tenants } = await loadTenants(dir, env);
      assert.equal(tenants.length, 0, plugin);
      assert.match(formatProblem(problems[0]), expected);
    });
  }
});

Deno.test("a plugin is loaded by its real path, and a link out of the config folder is refused", async () => {
  const outside = await Deno.makeTempDir({ prefix: "constellation-outside-" });
  try {
    await Deno.writeTextFile(join(outside, "evil.ts"), "export default () => {};");
    const files = {
      "linked.json": { token: "env:SHOP_BOT_TOKEN", plugin: "plugins/linked.ts" },
      "folder.json": { token: "env:SHOP_BOT_TOKEN", plugin: "vendor/evil.ts" },
      "shop.json": { token: "env:SHOP_BOT_TOKEN", plugin: "plugins/current.ts" },
    };
    await withConfig(files, async (dir) => {
      await Deno.mkdir(join(dir, "plugins"));
      await Deno.symlink(join(outside, "evil.ts"), join(dir, "plugins", "linked.ts"));
      await Deno.symlink(outside, join(dir, "vendor"));
      await Deno.writeTextFile(join(dir, "plugins", "shop-v2.ts"), "export default () => {};");
      await Deno.symlink(join(dir, "plugins", "shop-v2.ts"), join(dir, "plugins", "current.ts"));
      const { tenants, problems } = await loadTenants(dir, env);
      assert.deepEqual(tenants.map((tenant) => tenant.plugin), [
        join(await Deno.realPath(dir), "plugins", "shop-v2.ts"),
      ]);
      assert.deepEqual(problems.map(formatProblem), [
        `${join(dir, "tenants", "folder.json")}: plugin: expected a file inside the config ` +
        `folder; "vendor/evil.ts" leads through a symbolic link to ${outside}/evil.ts`,
        `${join(dir, "tenants", "linked.json")}: plugin: expected a file inside the config ` +
        `folder; "plugins/linked.ts" leads through a symbolic link to ${outside}/evil.ts`,
      ]);
    });
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("a plugin beside the tenant files is refused: it may read the folder it is in", async () => {
  for (const plugin of ["oracle.ts", "tenants/oracle.ts"]) {
    await withConfig({ "shop.json": { token: "env:SHOP_BOT_TOKEN", plugin } }, async (dir) => {
      const { problems, tenants } = await loadTenants(dir, env);
      assert.equal(tenants.length, 0, plugin);
      assert.match(
        formatProblem(problems[0]),
        /plugin: expected a file in a folder of its own, such as "plugins\/oracle\.ts"/,
      );
    });
  }
});

Deno.test("loadTenantFile reports a file that does not exist", async () => {
  const result = await loadTenantFile("/nonexistent/tenants/gone.json", "/nonexistent", env);
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(
      formatProblem(result.problem),
      "/nonexistent/tenants/gone.json: the file does not exist",
    );
  }
});

Deno.test("tenantIdOf takes the id from the file name", () => {
  assert.equal(tenantIdOf("config/tenants/shop-2_b.json"), "shop-2_b");
  assert.equal(tenantIdOf("config/tenants/Shop.json"), undefined);
  assert.equal(tenantIdOf("config/tenants/-shop.json"), undefined);
  assert.equal(tenantIdOf("config/tenants/shop.txt"), undefined);
});

Deno.test("formatProblem writes one line per issue, and the message when there are none", () => {
  const file = "config/tenants/shop.json";
  assert.equal(
    formatProblem({
      file,
      message: "invalid tenant configuration (2 problems)",
      issues: [
        { path: "products[1].price", message: "expected an integer ≥ 1, got 0" },
        { path: "", message: "expected an object" },
      ],
    }),
    `${file}: products[1].price: expected an integer ≥ 1, got 0\n${file}: expected an object`,
  );
  assert.equal(
    formatProblem({ file, message: "the file is empty", issues: [] }),
    `${file}: the file is empty`,
  );
});

/** Makes a FIFO at `path` with `mkfifo`, as an operator's mistake (or an attacker) would. */
async function mkfifo(path: string): Promise<void> {
  const { success, stderr } = await new Deno.Command("mkfifo", { args: [path], stderr: "piped" })
    .output();
  if (!success) throw new Error(`mkfifo ${path} failed: ${new TextDecoder().decode(stderr)}`);
}

/** `work` or a failure after `ms`: a read that waits for a FIFO's writer must fail the test. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("a FIFO, socket, folder or link to a FIFO named *.json is skipped, never waited on", async () => {
  await withConfig({ "shop.json": { token: "env:SHOP_BOT_TOKEN" } }, async (dir) => {
    const tenants = join(dir, "tenants");
    await mkfifo(join(tenants, "pipe.json"));
    await Deno.symlink(join(tenants, "pipe.json"), join(tenants, "linked.json"));
    await Deno.mkdir(join(tenants, "folder.json"));
    using _socket = Deno.listen({ transport: "unix", path: join(tenants, "socket.json") });

    const loaded = await within(5_000, "loading the tenants", loadTenants(dir, env));
    assert.deepEqual(loaded.tenants.map((tenant) => tenant.id), ["shop"]);
    const skipped = (name: string, kind: string) =>
      `${join(tenants, name)}: skipped: not a regular file but ${kind}; ` +
      "only regular files are read as tenant files";
    assert.deepEqual(loaded.problems.map((problem) => formatProblem(problem)), [
      skipped("folder.json", "a folder"),
      skipped("linked.json", "a FIFO (named pipe)"),
      skipped("pipe.json", "a FIFO (named pipe)"),
      skipped("socket.json", "a socket"),
    ]);
  });
});

Deno.test("a tenant file over 1 MiB is refused unread", async () => {
  const huge = `{ "token": "env:SHOP_BOT_TOKEN", "texts": { "en": {} } }${" ".repeat(1024 * 1024)}`;
  await withConfig({ "shop.json": huge }, async (dir) => {
    const { problems } = await loadTenants(dir, env);
    assert.match(
      formatProblem(problems[0]),
      /shop\.json: could not read the file: the file holds \d+ bytes; a tenant file may hold at most 1048576/,
    );
  });
});
