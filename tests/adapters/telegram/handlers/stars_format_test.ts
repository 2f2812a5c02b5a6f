import { assertEquals } from "../../../support/assert.ts";
import { formatAge, formatStars } from "../../../../adapters/telegram/handlers/stars_format.ts";
import { Texts } from "../../../../adapters/telegram/texts.ts";

Deno.test("Stars amounts are exact decimals, signed as Telegram signs both parts", () => {
  assertEquals(formatStars(120), "120");
  assertEquals(formatStars(120, 500_000_000), "120.5");
  assertEquals(formatStars(0, 5), "0.000000005");
  assertEquals(formatStars(3, 999_999_999), "3.999999999");
  assertEquals(formatStars(-1, -500_000_000), "-1.5");
  assertEquals(formatStars(0, -250_000_000), "-0.25");
});

Deno.test("an age is written in the largest unit it fills twice, in the reader's language", () => {
  const en = new Texts({}, "en").forUser("en");
  const ru = new Texts({}, "en").forUser("ru");
  const cases: [number, string][] = [
    [-5, "0 s"],
    [999, "0 s"],
    [119_999, "119 s"],
    [120_000, "2 min"],
    [7_199_999, "119 min"],
    [7_200_000, "2 h"],
    [172_799_999, "47 h"],
    [172_800_000, "2 d"],
  ];
  for (const [ms, text] of cases) assertEquals(formatAge(en, ms), text, String(ms));
  assertEquals(formatAge(ru, 7_200_000), "2 ч");
  assertEquals(formatAge(ru, 30 * 86_400_000), "30 дн");
});
