/**
 * Checks raw request parameters against a method's entry in the generated Bot API table:
 * required parameters must be present, and each value must fit one of its declared types.
 * Form and query values arrive as strings, so integers, booleans and JSON-serialized objects
 * (`reply_markup`, `prices`, `allowed_updates`, …) are decoded here, once, for every method.
 * Parameters the table does not list are dropped, as Telegram ignores them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { coerceParams } from "./coerce_params.ts";
 * import { BOT_API_METHODS } from "../bot_api_spec.ts";
 *
 * // As a form or query string sends them: every value a string, unknown ones included.
 * const raw = { offset: "7", allowed_updates: '["message"]', colour: "blue" };
 * const params = coerceParams(BOT_API_METHODS.getUpdates, raw);
 * assert.deepEqual(params.values, { offset: 7, allowed_updates: ["message"] });
 * assert.throws(
 *   () => coerceParams(BOT_API_METHODS.sendMessage, { text: "hi" }),
 *   /Bad Request: chat_id is required/,
 * );
 * ```
 * @module
 */

import type { ParamSpec } from "../bot_api_spec.ts";
import { badRequest } from "../errors.ts";
import type { RawParams } from "./request_params.ts";
import { Params } from "./params.ts";

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

type Converter = (value: unknown, name: string) => { ok: true; value: unknown } | { ok: false };

const rejected = { ok: false } as const;
const accepted = (value: unknown) => ({ ok: true, value }) as const;

function toInteger(value: unknown): ReturnType<Converter> {
  if (typeof value === "number" && Number.isSafeInteger(value)) return accepted(value);
  if (typeof value === "string" && INTEGER.test(value.trim())) {
    const n = Number(value.trim());
    if (Number.isSafeInteger(n)) return accepted(n);
  }
  return rejected;
}

function toFloat(value: unknown): ReturnType<Converter> {
  if (typeof value === "number" && Number.isFinite(value)) return accepted(value);
  if (typeof value === "string" && FLOAT.test(value.trim())) return accepted(Number(value));
  return rejected;
}

function toBoolean(value: unknown): ReturnType<Converter> {
  if (typeof value === "boolean") return accepted(value);
  if (value === 1 || value === 0) return accepted(value === 1);
  if (typeof value === "string") {
    const text = value.trim().toLowerCase();
    if (text === "true" || text === "1") return accepted(true);
    if (text === "false" || text === "0") return accepted(false);
  }
  return rejected;
}

/** Decodes a JSON-serialized form value; objects already decoded (JSON bodies) pass through. */
function decodeJson(value: unknown, name: string): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`can't parse ${name} JSON object`);
  }
}

function toArray(value: unknown, name: string): ReturnType<Converter> {
  const decoded = decodeJson(value, name);
  return Array.isArray(decoded) ? accepted(decoded) : rejected;
}

function toObject(value: unknown, name: string): ReturnType<Converter> {
  const decoded = decodeJson(value, name);
  const isObject = typeof decoded === "object" && decoded !== null && !Array.isArray(decoded);
  return isObject ? accepted(decoded) : rejected;
}

function toInputFile(value: unknown): ReturnType<Converter> {
  return value instanceof Blob ? accepted(value) : rejected;
}

/** Picks the converter for one declared type name. */
function converterFor(type: string, allTypes: readonly string[]): Converter {
  if (type === "Integer") return toInteger;
  if (type === "Float") return toFloat;
  if (type === "Boolean") return toBoolean;
  if (type === "InputFile") return toInputFile;
  if (type === "String") {
    // Telegram accepts `text: 42`, but `chat_id: 1.5` must not slip through as the string "1.5"
    // just because chat_id may also be a String (a channel @username).
    const numeric = allTypes.includes("Integer") || allTypes.includes("Float");
    return (value) => {
      if (typeof value === "string") return accepted(value);
      if (!numeric && (typeof value === "number" || typeof value === "boolean")) {
        return accepted(String(value));
      }
      return rejected;
    };
  }
  if (type.startsWith("Array of ")) return toArray;
  return toObject;
}

function describeTypes(types: readonly string[]): string {
  return types.length === 1 ? types[0] : `${types.slice(0, -1).join(", ")} or ${types.at(-1)}`;
}

function describeValue(value: unknown): string {
  if (value instanceof Blob) return "a file";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Validates and decodes `raw` for one method. Throws a 400 {@linkcode ApiError} naming the first
 * missing required parameter or the first value that fits none of its declared types.
 */
export function coerceParams(spec: Readonly<Record<string, ParamSpec>>, raw: RawParams): Params {
  const values: Record<string, unknown> = {};
  for (const [name, param] of Object.entries(spec)) {
    const value = raw[name];
    if (value === undefined || value === null) {
      if (param.required) throw badRequest(`${name} is required`);
      continue;
    }
    let converted: ReturnType<Converter> = rejected;
    for (const type of param.types) {
      converted = converterFor(type, param.types)(value, name);
      if (converted.ok) break;
    }
    if (!converted.ok) {
      throw badRequest(
        `${name} must be ${describeTypes(param.types)}, got ${describeValue(value)}`,
      );
    }
    values[name] = converted.value;
  }
  return new Params(values);
}
