/**
 * A bot's name, description and short description per language, as setMyName /
 * setMyDescription / setMyShortDescription store them. A language without its own text falls
 * back to the language-independent one, which is what users of that language see.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BotProfile } from "./bot_profile.ts";
 *
 * const profile = new BotProfile();
 * profile.set("description", "", "A shop");
 * profile.set("description", "ru", "Магазин");
 * assert.equal(profile.get("description", "ru"), "Магазин");
 * assert.equal(profile.get("description", "de"), "A shop"); // no German text: the general one
 * profile.set("description", "ru", ""); // an empty text removes it
 * assert.equal(profile.get("description", "ru"), "A shop");
 * ```
 * @module
 */

import { badRequest } from "../errors.ts";

/** The texts a bot has per language, with Telegram's length limits. */
export const PROFILE_LIMITS = { name: 64, description: 512, short_description: 120 } as const;

/** One of the per-language texts. */
export type ProfileField = keyof typeof PROFILE_LIMITS;

/** See the module documentation. */
export class BotProfile {
  readonly #texts = new Map<string, string>();

  /** Stores a text for a language ("" for all languages); an empty text removes it. */
  set(field: ProfileField, language: string, text: string): void {
    const limit = PROFILE_LIMITS[field];
    const length = [...text].length;
    if (length > limit) {
      throw badRequest(`${field} must be 0-${limit} characters long, got ${length}`);
    }
    if (text === "") this.#texts.delete(`${field}|${language}`);
    else this.#texts.set(`${field}|${language}`, text);
  }

  /** The text users of `language` see: theirs, else the language-independent one, else "". */
  get(field: ProfileField, language: string): string {
    return this.#texts.get(`${field}|${language}`) ?? this.#texts.get(`${field}|`) ?? "";
  }
}
