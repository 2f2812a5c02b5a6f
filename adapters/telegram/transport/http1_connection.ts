/**
 * One keep-alive HTTP/1.1 connection to a Bot API server, carrying one request at a time.
 *
 * A read is always pending on the connection, idle or not: the answer to a request arrives
 * through it, and so does the server closing an idle connection, which then leaves its pool at
 * once instead of failing the next request sent on it. A request whose signal aborts closes the
 * connection (HTTP/1.1 cannot cancel one request and keep the rest), as does any answer that is
 * not HTTP as `http1_response.ts` reads it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Http1Connection } from "./http1_connection.ts";
 * import { Sandbox } from "../../../sandbox/mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * const shop = sandbox.createBot({ username: "shop_bot" });
 * const connection = await Http1Connection.open(new URL(sandbox.apiRoot), AbortSignal.timeout(5_000));
 * const request = new TextEncoder().encode(
 *   `POST /bot${shop.token}/getMe HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`,
 * );
 * for (let i = 0; i < 2; i++) { // two requests, one connection
 *   const answer = await connection.request(request, AbortSignal.timeout(5_000));
 *   assert.equal(JSON.parse(answer.body).result.username, "shop_bot");
 * }
 * connection.close();
 * ```
 * @module
 */
import { type HttpAnswer, ResponseReader } from "./http1_response.ts";

/** How many bytes one read takes at most; an answer larger than that arrives in several. */
const READ_BYTES = 16 * 1024;

/** A request waiting for its answer. */
interface Waiting {
  resolve(answer: HttpAnswer): void;
  reject(error: unknown): void;
}

/** See the module doc. */
export class Http1Connection {
  readonly #conn: Deno.Conn;
  readonly #reader = new ResponseReader();
  #waiting: Waiting | undefined;
  #closed = false;
  /** Called once, when the connection closes for any reason. */
  onClose: () => void = () => {};

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#readLoop();
  }

  /**
   * Connects to `origin` (`http:` or `https:`); rejects with the signal's reason when it aborts
   * first, and closes the connection that comes too late.
   */
  static async open(origin: URL, signal: AbortSignal): Promise<Http1Connection> {
    signal.throwIfAborted();
    const secure = origin.protocol === "https:";
    const hostname = origin.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(origin.port || (secure ? 443 : 80));
    const connecting = secure
      ? Deno.connectTls({ hostname, port })
      : Deno.connect({ hostname, port }).then((conn) => {
        // One write per request: sent at once, not held back for more (Nagle).
        conn.setNoDelay(true);
        return conn;
      });
    const aborted = Promise.withResolvers<never>();
    const onAbort = () => aborted.reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return new Http1Connection(await Promise.race([connecting, aborted.promise]));
    } catch (error) {
      connecting.then((late) => late.close(), () => {});
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Whether it can take no more requests. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `request` (a whole HTTP/1.1 request) and resolves with its answer. Rejects when the
   * connection fails or closes first, or with the signal's reason when it aborts first (the
   * connection is then closed).
   */
  request(request: Uint8Array, signal: AbortSignal): Promise<HttpAnswer> {
    if (this.#closed) {
      return Promise.reject(new Deno.errors.NotConnected("the connection is closed"));
    }
    if (this.#waiting) throw new Error("Http1Connection: one request at a time");
    if (signal.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<HttpAnswer>();
    // The call fails with the signal's reason, and the connection, mid-request, with it.
    const onAbort = () => this.#fail(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    this.#waiting = {
      resolve: (answer) => {
        signal.removeEventListener("abort", onAbort);
        resolve(answer);
      },
      reject: (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    };
    this.#write(request).catch((error) => this.#fail(error));
    return promise;
  }

  /** Closes the connection; a request waiting fails. */
  close(): void {
    this.#fail(new Deno.errors.NotConnected("the connection was closed"));
  }

  async #write(bytes: Uint8Array): Promise<void> {
    for (let sent = 0; sent < bytes.length;) {
      sent += await this.#conn.write(bytes.subarray(sent));
    }
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(READ_BYTES);
    try {
      for (;;) {
        const count = await this.#conn.read(buffer);
        if (count === null) {
          const last = this.#reader.end();
          if (last) this.#deliver(last);
          this.#fail(new Deno.errors.ConnectionReset("the server closed the connection"));
          return;
        }
        const answer = this.#reader.feed(buffer.subarray(0, count));
        if (answer) this.#deliver(answer);
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  #deliver(answer: HttpAnswer): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (!waiting) {
      // Bytes nobody asked for: whatever the server is doing, it is not answering us.
      this.#fail(new Deno.errors.InvalidData("an answer to no request"));
      return;
    }
    if (!answer.keepAlive) {
      this.#fail(new Deno.errors.NotConnected("the server ended the connection"));
    }
    waiting.resolve(answer);
  }

  #fail(error: unknown): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(error);
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the read loop's end.
    }
    this.onClose();
  }
}
