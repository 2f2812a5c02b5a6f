import assert from "node:assert/strict";
import { join } from "node:path";
import { type LoadResult, loadTenants } from "../../config/load_tenants.ts";
import { planReload, type ReloadPlan, transitionOf } from "../../config/reload_plan.ts";
import type { TenantConfig } from "../../config/tenant_schema.ts";

const vars: Record<string, string> = {
  SHOP_TOKEN: "111:shop-token",
  QUIZ_TOKEN: "222:quiz-token",
  NEWS_TOKEN: "333:news-token",
};

/** A config folder on disk, edited between loads like an operator would. */
class ConfigFolder {
  readonly dir: string;
  readonly env: Record<string, string>;

  private constructor(dir: string, env: Record<string, string>) {
    this.dir = dir;
    this.env = env;
  }

  static async create(files: Record<string, unknown>): Promise<ConfigFolder> {
    const dir = await Deno.makeTempDir({ prefix: "constellation-reload-" });
    await Deno.mkdir(join(dir, "tenants"));
    const folder = new ConfigFolder(dir, { ...vars });
    for (const [name, content] of Object.entries(files)) await folder.write(name, content);
    return folder;
  }

  /** Writes `tenants/<name>`; objects as JSON, strings as they are. */
  write(name: string, content: unknown): Promise<void> {
    const text = typeof content === "string" ? content : JSON.stringify(content, null, 2);
    return Deno.writeTextFile(join(this.dir, "tenants", name), text);
  }

  delete(name: string): Promise<void> {
    return Deno.remove(join(this.dir, "tenants", name));
  }

  load(): Promise<LoadResult> {
    return loadTenants(this.dir, (name) => this.env[name]);
  }

  /** What the runtime would hold after starting from the current files. */
  async running(): Promise<Map<string, TenantConfig>> {
    const { tenants, problems } = await this.load();
    assert.deepEqual(problems, []);
    return new Map(tenants.map((tenant) => [tenant.id, tenant]));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return Deno.remove(this.dir, { recursive: true });
  }
}

const shop = { token: "env:SHOP_TOKEN", locale: "en" };
const quiz = { token: "env:QUIZ_TOKEN" };
const news = { token: "env:NEWS_TOKEN" };

/** The plan reduced to ids, for comparisons that read at a glance. */
function ids(plan: ReloadPlan) {
  return {
    add: plan.add.map((tenant) => tenant.id),
    remove: plan.remove,
    restart: plan.restart.map((tenant) => tenant.id),
    invalid: plan.invalid.map(({ id, keptRunning }) => ({ id, keptRunning })),
    unchanged: plan.unchanged,
  };
}

const nothing = { add: [], remove: [], restart: [], invalid: [], unchanged: [] };

Deno.test("the first load adds every valid tenant, sorted by id", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop, "quiz.json": quiz });
  const plan = planReload(new Map(), await folder.load());
  assert.deepEqual(ids(plan), { ...nothing, add: ["quiz", "shop"] });
  assert.equal(plan.add[1].token, "111:shop-token");
});

Deno.test("reloading untouched files changes nothing", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop, "quiz.json": quiz });
  const plan = planReload(await folder.running(), await folder.load());
  assert.deepEqual(ids(plan), { ...nothing, unchanged: ["quiz", "shop"] });
});

Deno.test("a new file is added and the other tenants are untouched", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop });
  const running = await folder.running();
  await folder.write("news.json", news);
  const plan = planReload(running, await folder.load());
  assert.deepEqual(ids(plan), { ...nothing, add: ["news"], unchanged: ["shop"] });
  assert.equal(plan.add[0].token, "333:news-token");
});

Deno.test("a deleted file removes its tenant", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop, "quiz.json": quiz });
  const running = await folder.running();
  await folder.delete("quiz.json");
  const plan = planReload(running, await folder.load());
  assert.deepEqual(ids(plan), { ...nothing, remove: ["quiz"], unchanged: ["shop"] });
});

Deno.test("a changed file restarts its tenant with the new config", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop, "quiz.json": quiz });
  const running = await folder.running();
  await folder.write("shop.json", { ...shop, locale: "ru", admins: [42] });
  const plan = planReload(running, await folder.load());
  assert.deepEqual(ids(plan), { ...nothing, restart: ["shop"], unchanged: ["quiz"] });
  assert.equal(plan.restart[0].locale, "ru");
  assert.deepEqual(plan.restart[0].admins, [42]);
});

Deno.test("a token rotated in the environment restarts the bot although its file is the same", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop, "quiz.json": quiz });
  const running = await folder.running();
  folder.env.SHOP_TOKEN = "111:rotated-token";
  const plan = planReload(running, await folder.load());
  assert.deepEqual(ids(plan), { ...nothing, restart: ["shop"], unchanged: ["quiz"] });
  assert.equal(plan.restart[0].token, "111:rotated-token");
});

Deno.test("a file rewritten with the same settings in another order is unchanged", async () => {
  await using folder = await ConfigFolder.create({
    "shop.json": { locale: "ru", token: "env:SHOP_TOKEN", stars: { orderTtlSeconds: 600 } },
  });
  const running = await folder.running();
  await folder.write("shop.json", {
    stars: { orderTtlSeconds: 600 },
    token: "env:SHOP_TOKEN",
    locale: "ru",
  });
  assert.deepEqual(ids(planReload(running, await folder.load())), {
    ...nothing,
    unchanged: ["shop"],
  });
});

Deno.test("an invalid change keeps the tenant on its last good config and reports it", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop, "quiz.json": quiz });
  const running = await folder.running();
  await folder.write("shop.json", { ...shop, locale: "Deutsch" });
  const plan = planReload(running, await folder.load());
  assert.deepEqual(ids(plan), {
    ...nothing,
    invalid: [{ id: "shop", keptRunning: true }],
    unchanged: ["quiz"],
  });
  const { problem } = plan.invalid[0];
  assert.equal(problem.file, join(folder.dir, "tenants", "shop.json"));
  assert.deepEqual(problem.issues.map((issue) => issue.path), ["locale"]);
});

Deno.test("a half-written file and an unresolvable secret are invalid, not removals", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop, "quiz.json": quiz });
  const running = await folder.running();
  await folder.write("shop.json", `{ "token": "env:SHOP_TO`);
  delete folder.env.QUIZ_TOKEN;
  const plan = planReload(running, await folder.load());
  assert.deepEqual(ids(plan), {
    ...nothing,
    invalid: [{ id: "quiz", keptRunning: true }, { id: "shop", keptRunning: true }],
  });
  assert.match(plan.invalid[0].problem.issues[0].message, /QUIZ_TOKEN/);
  assert.match(plan.invalid[1].problem.message, /not valid JSON/);
});

Deno.test("an invalid new file is reported and was never running", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop });
  const running = await folder.running();
  await folder.write("news.json", { token: "env:NEWS_TOKEN", stars: { orderTtlSeconds: 5 } });
  const plan = planReload(running, await folder.load());
  assert.deepEqual(ids(plan), {
    ...nothing,
    invalid: [{ id: "news", keptRunning: false }],
    unchanged: ["shop"],
  });
});

Deno.test("a file whose name is not a tenant id has no id and touches no tenant", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop });
  const running = await folder.running();
  // The same settings as shop: a renamed copy must not be mistaken for the shop tenant.
  await folder.write("Shop Copy.json", shop);
  const plan = planReload(running, await folder.load());
  assert.deepEqual(ids(plan), {
    ...nothing,
    invalid: [{ id: undefined, keptRunning: false }],
    unchanged: ["shop"],
  });
  assert.match(plan.invalid[0].problem.message, /does not give a valid tenant id/);
});

Deno.test("disabling a tenant is a restart whose config stops it; enabling starts it again", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop, "quiz.json": quiz });
  const running = await folder.running();
  await folder.write("shop.json", { ...shop, enabled: false });
  const disabling = planReload(running, await folder.load());
  assert.deepEqual(ids(disabling), { ...nothing, restart: ["shop"], unchanged: ["quiz"] });
  const disabled = disabling.restart[0];
  assert.equal(disabled.enabled, false);
  assert.equal(transitionOf(running.get("shop"), disabled), "stop");

  // The runtime keeps the disabled tenant known, with its new config.
  running.set("shop", disabled);
  assert.deepEqual(ids(planReload(running, await folder.load())), {
    ...nothing,
    unchanged: ["quiz", "shop"],
  });

  await folder.write("shop.json", shop);
  const enabling = planReload(running, await folder.load());
  assert.deepEqual(ids(enabling), { ...nothing, restart: ["shop"], unchanged: ["quiz"] });
  assert.equal(transitionOf(disabled, enabling.restart[0]), "start");
});

Deno.test("a disabled tenant whose file becomes invalid was not running", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": { ...shop, enabled: false } });
  const running = await folder.running();
  await folder.write("shop.json", "");
  const plan = planReload(running, await folder.load());
  assert.deepEqual(ids(plan), { ...nothing, invalid: [{ id: "shop", keptRunning: false }] });
});

Deno.test("a new disabled file is added but not started", async () => {
  await using folder = await ConfigFolder.create({});
  await folder.write("shop.json", { ...shop, enabled: false });
  const plan = planReload(new Map(), await folder.load());
  assert.deepEqual(ids(plan), { ...nothing, add: ["shop"] });
  assert.equal(transitionOf(undefined, plan.add[0]), "none");
});

Deno.test("several changes at once land in their lists, each sorted by id", async () => {
  await using folder = await ConfigFolder.create({
    "shop.json": shop,
    "quiz.json": quiz,
    "alpha.json": quiz,
    "beta.json": news,
    "gamma.json": news,
  });
  const running = await folder.running();
  await folder.delete("quiz.json");
  await folder.delete("alpha.json");
  await folder.write("zeta.json", news);
  await folder.write("delta.json", shop);
  await folder.write("gamma.json", { ...news, locale: "ru" });
  await folder.write("beta.json", { ...news, enabled: false });
  await folder.write("shop.json", "{");
  await folder.write("omega.json", "[]");
  await folder.write("BAD.json", news);
  await folder.write("AAA.json", news);
  const plan = planReload(running, await folder.load());
  assert.deepEqual(ids(plan), {
    add: ["delta", "zeta"],
    remove: ["alpha", "quiz"],
    restart: ["beta", "gamma"],
    invalid: [
      { id: "omega", keptRunning: false },
      { id: "shop", keptRunning: true },
      { id: undefined, keptRunning: false },
      { id: undefined, keptRunning: false },
    ],
    unchanged: [],
  });
  assert.deepEqual(
    plan.invalid.slice(2).map(({ problem }) => problem.file),
    [join(folder.dir, "tenants", "AAA.json"), join(folder.dir, "tenants", "BAD.json")],
  );
});

Deno.test("deleting the tenants folder removes every tenant", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop });
  const running = await folder.running();
  await Deno.remove(join(folder.dir, "tenants"), { recursive: true });
  const loaded = await folder.load();
  assert.deepEqual(loaded, { tenants: [], problems: [], warnings: [] });
  assert.deepEqual(ids(planReload(running, loaded)), { ...nothing, remove: ["shop"] });
});

Deno.test("transitionOf follows whether the tenant ran and whether it is enabled now", async () => {
  await using folder = await ConfigFolder.create({ "shop.json": shop });
  const on = (await folder.running()).get("shop")!;
  const off = { ...on, enabled: false };
  assert.equal(transitionOf(undefined, on), "start");
  assert.equal(transitionOf(undefined, off), "none");
  assert.equal(transitionOf(on, { ...on, locale: "ru" }), "restart");
  assert.equal(transitionOf(on, off), "stop");
  assert.equal(transitionOf(off, on), "start");
  assert.equal(transitionOf(off, { ...off, locale: "ru" }), "none");
});
