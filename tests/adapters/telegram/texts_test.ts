import { FluentResource } from "@fluent/bundle";
import { assertEquals, assertThrows } from "../../support/assert.ts";
import {
  messageIdOf,
  pickLocale,
  textOverrideIssues,
  Texts,
  UnknownTextKeyError,
} from "../../../adapters/telegram/texts.ts";
import { textKeys } from "../../../adapters/telegram/text_keys.ts";
import { readLocaleCatalog, shippedCatalog } from "../../../adapters/telegram/locale_catalog.ts";
import { loadTenantFile } from "../../../config/load_tenants.ts";

Deno.test("the user's language wins when we speak it, else the tenant locale", () => {
  assertEquals(pickLocale("ru-RU", "en"), "ru");
  assertEquals(pickLocale("EN", "ru"), "en");
  assertEquals(pickLocale("de", "ru"), "ru");
  assertEquals(pickLocale(undefined, "en"), "en");
  assertEquals(pickLocale("pt-BR", "en", ["en", "pt", "pt-br"]), "pt-br");
  assertEquals(pickLocale("pt-PT", "en", ["en", "pt", "pt-br"]), "pt");
});

Deno.test("Russian credits take the plural form of their number", () => {
  const texts = new Texts({}, "en");
  const balance = (n: number) => texts.t("ru", "balance.text", { balance: n });
  assertEquals(balance(1), "Ваш баланс: 1 кредит.");
  assertEquals(balance(2), "Ваш баланс: 2 кредита.");
  assertEquals(balance(5), "Ваш баланс: 5 кредитов.");
  assertEquals(balance(11), "Ваш баланс: 11 кредитов.");
  assertEquals(balance(21), "Ваш баланс: 21 кредит.");
  assertEquals(
    texts.t("ru", "deduct.insufficient", { amount: 3, balance: 1 }),
    "Недостаточно кредитов: нужно 3 кредита, у вас 1. Пополните:",
  );
  assertEquals(
    texts.t("ru", "low_balance.notice", { balance: 4 }),
    "⚠️ На балансе осталось 4 кредита. Пополните, чтобы продолжить:",
  );
  assertEquals(
    texts.t("ru", "low_balance.notice", { balance: 1 }),
    "⚠️ На балансе остался 1 кредит. Пополните, чтобы продолжить:",
  );
});

Deno.test("English credits are singular for one", () => {
  const texts = new Texts({}, "en");
  assertEquals(texts.t("en", "balance.text", { balance: 1 }), "Your balance: 1 credit.");
  assertEquals(texts.t("en", "balance.text", { balance: 2 }), "Your balance: 2 credits.");
  assertEquals(
    texts.t("en", "transactions.no_page", { page: 3, pages: 1 }),
    "There is no page 3: the list has one page.",
  );
});

Deno.test("numbers are printed without grouping: ids stay readable", () => {
  const texts = new Texts({}, "en");
  assertEquals(
    texts.t("en", "refund.done", { price: 5, userId: 123456789, chargeId: "c", credits: 1000 }),
    "Refunded 5 ⭐ to user 123456789 (charge c); 1000 credits reversed.",
  );
});

Deno.test("every shipped locale defines exactly the text keys, with the same variables", () => {
  const catalog = shippedCatalog();
  assertEquals(catalog.locales, ["en", "ru"]);
  const ids = (source: string) =>
    new FluentResource(source).body.map((entry) => entry.id).filter((id) => !id.startsWith("-"));
  const expected = textKeys.map(messageIdOf);
  for (const locale of catalog.locales) {
    assertEquals([...ids(catalog.source(locale))].sort(), [...expected].sort(), locale);
  }
  // A Russian text that used a variable English lacks would be refused as an override of ru.
  for (const key of textKeys) {
    const english = new Texts({}, "en").t("en", key, {});
    const russian = new Texts({}, "en").t("ru", key, {});
    assertEquals(
      [...english.matchAll(/\{\$(\w+)\}/g)].map((m) => m[1]).sort().join(),
      [...russian.matchAll(/\{\$(\w+)\}/g)].map((m) => m[1]).sort().join(),
      key,
    );
  }
});

Deno.test("a locale is added by dropping its file; what it lacks is English", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const shipped = shippedCatalog();
    await Deno.writeTextFile(`${dir}/en.ftl`, shipped.source("en"));
    await Deno.writeTextFile(
      `${dir}/de.ftl`,
      "balance-text = Guthaben: { $balance ->\n [one] ein Kredit\n *[other] { $balance } Kredite\n}.\n",
    );
    const catalog = readLocaleCatalog(dir);
    assertEquals(catalog.locales, ["de", "en"]);
    const texts = new Texts({}, "de", catalog);
    const german = texts.forUser("de-AT");
    assertEquals(german.locale, "de");
    assertEquals(german.t("balance.text", { balance: 1 }), "Guthaben: ein Kredit.");
    assertEquals(german.t("balance.text", { balance: 7 }), "Guthaben: 7 Kredite.");
    assertEquals(german.t("history.empty"), "No history yet.");
    assertEquals(texts.forUser("ru").locale, "de"); // no ru.ftl in this folder
    assertEquals(textOverrideIssues({ de: { "balance.text": "{ $balance }" } }, catalog), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tenant overrides replace one language's text only, in Fluent or the old syntax", () => {
  const texts = new Texts({
    en: { "balance.text": "You have {balance} gems." },
    ru: {
      "menu.title":
        "Баланс: { $balance ->\n [one] { $balance } камень\n *[other] { $balance } камней\n}",
    },
  }, "ru");
  assertEquals(texts.forUser("en").t("balance.text", { balance: 3 }), "You have 3 gems.");
  assertEquals(texts.forUser("fr").t("balance.text", { balance: 3 }), "Ваш баланс: 3 кредита.");
  assertEquals(texts.forUser("ru").t("menu.title", { balance: 1 }), "Баланс: 1 камень");
});

Deno.test("an override that is not valid Fluent or uses an unknown variable is a load error", () => {
  assertEquals(textOverrideIssues({ en: { "balance.text": "{ $balance ->" } }), [{
    path: "texts.en.balance.text",
    message: "not a valid Fluent text (see projectfluent.org)",
  }]);
  assertEquals(textOverrideIssues({ ru: { "balance.text": "{ $balance } { $gems }" } }), [{
    path: "texts.ru.balance.text",
    message: "unknown placeholder {gems}; this text can use only {balance}",
  }]);
  assertEquals(textOverrideIssues({ en: { "history.empty": "{ $page }" } }), [{
    path: "texts.en.history.empty",
    message: "unknown placeholder {page}; this text has no placeholders",
  }]);
});

Deno.test("an override of a text that does not exist names the key", () => {
  assertThrows(
    () => new Texts({ ru: { "balance.txt": "x" } }, "en"),
    UnknownTextKeyError,
    "texts.ru.balance.txt",
  );
});

Deno.test("the shipped example tenant's text overrides are all known keys", async () => {
  const configDir = new URL("../../../config/", import.meta.url).pathname;
  const loaded = await loadTenantFile(
    `${configDir}examples/shop.json`,
    configDir,
    (name) => name === "SHOP_BOT_TOKEN" ? "1:example" : undefined,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problem));
  assertEquals(textOverrideIssues(loaded.tenant.texts), []);
  new Texts(loaded.tenant.texts, loaded.tenant.locale);
});
