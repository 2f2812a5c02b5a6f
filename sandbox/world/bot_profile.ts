/**
 * A bot's name, description and short description per language, as setMyName /
 * setMyDescription / setMyShortDescription store them. A language without its own text falls
 * back to the language-independent one, which is what users of that language see.
 *
 * @example
 * ```ts
 * import { BotProfile } from "./bot_profile.ts";
 * const profile = new BotProfile();
 * profile.set("description", "", "A shop");
 * profile.get("description", "ru"); // "A shop"
 * ```
 * @module
 */

import { badRequest } from "../errors.ts";

/**
 * The texts a bot has per language, with Telegram's length limits.
 *
 * @example
 * ```ts
 * import { PROFILE_LIMITS } from "./bot_profile.ts";
 * PROFILE_LIMITS.short_description; // 120
 * ```
 */
export const PROFILE_LIMITS = { name: 64, description: 512, short_description: 120 } as const;

/** One of the per-language texts. */
export type ProfileField = keyof typeof PROFILE_LIMITS;

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { BotProfile } from "./bot_profile.ts";
 * new BotProfile().get("name", ""); // ""
 * ```
 */
export class BotProfile {
  readonly #texts = new Map<string, string>();

  /**
   * Stores a text for a language ("" for all languages); an empty text removes it.
   *
   * @example
   * ```ts
   * import { BotProfile } from "./bot_profile.ts";
   * new BotProfile().set("name", "en", "Shop");
   * ```
   */
  set(field: ProfileField, language: string, text: string): void {
    const limit = PROFILE_LIMITS[field];
    const length = [...text].length;
    if (length > limit) {
      throw badRequest(`${field} must be 0-${limit} characters long, got ${length}`);
    }
    if (text === "") this.#texts.delete(`${field}|${language}`);
    else this.#texts.set(`${field}|${language}`, text);
  }

  /**
   * The text users of `language` see: theirs, else the language-independent one, else "".
   *
   * @example
   * ```ts
   * import { BotProfile } from "./bot_profile.ts";
   * new BotProfile().get("short_description", "en"); // ""
   * ```
   */
  get(field: ProfileField, language: string): string {
    return this.#texts.get(`${field}|${language}`) ?? this.#texts.get(`${field}|`) ?? "";
  }
}
