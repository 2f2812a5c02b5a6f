/**
 * Reading the small forms the console posts (login, refund, dead-letter actions): at most
 * 4 KiB, `application/x-www-form-urlencoded` or JSON. Anything else is a 4xx that says what was
 * expected.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readForm } from "./forms.ts";
 *
 * const form = await readForm(new Request("http://x/", {
 *   method: "POST",
 *   headers: { "content-type": "application/x-www-form-urlencoded" },
 *   body: "chargeId=ch_1&csrf=t",
 * }));
 * assert(!(form instanceof Response));
 * assert.equal(form.get("chargeId"), "ch_1");
 * ```
 * @module
 */
import { BodyTooLargeError, readBodyLimited } from "../read_body.ts";
import { consoleJson } from "./security_headers.ts";

const maxFormBytes = 4096;

/** The form's fields, or the answer refusing the request. */
export async function readForm(request: Request): Promise<URLSearchParams | Response> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  let bytes: Uint8Array;
  try {
    bytes = await readBodyLimited(request, maxFormBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      return consoleJson(413, { error: `the form must be at most ${maxFormBytes} bytes` });
    }
    throw error;
  }
  const text = new TextDecoder().decode(bytes);
  if (type === "application/x-www-form-urlencoded" || (type === "" && text === "")) {
    return new URLSearchParams(text);
  }
  if (type === "application/json") {
    try {
      const value = JSON.parse(text);
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error();
      const form = new URLSearchParams();
      for (const [key, field] of Object.entries(value)) {
        if (typeof field === "string" || typeof field === "number") form.set(key, String(field));
      }
      return form;
    } catch {
      return consoleJson(400, { error: "the body must be a JSON object of strings" });
    }
  }
  return consoleJson(415, {
    error: "expected a form (application/x-www-form-urlencoded) or application/json",
  });
}
