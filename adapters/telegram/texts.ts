/**
 * Every text a hosted bot sends, from the Fluent files in `locales/` (one per locale, read by
 * `locale_catalog.ts`), formatted by `@fluent/bundle`. A user gets their Telegram `language_code` when
 * a file exists for it and the tenant's `locale` otherwise; a tenant may override any text in its
 * config (`texts.en`, `texts.ru`, … by key), in Fluent syntax (`{ $balance }`, select
 * expressions for plurals); the `{balance}` placeholders of older files read as variables too.
 *
 * Numbers are passed as numbers, so Fluent picks the plural form (`1 кредит`, `2 кредита`,
 * `5 кредитов`), and are printed without grouping: a user id 123456789 must not read
 * "123,456,789".
 *
 * Why `@fluent/bundle` directly and not `@grammyjs/i18n` (which wraps it): its `t()` formats
 * without an error list, so a text whose variable is not given (an override can do that) throws
 * out of the handler instead of showing `{$name}`, and an update that throws is set aside as
 * poison; it offers no public way to format with such a list (its bundles are private). Its
 * middleware (`ctx.t`) would not serve either: the money domain has no grammY context (receipts
 * are written in a transaction and sent by the outbox) and translates through the same
 * {@linkcode Texts}, by the user's language code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Texts, UnknownTextKeyError } from "./texts.ts";
 *
 * const texts = new Texts({ en: { "start.greeting": "Hi { $name }!" } }, "ru");
 * assert.equal(texts.forUser("en-GB").t("start.greeting", { name: "Ann" }), "Hi Ann!");
 * // Russian keeps its default text; a language without a file gets the tenant's locale.
 * const russian = texts.forUser("ru").t("start.greeting", { name: "Аня", bot: "shop_bot" });
 * assert.ok(russian.startsWith("Здравствуйте, Аня! Я shop_bot."));
 * assert.equal(texts.forUser("de").locale, "ru");
 * // Plural forms come from Fluent.
 * assert.equal(texts.t("ru", "balance.text", { balance: 21 }), "Ваш баланс: 21 кредит.");
 * assert.equal(texts.t("ru", "balance.text", { balance: 3 }), "Ваш баланс: 3 кредита.");
 * assert.equal(texts.t("en", "balance.text", { balance: 1 }), "Your balance: 1 credit.");
 * assert.throws(() => new Texts({ en: { "start.greting": "Hi" } }, "en"), UnknownTextKeyError);
 * ```
 * @module
 */
import { FluentBundle, FluentNumber, FluentResource } from "@fluent/bundle";
import type { FieldIssue } from "../../config/plain_issues.ts";
import { editDistance } from "../../config/tenant_schema.ts";
import { type LocaleCatalog, shippedCatalog } from "./locale_catalog.ts";
import { type TextKey, textKeys } from "./text_keys.ts";

export type { TextKey } from "./text_keys.ts";

/** A locale with a file in `locales/`: `en`, `ru`, or any added. */
export type Locale = string;

/** The locale every other falls back to for a text its file lacks. */
const BASE_LOCALE = "en";

/** The Fluent message id of a text key: "start.greeting" is `start-greeting`. */
export function messageIdOf(key: string): string {
  return key.replaceAll(".", "-");
}

const knownKeys: ReadonlySet<string> = new Set(textKeys);

/**
 * Picks the user's locale from their Telegram `language_code` ("ru", "ru-RU", "pt-br" …): the
 * whole tag when a file has it, else its language, else `fallback`.
 */
export function pickLocale(
  languageCode: string | undefined,
  fallback: Locale,
  locales: readonly Locale[] = shippedCatalog().locales,
): Locale {
  const tag = languageCode?.toLowerCase();
  if (tag === undefined) return fallback;
  if (locales.includes(tag)) return tag;
  const base = tag.split("-")[0];
  return locales.includes(base) ? base : fallback;
}

/** The old `{name}` placeholders, read as Fluent variables `{ $name }`. */
function fluentSource(id: string, text: string): string {
  const value = text.replace(/\{([A-Za-z_]\w*)\}/g, "{ $$$1 }");
  return `${id} =\n${value.split("\n").map((line) => `    ${line}`).join("\n")}\n`;
}

/** A message's value as `@fluent/bundle` parses it: a string, or text and expressions. */
type Pattern = FluentResource["body"][number]["value"];
/** One expression of a pattern, or a named argument of a call. */
type Expression = Exclude<Extract<Pattern, unknown[]>[number], string> | {
  type: "narg";
  value: Expression;
};

/** The variables a pattern uses, including those passed to functions and terms. */
function variablesOf(pattern: Pattern, into = new Set<string>()): Set<string> {
  if (pattern === null || typeof pattern === "string") return into;
  const visit = (expression: Expression): void => {
    switch (expression.type) {
      case "var":
        into.add(expression.name);
        break;
      case "select":
        visit(expression.selector);
        for (const variant of expression.variants) variablesOf(variant.value, into);
        break;
      case "func":
      case "term":
        for (const argument of expression.args) visit(argument as Expression);
        break;
      case "narg":
        visit(expression.value);
        break;
    }
  };
  for (const element of pattern) if (typeof element !== "string") visit(element);
  return into;
}

/** The one message `source` defines under `id`, or `undefined` when it does not parse as one. */
function parsedMessage(id: string, source: string) {
  const body = new FluentResource(source).body;
  return body.length === 1 && body[0].id === id ? body[0] : undefined;
}

/** The variables the message `id` uses in any of `files` (whole files, parsed). */
function shippedVariables(files: readonly FluentResource[], id: string): Set<string> {
  const allowed = new Set<string>();
  for (const file of files) {
    const message = file.body.find((entry) => entry.id === id);
    variablesOf(message?.value ?? null, allowed);
  }
  return allowed;
}

/**
 * What is wrong with a tenant's text overrides, one issue per key: a language without a file, a
 * key that is not a text (with the closest key as a hint), a text that is not valid Fluent, or
 * a variable the text's defaults never fill. The allowed variables of a key are those its
 * shipped texts use in any language.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textOverrideIssues } from "./texts.ts";
 *
 * assert.deepEqual(textOverrideIssues({ en: { "balance.text": "Balance: {balanse}" } }), [{
 *   path: "texts.en.balance.text",
 *   message: 'unknown placeholder {balanse}; this text can use only {balance}',
 * }]);
 * assert.match(textOverrideIssues({ ru: { "start.greting": "Hi" } })[0].message, /did you mean "start.greeting"/);
 * assert.match(textOverrideIssues({ de: { "balance.text": "Hi" } })[0].message, /no texts for "de"/);
 * ```
 */
export function textOverrideIssues(
  overrides: Partial<Record<string, Record<string, string> | undefined>>,
  catalog: LocaleCatalog = shippedCatalog(),
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  // Parsed once for every key checked.
  const files = catalog.locales.map((locale) => new FluentResource(catalog.source(locale)));
  for (const [locale, texts] of Object.entries(overrides)) {
    if (texts === undefined) continue;
    if (!catalog.locales.includes(locale)) {
      issues.push({ path: `texts.${locale}`, message: noLocaleMessage(locale, catalog) });
      continue;
    }
    for (const [key, value] of Object.entries(texts)) {
      const message = overrideIssue(key, value, files);
      if (message !== undefined) issues.push({ path: `texts.${locale}.${key}`, message });
    }
  }
  return issues;
}

/** Why `locale` cannot be used, naming those that can. */
export function noLocaleMessage(locale: string, catalog: LocaleCatalog = shippedCatalog()): string {
  return `no texts for "${locale}": the languages are ${catalog.locales.join(", ")} ` +
    `(one .ftl file each in ${catalog.folder})`;
}

function overrideIssue(
  key: string,
  value: string,
  files: readonly FluentResource[],
): string | undefined {
  if (!knownKeys.has(key)) {
    const closest = textKeys
      .map((name) => ({ name, distance: editDistance(key.toLowerCase(), name) }))
      .sort((a, b) => a.distance - b.distance)[0];
    const hint = closest.distance <= 3 ? ` (did you mean "${closest.name}"?)` : "";
    return `no such text${hint}; the keys are those of adapters/telegram/locales/en.ftl, ` +
      `with "." for "-"`;
  }
  const id = messageIdOf(key);
  const message = parsedMessage(id, fluentSource(id, value));
  if (message === undefined) return "not a valid Fluent text (see projectfluent.org)";
  const allowed = shippedVariables(files, id);
  const unknown = [...variablesOf(message.value)].filter((name) => !allowed.has(name));
  if (unknown.length === 0) return undefined;
  const names = unknown.map((name) => `{${name}}`).join(", ");
  const can = allowed.size === 0
    ? "this text has no placeholders"
    : `this text can use only ${[...allowed].map((name) => `{${name}}`).join(", ")}`;
  return `unknown placeholder${unknown.length === 1 ? "" : "s"} ${names}; ${can}`;
}

/** Thrown when a tenant overrides a text that does not exist (most likely a typo). */
export class UnknownTextKeyError extends Error {}

/** Values for a text's variables. */
export type TextVars = Record<string, string | number>;

/**
 * Each catalog's files, parsed once for the whole process, and the bundles of tenants without
 * overrides: parsed per tenant, a thousand tenants held a third of a GiB of identical syntax
 * trees (BENCHMARKS.md).
 */
const parsedFiles = new WeakMap<LocaleCatalog, Map<Locale, FluentResource>>();
const sharedBundles = new WeakMap<LocaleCatalog, Map<Locale, FluentBundle>>();

function parsedFile(catalog: LocaleCatalog, locale: Locale): FluentResource {
  let files = parsedFiles.get(catalog);
  if (!files) parsedFiles.set(catalog, files = new Map());
  let file = files.get(locale);
  if (!file) files.set(locale, file = new FluentResource(catalog.source(locale)));
  return file;
}

/** A bundle of `locale`'s file over the English one: what a file lacks is said in English. */
function newBundle(catalog: LocaleCatalog, locale: Locale): FluentBundle {
  const bundle = new FluentBundle(locale, { useIsolating: false });
  if (locale !== BASE_LOCALE && catalog.locales.includes(BASE_LOCALE)) {
    bundle.addResource(parsedFile(catalog, BASE_LOCALE));
  }
  bundle.addResource(parsedFile(catalog, locale), { allowOverrides: true });
  return bundle;
}

function sharedBundle(catalog: LocaleCatalog, locale: Locale): FluentBundle {
  let bundles = sharedBundles.get(catalog);
  if (!bundles) sharedBundles.set(catalog, bundles = new Map());
  let bundle = bundles.get(locale);
  if (!bundle) bundles.set(locale, bundle = newBundle(catalog, locale));
  return bundle;
}

/** The `Texts` made by {@linkcode textsFor}, by their overrides and fallback. */
const sharedTexts = new Map<string, Texts>();

/**
 * The shipped texts with `overrides` over them, shared by every tenant with the same overrides
 * and fallback, so that what is built from them (the command menu, `commands.ts`) is built once
 * for all of them. A `Texts` never changes once made. Throws {@linkcode UnknownTextKeyError} as
 * the constructor does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textsFor } from "./texts.ts";
 * assert.equal(textsFor({}, "ru"), textsFor({}, "ru"));
 * assert.notEqual(textsFor({}, "ru"), textsFor({ ru: { "start.greeting": "Привет" } }, "ru"));
 * ```
 */
export function textsFor(
  overrides: Partial<Record<Locale, Record<string, string>>>,
  fallback: Locale,
): Texts {
  const key = JSON.stringify([fallback, overrides]);
  let texts = sharedTexts.get(key);
  if (texts === undefined) sharedTexts.set(key, texts = new Texts(overrides, fallback));
  return texts;
}

/** The texts of one tenant: the shipped files with that tenant's overrides applied. */
export class Texts {
  readonly fallback: Locale;
  /** The locales this tenant speaks: those with a file. */
  readonly locales: readonly Locale[];
  readonly #bundles = new Map<Locale, FluentBundle>();

  constructor(
    overrides: Partial<Record<Locale, Record<string, string>>>,
    fallback: Locale,
    catalog: LocaleCatalog = shippedCatalog(),
  ) {
    this.fallback = fallback;
    this.locales = catalog.locales;
    for (const locale of catalog.locales) {
      const own = Object.entries(overrides[locale] ?? {});
      for (const [key] of own) {
        if (!knownKeys.has(key)) {
          throw new UnknownTextKeyError(
            `texts.${locale}.${key}: no such text; known keys: ${textKeys.join(", ")}`,
          );
        }
      }
      if (own.length === 0) {
        // Most tenants override nothing in most locales: they share one bundle per locale.
        this.#bundles.set(locale, sharedBundle(catalog, locale));
        continue;
      }
      const bundle = newBundle(catalog, locale);
      // The tenant's overrides come last, and replace the file's messages of the same id.
      const source = own.map(([key, value]) => fluentSource(messageIdOf(key), value)).join("\n");
      bundle.addResource(new FluentResource(source), { allowOverrides: true });
      this.#bundles.set(locale, bundle);
    }
  }

  /** The text `key` in `locale`, with its variables filled from `vars`. */
  t(locale: Locale, key: TextKey, vars: TextVars = {}): string {
    const args: Record<string, string | FluentNumber> = {};
    for (const [name, value] of Object.entries(vars)) {
      args[name] = typeof value === "number"
        ? new FluentNumber(value, { useGrouping: false })
        : value;
    }
    const bundle = this.#bundles.get(locale) ?? this.#bundles.get(this.fallback);
    const pattern = bundle?.getMessage(messageIdOf(key))?.value;
    if (!bundle || !pattern) return `{${key}}`;
    // With a list to collect them, errors (a variable not given) leave `{$name}` in the text.
    return bundle.formatPattern(pattern, args, []);
  }

  /** A translator bound to one user's language. */
  forUser(languageCode: string | undefined): {
    locale: Locale;
    t(key: TextKey, vars?: TextVars): string;
  } {
    const locale = pickLocale(languageCode, this.fallback, this.locales);
    return { locale, t: (key, vars) => this.t(locale, key, vars) };
  }
}
