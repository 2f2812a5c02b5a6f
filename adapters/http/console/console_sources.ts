/**
 * Everything the console reads and acts through, handed in by the composition root: the
 * runtime's views (`runtime_view.ts`), the database for the money domain's read-only reports
 * (`money/reports/`), the log tail, a clock and the redactor. The console reaches nothing else.
 *
 * @module
 */
import type { Clock } from "../../../actors/kernel/clock.ts";
import type { SqlRunner } from "../../../money/ports.ts";
import type { LogTail } from "../../observability/log_tail.ts";
import type { DeadLetterDesk, OperatorDesk, RuntimeView } from "../runtime_view.ts";

/** What the console reads and acts through; see the module doc. */
export interface ConsoleSources {
  runtime: RuntimeView;
  deadLetters: DeadLetterDesk;
  operator: OperatorDesk;
  /** The process's database, read by the money domain's reports only. */
  db: SqlRunner;
  logs: LogTail;
  clock: Clock;
  /** Removes secrets from any text shown (error texts may quote URLs with tokens). */
  redact: (text: string) => string;
}
