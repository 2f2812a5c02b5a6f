/**
 * The languages the bots speak: one Fluent file per locale in `locales/` (`en.ftl`, `ru.ftl` …),
 * read once. Dropping `de.ftl` into that folder adds German: a tenant may then set
 * `"locale": "de"`, German users get it, and its command menu is registered. A file need not be
 * complete: what it lacks is taken from English (`texts.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLocaleCatalog, shippedCatalog } from "./locale_catalog.ts";
 *
 * assert.deepEqual(shippedCatalog().locales, ["en", "ru"]);
 * assert.match(shippedCatalog().source("ru"), /^balance-text = /m);
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/de.ftl`, "balance-text = Guthaben: { $balance }\n");
 * assert.deepEqual(readLocaleCatalog(dir).locales, ["de"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */

/** The Fluent sources of a set of locales, by locale. */
export interface LocaleCatalog {
  /** The locales that have a file, sorted. */
  readonly locales: readonly string[];
  /** Where they were read from, for error messages. */
  readonly folder: string;
  /** The Fluent source of `locale`; throws for one without a file. */
  source(locale: string): string;
}

/** A locale's file name without `.ftl`: a BCP 47 tag in lowercase, `en` or `pt-br`. */
const LOCALE_FILE = /^([a-z]{2,3}(?:-[a-z0-9]{2,8})*)\.ftl$/;

/** Reads every `<locale>.ftl` of `folder` (a path or `file:` URL). */
export function readLocaleCatalog(folder: string | URL): LocaleCatalog {
  const sources = new Map<string, string>();
  for (const entry of Deno.readDirSync(folder)) {
    const match = entry.isFile ? LOCALE_FILE.exec(entry.name) : null;
    if (match) {
      sources.set(match[1], Deno.readTextFileSync(new URL(entry.name, asFolderUrl(folder))));
    }
  }
  const name = folder instanceof URL ? folder.pathname : folder;
  return {
    locales: [...sources.keys()].sort(),
    folder: name,
    source(locale) {
      const source = sources.get(locale);
      if (source === undefined) throw new RangeError(`no ${locale}.ftl in ${name}`);
      return source;
    },
  };
}

function asFolderUrl(folder: string | URL): URL {
  if (folder instanceof URL) return folder.href.endsWith("/") ? folder : new URL(`${folder.href}/`);
  const absolute = folder.startsWith("/") ? folder : `${Deno.cwd()}/${folder}`;
  return new URL(`file://${absolute.endsWith("/") ? absolute : `${absolute}/`}`);
}

let shipped: LocaleCatalog | undefined;

/** The locales shipped in `adapters/telegram/locales/`, read on first use. */
export function shippedCatalog(): LocaleCatalog {
  shipped ??= readLocaleCatalog(new URL("./locales/", import.meta.url));
  return shipped;
}
