import { assertEquals, assertThrows } from "../../support/assert.ts";
import { pickLocale, Texts, UnknownTextKeyError } from "../../../adapters/telegram/texts.ts";
import { loadTenantFile } from "../../../config/load_tenants.ts";

Deno.test("the user's language wins when we speak it, else the tenant locale", () => {
  assertEquals(pickLocale("ru-RU", "en"), "ru");
  assertEquals(pickLocale("EN", "ru"), "en");
  assertEquals(pickLocale("de", "ru"), "ru");
  assertEquals(pickLocale(undefined, "en"), "en");
});

Deno.test("placeholders are filled and unknown ones are left visible", () => {
  const texts = new Texts({}, "en");
  assertEquals(
    texts.t("en", "balance.text", { balance: 42 }),
    "Your balance: 42 credits.",
  );
  assertEquals(texts.t("ru", "balance.text", {}), "Ваш баланс: {balance} кредитов.");
});

Deno.test("tenant overrides replace one language's text only", () => {
  const texts = new Texts({ en: { "balance.text": "You have {balance} gems." } }, "ru");
  assertEquals(texts.forUser("en").t("balance.text", { balance: 3 }), "You have 3 gems.");
  assertEquals(texts.forUser("fr").t("balance.text", { balance: 3 }), "Ваш баланс: 3 кредитов.");
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
  new Texts(loaded.tenant.texts, loaded.tenant.locale);
});
