/**
 * Keeps secrets out of everything we print: logs, `/status`, `/metrics`. Bot tokens are found by
 * their shape (they travel inside request URLs, `/bot<token>/method`, and network errors quote
 * those URLs); other secrets — webhook secrets, API hashes, the admin token — have no shape, so
 * the runtime registers their values with {@linkcode secrets} as it learns them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactTokens, SecretRedactor } from "./redact.ts";
 *
 * const url = "GET /bot123456:AAE-x_yAAAAAAAAAAAAAAAAAAAAA/getMe";
 * assert.equal(redactTokens(url), "GET /bot<redacted>/getMe");
 *
 * const redactor = new SecretRedactor();
 * redactor.add("hunter2-webhook-secret");
 * redactor.add("abc"); // too short to be a real secret: ignored
 * assert.equal(redactor.redact("secret=hunter2-webhook-secret abc"), "secret=<redacted> abc");
 * assert.equal(redactor.redact(url), "GET /bot<redacted>/getMe");
 * ```
 * @module
 */

// A bot token is "<bot id>:<secret>"; the secret uses the URL-safe base64 alphabet.
const TOKEN = /\b(bot)?\d{3,}:[A-Za-z0-9_-]{20,}/g;

/** Replaces every bot token in `text` with `<redacted>`, keeping a leading `bot` path prefix. */
export function redactTokens(text: string): string {
  return text.replace(TOKEN, (_match, prefix?: string) => `${prefix ?? ""}<redacted>`);
}

/**
 * Secrets shorter than this are not registered: replacing every "abc" in every log line would
 * mangle the logs, and a secret that short protects nothing anyway.
 */
const minimumSecretLength = 8;

/** A set of secret values to blank out, plus every bot token by shape. */
export class SecretRedactor {
  readonly #secrets = new Set<string>();

  /** Remembers `secret` (ignoring `undefined` and values too short to be real secrets). */
  add(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= minimumSecretLength) this.#secrets.add(secret);
  }

  /** `text` with every known secret and every bot token replaced by `<redacted>`. */
  redact(text: string): string {
    let clean = redactTokens(text);
    for (const secret of this.#secrets) clean = clean.replaceAll(secret, "<redacted>");
    return clean;
  }
}

/** The process-wide redactor the log sink, `/status` and `/metrics` use. */
export const secrets: SecretRedactor = new SecretRedactor();
