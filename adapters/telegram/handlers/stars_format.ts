/**
 * How the admin commands write Stars amounts and ages: exact decimals (a balance can hold
 * fractions of a Star, in nanostars) and the largest whole unit of an age, worded in the
 * reader's language.
 *
 * @module
 */
import type { Translator } from "./deps.ts";

/**
 * A Stars amount with its nanostars as an exact decimal, without trailing zeros. Both parts
 * carry the sign (Telegram's `StarAmount`), so `(-1, -500000000)` is `-1.5`.
 */
export function formatStars(amount: number, nanostarAmount = 0): string {
  if (nanostarAmount === 0) return String(amount);
  const negative = amount < 0 || nanostarAmount < 0;
  const whole = Math.abs(amount);
  const fraction = String(Math.abs(nanostarAmount)).padStart(9, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}.${fraction}`;
}

/** Units from the largest down: the age is written in the first one it fills twice. */
const UNITS = [
  { key: "age.days", ms: 86_400_000 },
  { key: "age.hours", ms: 3_600_000 },
  { key: "age.minutes", ms: 60_000 },
] as const;

/**
 * An age in ms as a short phrase: whole seconds below two minutes, then minutes, hours below
 * two days, then days — precise where it matters ("the balance is 40 s old") without reading
 * "3,600 s".
 */
export function formatAge({ t }: Translator, ms: number): string {
  const age = Math.max(0, ms);
  for (const unit of UNITS) {
    if (age >= 2 * unit.ms) return t(unit.key, { n: Math.floor(age / unit.ms) });
  }
  return t("age.seconds", { n: Math.floor(age / 1_000) });
}
