/**
 * Removes bot tokens from text before it is logged or shown. Tokens travel inside request URLs
 * (`/bot<token>/method`), and network errors quote those URLs, so any error text may carry one.
 *
 * @example
 * ```ts
 * import { redactTokens } from "./redact.ts";
 * redactTokens("GET /bot123456:AAE-x_y/getMe failed"); // "GET /bot<redacted>/getMe failed"
 * ```
 * @module
 */

// A bot token is "<bot id>:<secret>"; the secret uses the URL-safe base64 alphabet.
const TOKEN = /\b(bot)?\d{3,}:[A-Za-z0-9_-]{20,}/g;

/** Replaces every bot token in `text` with `<redacted>`, keeping a leading `bot` path prefix. */
export function redactTokens(text: string): string {
  return text.replace(TOKEN, (_match, prefix?: string) => `${prefix ?? ""}<redacted>`);
}
