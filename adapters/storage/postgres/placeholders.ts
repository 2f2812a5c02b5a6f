/**
 * Translates the portable `?` placeholders the stores write into PostgreSQL's numbered `$1`,
 * `$2` … A `?` inside a string literal (`'…'`, `E'…'`, `$tag$…$tag$`), a quoted identifier
 * (`"…"`) or a comment (`-- …`, `/* … *\/`) is left alone: only placeholders are numbered.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { numberPlaceholders } from "./placeholders.ts";
 *
 * assert.equal(
 *   numberPlaceholders("SELECT v FROM t WHERE k = ? AND note <> '?' LIMIT ?"),
 *   "SELECT v FROM t WHERE k = $1 AND note <> '?' LIMIT $2",
 * );
 * ```
 * @module
 */

/** `sql` with each `?` placeholder replaced by `$1`, `$2` … in order. */
export function numberPlaceholders(sql: string): string {
  let out = "";
  let n = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "?") {
      out += `$${++n}`;
      i++;
    } else if (c === "'") {
      // E'…' strings allow backslash escapes; ordinary ones only the doubled quote.
      const escapes = i > 0 && /[eE]/.test(sql[i - 1]) && (i < 2 || !/\w/.test(sql[i - 2]));
      const end = quotedEnd(sql, i, "'", escapes);
      out += sql.slice(i, end);
      i = end;
    } else if (c === '"') {
      const end = quotedEnd(sql, i, '"', false);
      out += sql.slice(i, end);
      i = end;
    } else if (c === "-" && sql[i + 1] === "-") {
      const newline = sql.indexOf("\n", i);
      const end = newline === -1 ? sql.length : newline;
      out += sql.slice(i, end);
      i = end;
    } else if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      const end = close === -1 ? sql.length : close + 2;
      out += sql.slice(i, end);
      i = end;
    } else if (c === "$" && (i === 0 || !/\w/.test(sql[i - 1]))) {
      // A dollar-quoted string: $$…$$ or $tag$…$tag$ ($1 is a parameter, not a quote).
      const tag = /^\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$/.exec(sql.slice(i))?.[0];
      if (tag === undefined) {
        out += c;
        i++;
      } else {
        const close = sql.indexOf(tag, i + tag.length);
        const end = close === -1 ? sql.length : close + tag.length;
        out += sql.slice(i, end);
        i = end;
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Where the quoted text opened at `start` ends (just past its closing quote). */
function quotedEnd(sql: string, start: number, quote: string, escapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    if (escapes && sql[i] === "\\") {
      i += 2;
    } else if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2; // a doubled quote stands for one
      else return i + 1;
    } else {
      i++;
    }
  }
  return sql.length;
}
