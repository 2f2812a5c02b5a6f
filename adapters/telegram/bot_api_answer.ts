/**
 * Turns an HTTP answer that is not a Bot API answer into one that says so. grammY parses every
 * answer as JSON and builds its error from `error_code` and `description`: from a server (a
 * self-hosted Bot API, a proxy) that answers `500` with a plain-text or HTML body, grammY threw
 * a "network error" about JSON parsing that lost the status, and from JSON without those fields
 * a `GrammyError` whose code and description were `undefined` — logged as "failed to start:
 * undefined undefined". Here such an answer becomes Telegram's own error shape, holding the HTTP
 * status and a short excerpt of the body (whitespace and HTML tags collapsed, bot tokens
 * removed), so every error description names what the server really said.
 *
 * Telegram's successful answers (2xx, JSON) pass untouched and unread: this costs nothing on the
 * hot path. An answer in Telegram's shape passes unchanged whatever its status.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asBotApiAnswer } from "./bot_api_answer.ts";
 *
 * const bare = new Response("<h1>Internal Server Error</h1>", {
 *   status: 500,
 *   statusText: "Internal Server Error",
 * });
 * const answer = await asBotApiAnswer(bare);
 * assert.equal(answer.status, 500);
 * assert.deepEqual(await answer.json(), {
 *   ok: false,
 *   error_code: 500,
 *   description: "not a Bot API answer: HTTP 500 Internal Server Error, body: " +
 *     "Internal Server Error",
 * });
 *
 * const telegram = Response.json({ ok: false, error_code: 400, description: "Bad Request" }, {
 *   status: 400,
 * });
 * assert.equal((await (await asBotApiAnswer(telegram)).json()).description, "Bad Request");
 * ```
 * @module
 */
import type { ApiResponse } from "grammy/types";
import { redactTokens } from "../observability/redact.ts";

/** How much of a foreign body an error description quotes. */
const EXCERPT_CHARS = 160;

/**
 * The code a foreign answer gets when its own status is not an error (a `200` HTML page from a
 * captive portal or a misconfigured `apiRoot`): the server in front of the Bot API answered
 * something else, which is what 502 Bad Gateway means. Callers treat it as a server error.
 */
export const FOREIGN_ANSWER_CODE = 502;

/** Returns `response` itself, or an equivalent one, grammY can read; see the module doc. */
export async function asBotApiAnswer(response: Response): Promise<Response> {
  const type = response.headers.get("content-type") ?? "";
  if (response.ok && /\bjson\b/i.test(type)) return response;
  const text = await response.text();
  const { status, statusText, headers } = response;
  if (isBotApiAnswer(parseJson(text))) return new Response(text, { status, statusText, headers });
  const foreign = foreignAnswer(status, statusText, text);
  return Response.json(foreign, { status: foreign.error_code });
}

/**
 * The Bot API's answer in an HTTP answer's `body`, read whole (for a client that has it as text,
 * `transport/`): the body itself when it has Telegram's shape, whatever the status; otherwise an
 * error that says what the server answered, as {@linkcode asBotApiAnswer} makes it.
 */
export function botApiAnswerOf(
  status: number,
  statusText: string,
  body: string,
): ApiResponse<unknown> {
  const parsed = parseJson(body);
  return isBotApiAnswer(parsed)
    ? parsed as ApiResponse<unknown>
    : foreignAnswer(status, statusText, body);
}

/** Telegram's error shape for an answer that was not the Bot API's; see the module doc. */
function foreignAnswer(status: number, statusText: string, body: string) {
  const code = status >= 400 ? status : FOREIGN_ANSWER_CODE;
  const reason = statusText ? ` ${statusText}` : "";
  return {
    ok: false as const,
    error_code: code,
    description: `not a Bot API answer: HTTP ${status}${reason}, body: ${excerpt(body)}`,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Telegram's shape: `{ ok: true, result }`, or `{ ok: false, error_code, description }`. */
function isBotApiAnswer(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const answer = value as Record<string, unknown>;
  if (answer.ok === true) return "result" in answer;
  return answer.ok === false && typeof answer.error_code === "number" &&
    typeof answer.description === "string";
}

/** The start of `body` on one line, without markup or bot tokens; says so when it is empty. */
export function excerpt(body: string): string {
  const flat = redactTokens(body.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim());
  if (flat === "") return "(empty)";
  return flat.length <= EXCERPT_CHARS ? flat : `${flat.slice(0, EXCERPT_CHARS)}…`;
}
