/**
 * Reads HTTP/1.1 responses from the bytes of a connection, as they arrive: the status, the
 * content type and the body, framed by `Content-Length`, by chunked transfer coding, or by the
 * end of the connection. Only what a Bot API client needs: no trailers are kept, no 1xx response
 * is answered (they are skipped), and sizes are bounded, so no peer can make the process hold
 * more than {@linkcode MAX_BODY_BYTES} for one answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ResponseReader } from "./http1_response.ts";
 *
 * const reader = new ResponseReader();
 * const bytes = new TextEncoder().encode(
 *   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}",
 * );
 * assert.equal(reader.feed(bytes.subarray(0, 30)), undefined); // not all there yet
 * const answer = reader.feed(bytes.subarray(30));
 * assert.equal(answer?.status, 200);
 * assert.equal(answer?.body, '{"ok":true}');
 * assert.equal(answer?.keepAlive, true);
 * ```
 * @module
 */

/** One response, read whole. */
export interface HttpAnswer {
  status: number;
  statusText: string;
  /** The `Content-Type` header, or `""`. */
  contentType: string;
  /** The body as UTF-8 text. */
  body: string;
  /** Whether the connection may carry another request. */
  keepAlive: boolean;
}

/** The most header bytes one response may have. */
export const MAX_HEAD_BYTES = 64 * 1024;

/**
 * The largest body accepted: far above any Bot API answer (a `getUpdates` of 100 updates is a
 * few hundred KiB), far below what would hurt the process.
 */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** A response that is not HTTP/1.1 as this reader takes it, or is too large. */
export class HttpProtocolError extends Error {
  override name = "HttpProtocolError";
}

const decoder = new TextDecoder();
const CRLF_CRLF = [13, 10, 13, 10];

/** Where `\r\n\r\n` starts in `bytes` from `from`, or -1. */
function headEnd(bytes: Uint8Array, from: number): number {
  for (let i = Math.max(0, from); i + 3 < bytes.length; i++) {
    if (
      bytes[i] === CRLF_CRLF[0] && bytes[i + 1] === CRLF_CRLF[1] &&
      bytes[i + 2] === CRLF_CRLF[2] && bytes[i + 3] === CRLF_CRLF[3]
    ) return i;
  }
  return -1;
}

/** Where `\r\n` starts in `bytes` from `from`, or -1. */
function lineEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  }
  return -1;
}

/** The parts of a response head this reader uses. */
interface Head {
  status: number;
  statusText: string;
  contentType: string;
  /** `Content-Length`, or `"chunked"`, or `"close"`: the body runs to the connection's end. */
  framing: number | "chunked" | "close";
  keepAlive: boolean;
}

function parseHead(text: string): Head {
  const lines = text.split("\r\n");
  const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!status) {
    throw new HttpProtocolError(
      `not an HTTP/1.x status line: ${JSON.stringify(lines[0].slice(0, 80))}`,
    );
  }
  let contentType = "";
  let length: number | undefined;
  let chunked = false;
  // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes it unless told so.
  let keepAlive = status[1] === "1";
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(":");
    if (colon <= 0) {
      throw new HttpProtocolError(
        `a header line without a name: ${JSON.stringify(lines[i].slice(0, 80))}`,
      );
    }
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    if (name === "content-type") contentType = value;
    else if (name === "content-length") {
      if (!/^\d{1,15}$/.test(value) || (length !== undefined && length !== Number(value))) {
        throw new HttpProtocolError(`a bad Content-Length: ${JSON.stringify(value.slice(0, 40))}`);
      }
      length = Number(value);
    } else if (name === "transfer-encoding") {
      chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
      if (!chunked) {
        throw new HttpProtocolError(`an unsupported Transfer-Encoding: ${value.slice(0, 40)}`);
      }
    } else if (name === "connection") {
      const tokens = value.toLowerCase().split(",").map((token) => token.trim());
      if (tokens.includes("close")) keepAlive = false;
      else if (tokens.includes("keep-alive")) keepAlive = true;
    }
  }
  const code = Number(status[2]);
  const empty = code === 204 || code === 304 || (code >= 100 && code < 200);
  const framing = empty ? 0 : chunked ? "chunked" : length ?? "close";
  if (length !== undefined && length > MAX_BODY_BYTES) {
    throw new HttpProtocolError(
      `an answer of ${length} bytes, over the ${MAX_BODY_BYTES} accepted`,
    );
  }
  return {
    status: code,
    statusText: status[3] ?? "",
    contentType,
    framing,
    keepAlive: keepAlive && framing !== "close",
  };
}

/**
 * Takes a connection's bytes in order and returns each response once it is complete. One
 * response at a time: the client sends the next request only after the answer to the last.
 */
export class ResponseReader {
  /** Bytes received and not yet used. */
  #buffer = new Uint8Array(0);
  #head: Head | undefined;
  /** The body's chunks decoded so far (chunked framing). */
  #chunks: Uint8Array[] = [];
  #chunksSize = 0;

  /** Whether part of a response has arrived. */
  get started(): boolean {
    return this.#buffer.length > 0 || this.#head !== undefined;
  }

  /**
   * Adds `bytes` and returns the response they complete, if any. Bytes past it stay for the
   * next. Throws {@linkcode HttpProtocolError} for what is not a response this reader takes.
   */
  feed(bytes: Uint8Array): HttpAnswer | undefined {
    this.#append(bytes);
    for (;;) {
      if (!this.#head) {
        const end = headEnd(this.#buffer, 0);
        if (end < 0) {
          if (this.#buffer.length > MAX_HEAD_BYTES) {
            throw new HttpProtocolError(`a response head over ${MAX_HEAD_BYTES} bytes`);
          }
          return undefined;
        }
        const head = parseHead(decoder.decode(this.#buffer.subarray(0, end)));
        this.#buffer = this.#buffer.subarray(end + 4);
        // An interim response (100 Continue): the real one follows.
        if (head.status < 200) continue;
        this.#head = head;
      }
      return this.#body(this.#head);
    }
  }

  /**
   * The connection ended: the response that runs to its end, if one does; otherwise
   * `undefined` when nothing of a response had arrived, and an error when one was cut short.
   */
  end(): HttpAnswer | undefined {
    const head = this.#head;
    if (head?.framing === "close") return this.#answer(head, this.#take(this.#buffer.length));
    if (this.started) {
      throw new HttpProtocolError("the connection closed in the middle of an answer");
    }
    return undefined;
  }

  #body(head: Head): HttpAnswer | undefined {
    if (typeof head.framing === "number") {
      if (this.#buffer.length < head.framing) return undefined;
      return this.#answer(head, this.#take(head.framing));
    }
    if (head.framing === "close") {
      if (this.#buffer.length > MAX_BODY_BYTES) {
        throw new HttpProtocolError(`an answer over the ${MAX_BODY_BYTES} bytes accepted`);
      }
      return undefined;
    }
    // Chunked: size line, data, CRLF; a zero size, trailers, and an empty line end it.
    for (;;) {
      const sizeEnd = lineEnd(this.#buffer, 0);
      if (sizeEnd < 0) return undefined;
      const sizeText = decoder.decode(this.#buffer.subarray(0, sizeEnd)).split(";")[0].trim();
      if (!/^[0-9a-f]{1,8}$/i.test(sizeText)) {
        throw new HttpProtocolError(`a bad chunk size: ${JSON.stringify(sizeText.slice(0, 20))}`);
      }
      const size = parseInt(sizeText, 16);
      if (size === 0) {
        // Trailers (ignored) up to the empty line: the first CRLF CRLF from the size line's.
        const trailersEnd = headEnd(this.#buffer, sizeEnd);
        if (trailersEnd < 0) return undefined;
        const end = trailersEnd + 4;
        this.#buffer = this.#buffer.subarray(end);
        const body = new Uint8Array(this.#chunksSize);
        let at = 0;
        for (const chunk of this.#chunks) {
          body.set(chunk, at);
          at += chunk.length;
        }
        this.#chunks = [];
        this.#chunksSize = 0;
        return this.#answer(head, body);
      }
      if (this.#chunksSize + size > MAX_BODY_BYTES) {
        throw new HttpProtocolError(`an answer over the ${MAX_BODY_BYTES} bytes accepted`);
      }
      const dataEnd = sizeEnd + 2 + size;
      if (this.#buffer.length < dataEnd + 2) return undefined;
      if (this.#buffer[dataEnd] !== 13 || this.#buffer[dataEnd + 1] !== 10) {
        throw new HttpProtocolError("a chunk not followed by CRLF");
      }
      this.#chunks.push(this.#buffer.slice(sizeEnd + 2, dataEnd));
      this.#chunksSize += size;
      this.#buffer = this.#buffer.subarray(dataEnd + 2);
    }
  }

  #answer(head: Head, body: Uint8Array): HttpAnswer {
    this.#head = undefined;
    return {
      status: head.status,
      statusText: head.statusText,
      contentType: head.contentType,
      body: decoder.decode(body),
      keepAlive: head.keepAlive,
    };
  }

  /** The first `count` bytes of the buffer, removed from it. */
  #take(count: number): Uint8Array {
    const taken = this.#buffer.subarray(0, count);
    this.#buffer = this.#buffer.subarray(count);
    return taken;
  }

  #append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.#buffer.length === 0) {
      // Copied: the caller reuses its read buffer.
      this.#buffer = bytes.slice();
      return;
    }
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer);
    joined.set(bytes, this.#buffer.length);
    this.#buffer = joined;
  }
}
