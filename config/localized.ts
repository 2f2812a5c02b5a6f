/**
 * A product's title and description are one text for every buyer, or one per locale. A buyer
 * gets the text of their locale, else the tenant's, else English, else the first one written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localized } from "./localized.ts";
 *
 * const title = { en: "Coffee voucher", ru: "Купон на кофе" };
 * assert.equal(localized(title, "ru", "en"), "Купон на кофе");
 * assert.equal(localized(title, "de", "ru"), "Купон на кофе"); // the tenant's locale
 * assert.equal(localized("Coffee voucher", "ru", "en"), "Coffee voucher");
 * ```
 * @module
 */

/** One text for every locale, or one per locale. */
export type Localized = string | Readonly<Record<string, string>>;

/** The text of `value` for a buyer of `locale` in a tenant whose locale is `fallback`. */
export function localized(value: Localized, locale: string, fallback: string): string {
  if (typeof value === "string") return value;
  return value[locale] ?? value[fallback] ?? value.en ?? Object.values(value)[0];
}

/** The locales a localized text names (none for a plain text). */
export function localesOf(value: Localized): string[] {
  return typeof value === "string" ? [] : Object.keys(value);
}
