/**
 * Typed access to a method's decoded parameters. {@linkcode coerceParams} has already checked
 * each present value against the method table, so the getters here only add what the table
 * cannot say: parameters that are required only in some combinations (`message_id` unless
 * `inline_message_id`), and the shape of JSON objects a handler reads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Params } from "./params.ts";
 *
 * const params = new Params({ chat_id: 5, text: "hi" });
 * assert.equal(params.integer("chat_id"), 5);
 * assert.equal(params.optionalString("parse_mode"), undefined);
 * assert.throws(() => params.integer("message_id"), /Bad Request: message_id is required/);
 * ```
 * @module
 */

import { badRequest } from "../errors.ts";

/** Decoded parameters of one call, with getters that fail as Telegram does. */
export class Params {
  readonly values: Readonly<Record<string, unknown>>;

  constructor(values: Record<string, unknown>) {
    this.values = values;
  }

  /** Whether the parameter was sent. */
  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  /** A string parameter that must be present. */
  string(name: string): string {
    return this.#required(name, this.optionalString(name));
  }

  /** A string parameter, or `undefined` when absent. */
  optionalString(name: string): string | undefined {
    return this.#typed(name, "String", (v): v is string => typeof v === "string");
  }

  /** An integer parameter that must be present. */
  integer(name: string): number {
    return this.#required(name, this.optionalInteger(name));
  }

  /** An integer parameter, or `undefined` when absent. */
  optionalInteger(name: string): number | undefined {
    return this.#typed(name, "Integer", (v): v is number => Number.isSafeInteger(v));
  }

  /** A boolean parameter that must be present. */
  boolean(name: string): boolean {
    return this.#required(name, this.optionalBoolean(name));
  }

  /** A boolean parameter, or `undefined` when absent. */
  optionalBoolean(name: string): boolean | undefined {
    return this.#typed(name, "Boolean", (v): v is boolean => typeof v === "boolean");
  }

  /** A chat identifier: an integer id or an `@username` string. */
  chatId(name = "chat_id"): number | string {
    const value = this.values[name];
    if (value === undefined) throw badRequest(`${name} is required`);
    if (typeof value === "number" || typeof value === "string") return value;
    throw badRequest(`${name} must be Integer or String`);
  }

  /** A JSON object parameter (already decoded), or `undefined` when absent. */
  optionalObject(name: string): Record<string, unknown> | undefined {
    return this.#typed(
      name,
      "a JSON object",
      (v): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v),
    );
  }

  /** A JSON array parameter that must be present. */
  array(name: string): unknown[] {
    return this.#required(name, this.optionalArray(name));
  }

  /** A JSON array parameter (already decoded), or `undefined` when absent. */
  optionalArray(name: string): unknown[] | undefined {
    return this.#typed(name, "a JSON array", (v): v is unknown[] => Array.isArray(v));
  }

  #required<T>(name: string, value: T | undefined): T {
    if (value === undefined) throw badRequest(`${name} is required`);
    return value;
  }

  #typed<T>(name: string, what: string, check: (v: unknown) => v is T): T | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (!check(value)) throw badRequest(`${name} must be ${what}`);
    return value;
  }
}
