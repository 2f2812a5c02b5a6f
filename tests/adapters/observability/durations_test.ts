import { assertEquals } from "../../support/assert.ts";
import { formatDuration } from "../../../adapters/observability/durations.ts";

Deno.test("durations read in human units, at most two of them", () => {
  const cases: [number, string][] = [
    [0, "0 ms"],
    [849.6, "850 ms"],
    [1_000, "1 s"],
    [4_812.3, "4.8 s"],
    [9_990, "10 s"],
    [42_400, "42 s"],
    [59_600, "1 min"],
    [60_000, "1 min"],
    [260_000, "4 min 20 s"],
    [260_507.72168797665, "4 min 21 s"],
    [3_600_000, "1 h"],
    [7_500_000, "2 h 5 min"],
    [86_400_000 * 3 + 3_600_000 * 4, "3 d 4 h"],
    [-1_500, "-1.5 s"],
  ];
  for (const [ms, text] of cases) assertEquals(formatDuration(ms), text, String(ms));
});
