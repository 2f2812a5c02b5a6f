/**
 * Secret references: config files name an environment variable (`"env:SHOP_BOT_TOKEN"`) instead
 * of holding the secret, so tenant files can be committed and shared without leaking tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveSecret, SecretError } from "./secrets.ts";
 *
 * const vars: Record<string, string> = { SHOP_BOT_TOKEN: " 123:abc\n" };
 * const env = (name: string) => vars[name];
 * assert.deepEqual(resolveSecret("env:SHOP_BOT_TOKEN", env), { value: "123:abc", literal: false });
 * // A literal works, and says so, so that the loader can warn about a secret sitting in a file.
 * assert.deepEqual(resolveSecret("123:abc", env), { value: "123:abc", literal: true });
 * assert.throws(() => resolveSecret("env:QUIZ_BOT_TOKEN", env), SecretError); // unset
 * assert.throws(() => resolveSecret("env:1BAD", env), SecretError); // malformed
 * ```
 * @module
 */

/** Looks up an environment variable; `undefined` when it is not set. */
export type EnvLookup = (name: string) => string | undefined;

/** The environment of this process. */
export const processEnv: EnvLookup = (name) => Deno.env.get(name);

/** Prefix that marks a secret reference. */
export const SECRET_PREFIX = "env:";

/** A valid environment variable name, as accepted after {@linkcode SECRET_PREFIX}. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A well-formed secret reference, `env:NAME`. */
export const ENV_REFERENCE = /^env:[A-Za-z_][A-Za-z0-9_]*$/;

/** What a well-formed secret reference looks like, for error messages. */
export const SECRET_REFERENCE_HINT =
  `"env:NAME", where NAME is an environment variable name (letters, digits and "_", not starting with a digit)`;

/** A secret could not be resolved. The message never contains a secret's value. */
export class SecretError extends Error {
  /** The environment variable involved, when there is one. */
  readonly variable?: string;

  constructor(message: string, variable?: string) {
    super(message);
    this.name = "SecretError";
    this.variable = variable;
  }
}

/** True when `value` is written as a secret reference (starts with `env:`), well-formed or not. */
export function isSecretReference(value: string): boolean {
  return value.startsWith(SECRET_PREFIX);
}

/** True when `value` is a well-formed reference `env:NAME`. */
export function isWellFormedReference(value: string): boolean {
  return ENV_REFERENCE.test(value);
}

/**
 * Resolves `env:NAME` from `env` (without surrounding whitespace); any other non-empty string is
 * a literal secret, returned with `literal: true` so the caller can warn that it sits in a file.
 *
 * Throws {@linkcode SecretError} naming the variable when it is unset or empty, or when the
 * reference is malformed.
 */
export function resolveSecret(value: string, env: EnvLookup): { value: string; literal: boolean } {
  if (!isSecretReference(value)) {
    if (value.length === 0) throw new SecretError("the secret is empty");
    return { value, literal: true };
  }
  const name = value.slice(SECRET_PREFIX.length);
  // A malformed reference might be a pasted secret after `env:`, so it is not echoed.
  if (!ENV_NAME.test(name)) {
    throw new SecretError(`malformed secret reference; expected ${SECRET_REFERENCE_HINT}`);
  }
  const resolved = env(name);
  if (resolved === undefined) {
    throw new SecretError(`environment variable ${name} is not set`, name);
  }
  // Surrounding whitespace is never part of a token or hash; it is usually a `\r` left by a
  // `.env` file with Windows line endings, which would make every API call fail.
  const trimmed = resolved.trim();
  if (trimmed.length === 0) {
    throw new SecretError(`environment variable ${name} is empty`, name);
  }
  return { value: trimmed, literal: false };
}
