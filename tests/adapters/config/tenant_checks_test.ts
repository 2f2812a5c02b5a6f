/**
 * What the loader checks so that a tenant it accepts can start: text keys, placeholders per text
 * key, webhook mode without PUBLIC_URL, the plugin file. Every error names the file.
 */
import { join } from "node:path";
import { formatProblem, loadTenants } from "../../../config/load_tenants.ts";
import { tenantLoadOptions } from "../../../adapters/config/tenant_checks.ts";
import { textOverrideIssues } from "../../../adapters/telegram/texts.ts";
import { assertEquals, assertStringIncludes } from "../../support/assert.ts";

async function configWith(files: Record<string, unknown>): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "tenants"));
  for (const [id, file] of Object.entries(files)) {
    await Deno.writeTextFile(join(dir, "tenants", `${id}.json`), JSON.stringify(file));
  }
  return dir;
}

const env = () => "123:abc";

Deno.test("an unknown text key is an error naming the file, the key and the closest key", async () => {
  const dir = await configWith({
    shop: { token: "env:T", texts: { en: { "start.greting": "Hi {name}" } } },
    quiz: { token: "env:T", texts: { ru: { "start.greeting": "Привет, {name}!" } } },
  });
  const loaded = await loadTenants(dir, env, tenantLoadOptions("https://example.org"));
  assertEquals(loaded.tenants.map((tenant) => tenant.id), ["quiz"]);
  assertEquals(loaded.problems.length, 1);
  const text = formatProblem(loaded.problems[0]);
  assertStringIncludes(text, `${join(dir, "tenants", "shop.json")}: texts.en.start.greting: `);
  assertStringIncludes(text, 'did you mean "start.greeting"');
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a placeholder the text's defaults never fill is an error naming the key and the allowed names", async () => {
  const dir = await configWith({
    shop: {
      token: "env:T",
      texts: {
        en: { "balance.text": "Balance: {balanse}", "history.title": "Page {page}/{pages}" },
        ru: { "menu.balance": "Баланс {balance}" },
      },
    },
  });
  const loaded = await loadTenants(dir, env, tenantLoadOptions(undefined));
  const lines = formatProblem(loaded.problems[0]).split("\n")
    .map((line) => line.slice(dir.length));
  assertEquals(lines, [
    "/tenants/shop.json: texts.en.balance.text: unknown placeholder {balanse}; this text can " +
    "use only {balance}",
    "/tenants/shop.json: texts.ru.menu.balance: unknown placeholder {balance}; this text has " +
    "no placeholders",
  ]);
  // The allowed names come from both languages' defaults.
  assertEquals(textOverrideIssues({ en: { "start.greeting": "{bot} says hi to {name}" } }), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("webhook mode without PUBLIC_URL is an error at load when the loader knows PUBLIC_URL", async () => {
  const dir = await configWith({ shop: { token: "env:T", updates: "webhook" } });
  const unset = await loadTenants(dir, env, tenantLoadOptions(undefined));
  assertStringIncludes(formatProblem(unset.problems[0]), "shop.json: updates: ");
  assertStringIncludes(formatProblem(unset.problems[0]), "PUBLIC_URL");
  const set = await loadTenants(dir, env, tenantLoadOptions("https://bots.example.org"));
  assertEquals([set.tenants.length, set.problems.length], [1, 0]);
  // Without the option (the loader does not know PUBLIC_URL) the runtime checks it as it starts.
  assertEquals((await loadTenants(dir, env)).tenants.length, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a plugin file that is not there, or not a file, is an error at load naming the file", async () => {
  const dir = await configWith({
    shop: { token: "env:T", plugin: "plugins/missing.ts" },
    quiz: { token: "env:T", plugin: "plugins/folder.ts" },
    news: { token: "env:T", plugin: "plugins/news.ts" },
  });
  await Deno.mkdir(join(dir, "plugins", "folder.ts"), { recursive: true });
  await Deno.writeTextFile(join(dir, "plugins", "news.ts"), "export default () => {};\n");
  const loaded = await loadTenants(dir, env, tenantLoadOptions(undefined));
  assertEquals(loaded.tenants.map((tenant) => tenant.id), ["news"]);
  const [quiz, shop] = loaded.problems.map(formatProblem);
  assertStringIncludes(
    quiz,
    'quiz.json: plugin: expected a .ts or .js file; "plugins/folder.ts" is not a regular file',
  );
  assertStringIncludes(
    shop,
    'shop.json: plugin: expected a .ts or .js file; "plugins/missing.ts" does not exist',
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a locale without a texts file is an error naming the file; one with a file is fine", async () => {
  const dir = await configWith({
    shop: {
      token: "env:T",
      locale: "de",
      products: [{
        kind: "item",
        id: "mug",
        title: { en: "Mug", fr: "Tasse" },
        description: "A mug.",
        price: 5,
        content: "https://example.com/mug",
      }],
      texts: { it: { "balance.text": "Saldo: { $balance }" } },
    },
    quiz: {
      token: "env:T",
      locale: "ru",
      products: [{
        kind: "item",
        id: "mug",
        title: { en: "Mug", ru: "Кружка" },
        description: { en: "A mug.", ru: "Кружка." },
        price: 5,
        content: "https://example.com/mug",
      }],
      texts: { ru: { "balance.text": "Баланс: { $balance }" } },
    },
  });
  const loaded = await loadTenants(dir, env, tenantLoadOptions(undefined));
  assertEquals(loaded.tenants.map((tenant) => tenant.id), ["quiz"]);
  assertEquals(loaded.problems[0].issues.map((issue) => issue.path), [
    "locale",
    "products[0].title.fr",
    "texts.it",
  ]);
  const text = formatProblem(loaded.problems[0]);
  assertStringIncludes(
    text,
    `${join(dir, "tenants", "shop.json")}: locale: no texts for "de": the languages are en, ru`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a title over Telegram's limit in any locale is an error naming that locale", async () => {
  const dir = await configWith({
    shop: {
      token: "env:T",
      products: [{
        kind: "credits",
        id: "pack",
        title: { en: "Pack", ru: "Очень длинное название пакета кредитов" },
        description: "Credits.",
        price: 5,
        credits: 10,
      }],
    },
  });
  const loaded = await loadTenants(dir, env, tenantLoadOptions(undefined));
  assertStringIncludes(formatProblem(loaded.problems[0]), "products[0].title");
  assertStringIncludes(formatProblem(loaded.problems[0]), "1 to 32 characters");
  await Deno.remove(dir, { recursive: true });
});
