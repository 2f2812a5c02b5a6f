/**
 * What the benchmarks print: a heading per section, its figures as they come, and one summary
 * row per measured figure (target, value, baseline, ratio) for the table at the end, which is
 * the table of `BENCHMARKS.md`.
 *
 * @example
 * ```ts
 * import { Report } from "./report.ts";
 * const report = new Report((line) => console.log(line));
 * report.section("Ledger");
 * report.row({ name: "deposits/s", target: "—", value: "900", baseline: "8,000", ratio: "0.11×" });
 * report.summary();
 * ```
 * @module
 */

/**
 * One line of the summary table.
 *
 * @example
 * ```ts
 * import type { SummaryRow } from "./report.ts";
 * const row: SummaryRow = { name: "x", target: "—", value: "2", baseline: "1", ratio: "2.00×" };
 * ```
 */
export interface SummaryRow {
  name: string;
  target: string;
  value: string;
  baseline: string;
  ratio: string;
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { Report } from "./report.ts";
 * const lines: string[] = [];
 * const report = new Report((line) => lines.push(line));
 * report.section("Ledger");
 * ```
 */
export class Report {
  readonly #print: (line: string) => void;
  readonly #rows: SummaryRow[] = [];
  readonly sections: string[] = [];

  constructor(print: (line: string) => void) {
    this.#print = print;
  }

  /** Starts a section; its title is printed as `## <title>`. */
  section(title: string): void {
    this.sections.push(title);
    this.#print(`\n## ${title}`);
  }

  /** Prints one figure of the current section. */
  line(text: string): void {
    this.#print(`  ${text}`);
  }

  /** Prints a figure and keeps it for the summary table. */
  row(row: SummaryRow): void {
    this.#rows.push(row);
    this.line(`${row.name}: ${row.value} (baseline ${row.baseline}, ratio ${row.ratio})`);
  }

  /** Prints the summary as a Markdown table. */
  summary(): void {
    this.#print("\n## Summary\n");
    this.#print("| benchmark | target | measured | baseline | ratio |");
    this.#print("| --- | --- | --- | --- | --- |");
    for (const r of this.#rows) {
      this.#print(`| ${r.name} | ${r.target} | ${r.value} | ${r.baseline} | ${r.ratio} |`);
    }
  }
}
