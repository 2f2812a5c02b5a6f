/**
 * Reads the parameters of a Bot API request from wherever Telegram accepts them: the query
 * string, a JSON body, a URL-encoded form or a multipart form. Values from forms and query
 * strings stay strings here; {@linkcode import("./coerce_params.ts").coerceParams} turns them
 * into the types the method table names.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readParams } from "./request_params.ts";
 *
 * const query = new Request("http://127.0.0.1/botX/getUpdates?offset=5&limit=1");
 * assert.deepEqual(await readParams(query), { offset: "5", limit: "1" });
 *
 * // A body wins over the query string.
 * const json = new Request("http://127.0.0.1/botX/sendMessage?text=ignored", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ chat_id: 1, text: "hi" }),
 * });
 * assert.deepEqual(await readParams(json), { chat_id: 1, text: "hi" });
 * ```
 * @module
 */

import { badRequest } from "../errors.ts";

/** Raw request parameters: strings from forms, anything from JSON, `File` from uploads. */
export type RawParams = Record<string, unknown>;

/**
 * Merges query-string parameters with the body's; body values win, as a body is the usual
 * place and the query string the fallback.
 */
export async function readParams(request: Request): Promise<RawParams> {
  const params: RawParams = {};
  for (const [key, value] of new URL(request.url).searchParams) params[key] = value;
  if (request.body === null) return params;
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  if (type.startsWith("application/json")) {
    Object.assign(params, await readJson(request));
  } else if (type.startsWith("application/x-www-form-urlencoded")) {
    for (const [key, value] of new URLSearchParams(await request.text())) params[key] = value;
  } else if (type.startsWith("multipart/form-data")) {
    Object.assign(params, await readMultipart(request));
  } else {
    const text = await request.text();
    if (text.trim() !== "") {
      throw badRequest(
        `unsupported Content-Type "${type}": send application/json, ` +
          "application/x-www-form-urlencoded or multipart/form-data",
      );
    }
  }
  return params;
}

async function readJson(request: Request): Promise<RawParams> {
  const text = await request.text();
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest("can't parse JSON request body");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw badRequest("JSON request body must be an object of parameters");
  }
  return parsed as RawParams;
}

async function readMultipart(request: Request): Promise<RawParams> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch (error) {
    throw badRequest(`can't parse multipart/form-data body: ${(error as Error).message}`);
  }
  const params: RawParams = {};
  for (const [key, value] of form) params[key] = value;
  return params;
}
