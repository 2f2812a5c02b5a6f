/**
 * Turns zod validation issues into plain-English lines that name the field path, what was
 * expected and what was found, e.g. `products[1].price: expected an integer ≥ 1, got 0`.
 *
 * Schemas in this folder give every check a message of the form `expected …`; this module adds
 * the `got …` part from the input itself, so the message text stays next to the rule it explains.
 * Values of secret fields are never echoed, and anything that looks like a bot token is masked
 * wherever it appears.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { describeIssues, SHOW_INPUT } from "./plain_issues.ts";
 *
 * const Product = z.strictObject({
 *   title: z.string().min(1, "expected 1 to 32 characters"),
 *   price: z.int().min(1, "expected an integer ≥ 1"),
 *   // A refinement states only the expectation; SHOW_INPUT asks for the `got …` part too.
 *   plugin: z.string().refine((s) => s.endsWith(".ts"), {
 *     error: "expected a .ts path",
 *     params: SHOW_INPUT,
 *   }),
 *   token: z.string().regex(/^\d+:/, "expected a bot token"),
 * });
 * const input = { title: "", price: 0, plugin: "oracle.js", token: "hunter2" };
 * const { error } = Product.safeParse(input);
 * const issues = describeIssues(error!, input, { isSecret: (path) => path === "token" });
 * assert.deepEqual(issues.map((issue) => `${issue.path}: ${issue.message}`), [
 *   'title: expected 1 to 32 characters, got "" (0 characters)',
 *   "price: expected an integer ≥ 1, got 0",
 *   'plugin: expected a .ts path, got "oracle.js"',
 *   "token: expected a bot token, got a text (not shown because it is a secret)",
 * ]);
 * ```
 * @module
 */
import type { z } from "zod";

/** One problem with one field: `path` like `products[1].price` (empty for the whole document). */
export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * Pass as `params` of a refinement whose message states only the expectation, so that
 * {@linkcode describeIssues} appends the offending value as it does for built-in checks.
 */
export const SHOW_INPUT = { showInput: true } as const;

/** Options for {@linkcode describeIssues}. */
export interface DescribeOptions {
  /** True for paths (as formatted by {@linkcode formatPath}) whose values must never be shown. */
  isSecret?: (path: string) => boolean;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

// Bot tokens look like `123456789:AA…` (a numeric bot id, a colon, a long base64url secret).
// Masking this shape everywhere keeps a token out of messages even when it sits in a wrong field.
const TOKEN_SHAPE = /\d{3,}:[A-Za-z0-9_-]{20,}/g;

/** Longest string value quoted in full; longer ones are cut so a message stays one short line. */
const MAX_QUOTED = 40;

/**
 * Formats a zod path the way a JavaScript reader would write it: `products[1].price`,
 * `texts.en["menu.title"]`; the empty path gives `""`.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else if (typeof key === "string" && IDENTIFIER.test(key)) text += text ? `.${key}` : key;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

/** Masks everything shaped like a Telegram bot token in `text`. */
export function maskTokens(text: string): string {
  return text.replace(TOKEN_SHAPE, "<token>");
}

/** Describes a value for the `got …` part of a message. */
export function describeValue(value: unknown, secret: boolean, showLength = false): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? "" : "s"}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    if (secret) return "a text (not shown because it is a secret)";
    const length = ` (${value.length} character${value.length === 1 ? "" : "s"})`;
    // Mask before cutting: a cut could leave part of a token that no longer looks like one.
    const masked = maskTokens(value);
    const shown = masked.length > MAX_QUOTED ? `${masked.slice(0, MAX_QUOTED - 10)}…` : masked;
    const quoted = JSON.stringify(shown);
    return showLength || shown !== masked ? quoted + length : quoted;
  }
  if (secret) return `a ${typeof value}`;
  return String(value);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

// Issue kinds whose message states only the expectation, so the offending value is appended.
const COMPARES_WITH_INPUT = new Set([
  "invalid_type",
  "too_small",
  "too_big",
  "invalid_format",
  "invalid_value",
  "not_multiple_of",
  "invalid_union",
]);

/**
 * Converts a zod error into plain-English {@linkcode FieldIssue}s. `input` is the data that was
 * parsed; it supplies the offending values for the `got …` part.
 */
export function describeIssues(
  error: z.ZodError,
  input: unknown,
  options: DescribeOptions = {},
): FieldIssue[] {
  const isSecret = options.isSecret ?? (() => false);
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      // One unknown key is named in the path itself; several stay on the parent object.
      const path = issue.keys.length === 1 ? [...issue.path, issue.keys[0]] : issue.path;
      issues.push({ path: formatPath(path), message: issue.message });
      continue;
    }
    const path = formatPath(issue.path);
    const showsInput = COMPARES_WITH_INPUT.has(issue.code) ||
      (issue.code === "custom" && issue.params?.showInput === true);
    if (!showsInput) {
      issues.push({ path, message: issue.message });
      continue;
    }
    const value = valueAt(input, issue.path);
    const lengthMatters = (issue.code === "too_small" || issue.code === "too_big") &&
      issue.origin === "string";
    const got = describeValue(value, isSecret(path), lengthMatters);
    issues.push({ path, message: `${issue.message}, got ${got}` });
  }
  return issues;
}
