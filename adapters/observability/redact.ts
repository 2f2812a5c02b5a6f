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

// A bot token is "<bot id>:<secret>"; the secret uses the URL-safe base64 alphabet. No word
// boundary before it: a token glued to other letters ("x123…:…") is still a token.
const TOKEN = /(bot)?\d{3,}:[A-Za-z0-9_-]{20,}/g;

/** Replaces every bot token in `text` with `<redacted>`, keeping a leading `bot` path prefix. */
export function redactTokens(text: string): string {
  return text.replace(TOKEN, (_match, prefix?: string) => `${prefix ?? ""}<redacted>`);
}

/**
 * Secrets shorter than this are not registered: replacing every "abc" in every log line would
 * mangle the logs, and a secret that short protects nothing anyway.
 */
const minimumSecretLength = 8;

/**
 * A set of secret values to blank out, plus every bot token by shape.
 *
 * The secrets are indexed by their first {@linkcode minimumSecretLength} characters, and a text
 * is scanned once, looking each position up in that index: a log line costs the same however
 * many secrets are known. (Replacing each secret in turn cost a pass over every line per secret:
 * with a thousand tenants, a thousand passes per line, 3 % of a thousand tenants' start-up.)
 * Where two secrets start at the same place, the longer one is blanked.
 */
export class SecretRedactor {
  /** Secrets by their first characters, each list longest first. */
  readonly #byPrefix = new Map<string, string[]>();

  /**
   * Remembers `secret` (ignoring `undefined` and values too short to be real secrets, and bot
   * tokens, which are found by their shape wherever they are: a process of polling bots then
   * scans its log lines for nothing else).
   */
  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < minimumSecretLength) return;
    if (redactTokens(secret) === "<redacted>") return;
    const prefix = secret.slice(0, minimumSecretLength);
    const known = this.#byPrefix.get(prefix) ?? [];
    if (known.includes(secret)) return;
    known.push(secret);
    known.sort((a, b) => b.length - a.length);
    this.#byPrefix.set(prefix, known);
  }

  /** `text` with every known secret and every bot token replaced by `<redacted>`. */
  redact(text: string): string {
    const clean = redactTokens(text);
    if (this.#byPrefix.size === 0) return clean;
    let out = "";
    let copiedUpTo = 0;
    let at = 0;
    while (at + minimumSecretLength <= clean.length) {
      const candidates = this.#byPrefix.get(clean.slice(at, at + minimumSecretLength));
      const secret = candidates?.find((candidate) => clean.startsWith(candidate, at));
      if (secret === undefined) {
        at++;
        continue;
      }
      out += `${clean.slice(copiedUpTo, at)}<redacted>`;
      at += secret.length;
      copiedUpTo = at;
    }
    return copiedUpTo === 0 ? clean : out + clean.slice(copiedUpTo);
  }
}

/** The process-wide redactor the log sink, `/status` and `/metrics` use. */
export const secrets: SecretRedactor = new SecretRedactor();
