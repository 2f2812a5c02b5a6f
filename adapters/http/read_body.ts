/**
 * Reads a request body with a size limit enforced while reading: a declared `Content-Length`
 * over the limit is refused before a byte is read, and a body that streams past the limit
 * (chunked, or lying about its length) is cut off as soon as it does. Memory use stays bounded
 * by the limit whatever the client sends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BodyTooLargeError, readBodyLimited } from "./read_body.ts";
 *
 * const small = new Request("http://localhost/", { method: "POST", body: "{}" });
 * assert.equal((await readBodyLimited(small, 1024)).length, 2);
 *
 * // A streamed body declares no length: it is cut off once it passes the limit.
 * const chunks = ReadableStream.from(["x".repeat(600), "x".repeat(600)]).pipeThrough(
 *   new TextEncoderStream(),
 * );
 * const streamed = new Request("http://localhost/", { method: "POST", body: chunks });
 * await assert.rejects(readBodyLimited(streamed, 1024), BodyTooLargeError);
 * ```
 * @module
 */

/** The body is, or declares itself, larger than the limit. */
export class BodyTooLargeError extends Error {
  /** The limit that was exceeded, in bytes. */
  readonly limit: number;

  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = "BodyTooLargeError";
    this.limit = limit;
  }
}

/**
 * Reads `request`'s whole body, at most `maxBytes` of it. An absent body reads as empty.
 *
 * @throws {BodyTooLargeError} when `Content-Length` or the bytes received exceed `maxBytes`;
 * the rest of the stream is cancelled, not read.
 * @throws {RangeError} when `maxBytes` is not a non-negative safe integer.
 */
export async function readBodyLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${String(maxBytes)}`);
  }
  const declared = request.headers.get("content-length");
  // A malformed header is left to the stream check below rather than trusted or refused.
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
    throw new BodyTooLargeError(maxBytes);
  }
  if (request.body === null) return new Uint8Array(0);

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.length;
    if (received > maxBytes) {
      // The rest is discarded either way; a failure to cancel must not mask the real answer.
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}
