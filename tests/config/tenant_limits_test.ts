// Every limit violation must give an error naming the file, the field path and the expectation.
import assert from "node:assert/strict";
import { join } from "node:path";
import { formatProblem, loadTenants } from "../../config/load_tenants.ts";

const env = (name: string) => (name === "SHOP_BOT_TOKEN" ? "123456:test-token" : undefined);

const credits = {
  kind: "credits",
  id: "pack",
  title: "100 credits",
  description: "A pack of credits",
  price: 50,
  credits: 100,
};
const subscription = {
  kind: "subscription",
  id: "monthly",
  title: "Monthly",
  description: "A monthly membership",
  price: 150,
};

/** Writes `tenant` as `tenants/<fileName>` and returns the formatted problem lines. */
async function problemLines(tenant: unknown, fileName = "shop.json"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "constellation-limits-" });
  try {
    await Deno.mkdir(join(dir, "tenants"));
    await Deno.writeTextFile(join(dir, "tenants", fileName), JSON.stringify(tenant));
    const result = await loadTenants(dir, env);
    assert.equal(result.tenants.length, 0, "the invalid tenant must not load");
    assert.equal(result.problems.length, 1);
    assert.equal(result.problems[0].file, join(dir, "tenants", fileName));
    return formatProblem(result.problems[0]).replaceAll(dir, "<dir>");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function withProduct(product: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { token: "env:SHOP_BOT_TOKEN", products: [product], ...extra };
}

Deno.test("title of 33 characters is rejected", async () => {
  const lines = await problemLines(withProduct({ ...credits, title: "t".repeat(33) }));
  assert.match(
    lines,
    /^<dir>\/tenants\/shop\.json: products\[0\]\.title: expected a text of 1 to 32 characters .*, got "t{33}" \(33 characters\)$/,
  );
});

Deno.test("description of 256 characters is rejected", async () => {
  const lines = await problemLines(withProduct({ ...credits, description: "d".repeat(256) }));
  assert.match(
    lines,
    /^<dir>\/tenants\/shop\.json: products\[0\]\.description: expected a text of 1 to 255 characters .*\(256 characters\)$/,
  );
});

Deno.test("price 0 is rejected", async () => {
  assert.equal(
    await problemLines(withProduct({ ...credits, price: 0 })),
    "<dir>/tenants/shop.json: products[0].price: expected an integer ≥ 1 (price in Telegram Stars), got 0",
  );
});

Deno.test("price 1.5 is rejected", async () => {
  assert.equal(
    await problemLines(withProduct({ ...credits, price: 1.5 })),
    "<dir>/tenants/shop.json: products[0].price: expected an integer ≥ 1 (price in Telegram Stars), got 1.5",
  );
});

Deno.test("subscription price 10001 is rejected", async () => {
  assert.equal(
    await problemLines(withProduct({ ...subscription, price: 10001 })),
    "<dir>/tenants/shop.json: products[0].price: expected an integer from 1 to 10000 " +
      "(Telegram's limit for subscription prices), got 10001",
  );
});

Deno.test("subscription price 10000 is accepted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "constellation-limits-" });
  try {
    await Deno.mkdir(join(dir, "tenants"));
    const tenant = withProduct({ ...subscription, price: 10000 });
    await Deno.writeTextFile(join(dir, "tenants", "shop.json"), JSON.stringify(tenant));
    const result = await loadTenants(dir, env);
    assert.deepEqual(result.problems, []);
    assert.equal(result.tenants[0].products[0].price, 10000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("duplicate product ids name the duplicate and both indexes", async () => {
  const tenant = {
    token: "env:SHOP_BOT_TOKEN",
    products: [credits, subscription, { ...credits, title: "Again" }],
  };
  assert.equal(
    await problemLines(tenant),
    `<dir>/tenants/shop.json: products[2].id: duplicate product id "pack": index 0 has it too; ` +
      "expected each product id to appear once",
  );
});

Deno.test("duplicate ids are reported even when another product is invalid", async () => {
  const tenant = {
    token: "env:SHOP_BOT_TOKEN",
    products: [credits, { ...credits, price: 0 }],
  };
  const lines = (await problemLines(tenant)).split("\n");
  assert.equal(lines.length, 2);
  assert.ok(lines.some((line) => line.includes("products[1].price: expected an integer ≥ 1")));
  assert.ok(lines.some((line) => line.includes('products[1].id: duplicate product id "pack"')));
});

Deno.test("an unknown field (typo) is rejected with a suggestion", async () => {
  const { title, ...rest } = credits;
  const lines = await problemLines(withProduct({ ...rest, titel: title }));
  assert.match(
    lines,
    /products\[0\]\.titel: unknown field \(did you mean "title"\?\); expected only: kind, id, title,/,
  );
  assert.match(
    lines,
    /products\[0\]\.title: expected a text of 1 to 32 characters .*got nothing \(the field is missing\)/,
  );
});

Deno.test("an unknown top-level field is rejected", async () => {
  const lines = await problemLines({ token: "env:SHOP_BOT_TOKEN", admin: [1] });
  assert.match(
    lines,
    /^<dir>\/tenants\/shop\.json: admin: unknown field \(did you mean "admins"\?\); expected only: /,
  );
});

Deno.test("a bad tenant id file name is rejected with the expected form", async () => {
  const lines = await problemLines({ token: "env:SHOP_BOT_TOKEN" }, "My Shop.json");
  assert.equal(
    lines,
    `<dir>/tenants/My Shop.json: the file name "My Shop.json" does not give a valid tenant id: ` +
      `expected <id>.json where <id> is 1 to 63 lowercase letters, digits, "_" or "-", ` +
      "starting with a letter or digit",
  );
});

Deno.test("a tenant id of 64 characters is rejected, 63 accepted", async () => {
  const lines = await problemLines({ token: "env:SHOP_BOT_TOKEN" }, `${"a".repeat(64)}.json`);
  assert.match(lines, /does not give a valid tenant id/);
  const dir = await Deno.makeTempDir({ prefix: "constellation-limits-" });
  try {
    await Deno.mkdir(join(dir, "tenants"));
    const name = `${"a".repeat(63)}.json`;
    await Deno.writeTextFile(join(dir, "tenants", name), `{"token":"env:SHOP_BOT_TOKEN"}`);
    assert.deepEqual((await loadTenants(dir, env)).tenants.map((t) => t.id), ["a".repeat(63)]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bad apiRoot is rejected", async () => {
  assert.equal(
    await problemLines({ token: "env:SHOP_BOT_TOKEN", apiRoot: "ftp://example.org" }),
    "<dir>/tenants/shop.json: apiRoot: expected an http:// or https:// URL without query or " +
      'fragment, such as https://api.telegram.org, got "ftp://example.org"',
  );
  assert.match(
    await problemLines({ token: "env:SHOP_BOT_TOKEN", apiRoot: "not a url" }),
    /apiRoot: expected an http:\/\/ or https:\/\/ URL/,
  );
});

Deno.test("an apiRoot containing the bot token is rejected without showing it", async () => {
  const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
  const lines = await problemLines({
    token: "env:SHOP_BOT_TOKEN",
    apiRoot: `https://api.telegram.org/bot${token}`,
  });
  assert.equal(
    lines,
    "<dir>/tenants/shop.json: apiRoot: expected apiRoot without the bot token " +
      "(it is added to the URL automatically)",
  );
  // The resolved token itself (not token-shaped here) is caught after resolution.
  const resolved = await problemLines({
    token: "env:SHOP_BOT_TOKEN",
    apiRoot: "https://api.example.org/123456:test-token",
  });
  assert.match(resolved, /apiRoot: expected apiRoot without the bot token/);
  assert.ok(!resolved.includes("test-token"));
});

Deno.test("subscriptionPeriod 60 without testEnvironment is rejected", async () => {
  assert.equal(
    await problemLines({ token: "env:SHOP_BOT_TOKEN", stars: { subscriptionPeriod: 60 } }),
    "<dir>/tenants/shop.json: stars.subscriptionPeriod: expected 2592000 (30 days): a period of " +
      "60 seconds is accepted only in Telegram's test environment, so set testEnvironment to " +
      "true or remove subscriptionPeriod",
  );
});

Deno.test("subscriptionPeriod other than 2592000, 60 or 300 is rejected", async () => {
  assert.equal(
    await problemLines({
      token: "env:SHOP_BOT_TOKEN",
      testEnvironment: true,
      stars: { subscriptionPeriod: 120 },
    }),
    "<dir>/tenants/shop.json: stars.subscriptionPeriod: expected 2592000 (30 days), or 60 or " +
      "300 when testEnvironment is true, got 120",
  );
});

Deno.test("product id with characters a deep link cannot carry is rejected", async () => {
  const lines = await problemLines(withProduct({ ...credits, id: "pack 1" }));
  assert.match(
    lines,
    /products\[0\]\.id: expected 1 to 47 letters, digits, "_" or "-" .*got "pack 1"$/,
  );
  const long = await problemLines(withProduct({ ...credits, id: "p".repeat(48) }));
  assert.match(long, /products\[0\]\.id: expected 1 to 47 letters/);
});

Deno.test("an unknown product kind lists the kinds", async () => {
  assert.equal(
    await problemLines(withProduct({ ...credits, kind: "bundle" })),
    `<dir>/tenants/shop.json: products[0].kind: expected kind to be "credits", "item" or ` +
      `"subscription", got "bundle"`,
  );
});

Deno.test("duplicate and non-positive admin ids are rejected", async () => {
  const lines = await problemLines({ token: "env:SHOP_BOT_TOKEN", admins: [5, 5, -1] });
  assert.match(lines, /admins\[1\]: duplicate admin id 5: index 0 has it too/);
  assert.match(lines, /admins\[2\]: expected an integer ≥ 1 \(a Telegram user id\), got -1/);
});

Deno.test("other numeric limits name their range", async () => {
  const lines = await problemLines({
    token: "env:SHOP_BOT_TOKEN",
    stars: { orderTtlSeconds: 59, lowBalanceThreshold: -1 },
    balance: { cacheTtlSeconds: 3601, reconcileIntervalSeconds: 29 },
  });
  assert.match(lines, /stars\.orderTtlSeconds: expected an integer from 60 to 86400, got 59/);
  assert.match(lines, /stars\.lowBalanceThreshold: expected an integer ≥ 0 \(credits\), got -1/);
  assert.match(lines, /balance\.cacheTtlSeconds: expected an integer from 1 to 3600, got 3601/);
  assert.match(lines, /balance\.reconcileIntervalSeconds: expected an integer from 30 to 86400/);
});

Deno.test("texts must be non-empty strings of at most 4096 characters", async () => {
  const lines = await problemLines({
    token: "env:SHOP_BOT_TOKEN",
    texts: { en: { welcome: "" }, ru: { welcome: "я".repeat(4097) } },
  });
  assert.match(lines, /texts\.en\.welcome: expected a text of 1 to 4096 characters/);
  assert.match(
    lines,
    /texts\.ru\.welcome: expected a text of 1 to 4096 characters.*\(4097 characters\)/,
  );
});

Deno.test("a token that is not a string is rejected with the expected form", async () => {
  assert.equal(
    await problemLines({ token: 123 }),
    `<dir>/tenants/shop.json: token: expected a secret reference "env:NAME", where NAME is an ` +
      `environment variable name (letters, digits and "_", not starting with a digit), got a number`,
  );
});

Deno.test("a missing token is reported", async () => {
  assert.match(await problemLines({}), /token: expected a secret reference .*got nothing/);
});

Deno.test("products or admins of the wrong type are reported, not thrown", async () => {
  const lines = await problemLines({ token: "env:TOKEN", products: "none", admins: 5 });
  assert.match(lines, /products: expected/);
  assert.match(lines, /admins: expected/);
});

Deno.test("several unknown top-level fields each get their own suggestion", async () => {
  const lines = await problemLines({ token: "env:SHOP_BOT_TOKEN", admin: [1], lcoale: "ru" });
  assert.match(
    lines,
    /^<dir>\/tenants\/shop\.json: unknown fields "admin" \(did you mean "admins"\?\), "lcoale" \(did you mean "locale"\?\); expected only: /,
  );
});

Deno.test("several unknown nested fields each get their own suggestion", async () => {
  const { title, price, ...rest } = credits;
  const lines = await problemLines(withProduct({ ...rest, titel: title, prise: price }));
  assert.match(
    lines,
    /products\[0\]: unknown fields "titel" \(did you mean "title"\?\), "prise" \(did you mean "price"\?\); /,
  );
});
