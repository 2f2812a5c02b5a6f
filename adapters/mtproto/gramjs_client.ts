/**
 * The slice of GramJS's `TelegramClient` the Stars balance upstream uses, and the factory that
 * builds the real one. Tests hand the upstream a fake {@linkcode MtprotoClient} instead, so no
 * test ever opens a connection to Telegram.
 *
 * Why `destroy()` and not `disconnect()`: `connect()` starts GramJS's ping loop, which only ends
 * once the client is destroyed; a merely disconnected client keeps a 9-second timer alive and
 * cannot restart its loop on a later `connect()`. So a connection is one client: idle → destroy,
 * next call → a new client from the stored session.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sessions } from "telegram";
 * import { createGramjsClientFactory } from "./gramjs_client.ts";
 * import { tenantLogger } from "../observability/logging.ts";
 *
 * const factory = createGramjsClientFactory(tenantLogger("shop"), (text) => text);
 * const session = new sessions.StringSession("");
 * const client = factory(session, 12345, "0123456789abcdef0123456789abcdef");
 * // Building a client opens nothing; `await client.connect()` would dial Telegram, so this
 * // example stops here. A client is used once: destroyed, never merely disconnected.
 * assert.equal(typeof client.invoke, "function");
 * await client.destroy();
 * ```
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { type Api, Logger as GramjsLogger, type sessions, TelegramClient } from "telegram";

/** An MTProto connection: connect once, send requests, destroy when done. */
export interface MtprotoClient {
  /** Opens the connection (and creates an auth key when the session has none). */
  connect(): Promise<unknown>;
  /** Sends one request and resolves with Telegram's answer; rejects with GramJS errors. */
  invoke<R extends Api.AnyRequest>(request: R): Promise<R["__response"]>;
  /** Closes the connection and stops every timer the client runs. */
  destroy(): Promise<void>;
}

/** Builds a client over `session`; the client updates the session as it connects and logs in. */
export type MtprotoClientFactory = (
  session: sessions.StringSession,
  apiId: number,
  apiHash: string,
) => MtprotoClient;

/**
 * GramJS's logger, routed into ours. GramJS warns about routine events (every disconnect is a
 * "warning"), so its warnings and info become our debug lines and only its errors our warnings.
 * `canSend` answers no: GramJS also dumps raw errors to the console when `canSend("error")`
 * holds; those errors reach us anyway as rejected calls or through `onError`.
 */
export class GramjsLogBridge extends GramjsLogger {
  readonly #logger: Logger;
  readonly #redact: (text: string) => string;

  constructor(logger: Logger, redact: (text: string) => string) {
    super();
    this.#logger = logger;
    this.#redact = redact;
  }

  override canSend(): boolean {
    return false;
  }

  override error(message: string): void {
    this.#logger.warning("GramJS: {message}", { message: this.#redact(message) });
  }

  override warn(message: string): void {
    this.#logger.debug("GramJS: {message}", { message: this.#redact(message) });
  }

  override info(message: string): void {
    this.#logger.debug("GramJS: {message}", { message: this.#redact(message) });
  }

  // GramJS's debug level traces every packet: far below what an operator can use.
  override debug(_message: string): void {}
}

/**
 * The factory of real GramJS clients, configured for a runtime that owns retries and time:
 * - `floodSleepThreshold: 0`: GramJS would otherwise sleep through flood waits up to 60 s on the
 *   real clock; the upstream decides (with the injected clock) whether to wait or give up.
 * - `connectionRetries: 1`, `requestRetries: 3`: one connection attempt per call (the caller
 *   retries later), and enough request attempts for a data-centre migration at login.
 * - `deviceModel`, `systemVersion`, `appVersion` set: GramJS otherwise reads them from `node:os`,
 *   which under Deno needs `--allow-sys`.
 */
export function createGramjsClientFactory(
  logger: Logger,
  redact: (text: string) => string,
): MtprotoClientFactory {
  return (session, apiId, apiHash) => {
    const client = new TelegramClient(session, apiId, apiHash, {
      connectionRetries: 1,
      requestRetries: 3,
      floodSleepThreshold: 0,
      deviceModel: "Constellation",
      systemVersion: "Deno",
      appVersion: "1.0",
      baseLogger: new GramjsLogBridge(logger, redact),
    });
    // Errors of GramJS's background work (pings, reconnects) that no call would see.
    client.onError = (error) => {
      logger.warning("GramJS background error: {error}", { error: redact(String(error)) });
      return Promise.resolve();
    };
    return client;
  };
}
