/**
 * The bot's Stars balance over MTProto, through GramJS: one {@linkcode GramjsStarsUpstream} per
 * tenant with `mtproto` credentials.
 *
 * - Lazy: nothing connects until the first call. That call connects and, when no stored session
 *   is authorized for this bot, logs in with the bot token and stores the session in `kv`
 *   (`mtproto:session`) so restarts reuse it: Telegram rate-limits `auth.importBotAuthorization`.
 * - Idle: after `idleMs` without calls the connection is closed; the next call reconnects with
 *   the stored session (no new login).
 * - FLOOD_WAIT: a short wait (up to `floodWaitMaxMs`) is slept once on the injected clock and
 *   the call retried once; a longer one becomes {@linkcode FloodWaitError} for the caller.
 * - Every attempt has `callTimeoutMs`; the caller's signal is honoured throughout.
 * - The api hash, the bot token and session strings never appear in what it logs.
 *
 * @example Over a stand-in for Telegram (the real factory would dial it)
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api, helpers } from "telegram";
 * import { GramjsStarsUpstream } from "./gramjs_upstream.ts";
 * import type { MtprotoClient } from "./gramjs_client.ts";
 * import { openDatabase } from "../storage/open_database.ts";
 * import { ManualClock } from "../../actors/kernel/clock.ts";
 *
 * const botId = helpers.returnBigInt(123); // the token's prefix
 * const sent: string[] = [];
 * const answer = (request: Api.AnyRequest): unknown => {
 *   sent.push(request.className);
 *   if (request instanceof Api.users.GetUsers) {
 *     return [new Api.User({ id: botId, accessHash: helpers.returnBigInt(9) })];
 *   }
 *   if (request instanceof Api.payments.GetStarsStatus) {
 *     const balance = new Api.StarsAmount({ amount: helpers.returnBigInt(1500), nanos: 0 });
 *     return new Api.payments.StarsStatus({ balance, chats: [], users: [] });
 *   }
 *   return new Api.auth.Authorization({ user: new Api.UserEmpty({ id: botId }) });
 * };
 * const fakeTelegram: MtprotoClient = {
 *   connect: () => Promise.resolve(),
 *   invoke: <R extends Api.AnyRequest>(request: R) =>
 *     Promise.resolve(answer(request) as R["__response"]),
 *   destroy: () => Promise.resolve(),
 * };
 *
 * const db = await openDatabase("sqlite::memory:");
 * const upstream = new GramjsStarsUpstream({
 *   tenantId: "shop",
 *   apiId: 12345,
 *   apiHash: "0123456789abcdef0123456789abcdef",
 *   botToken: "123:secret",
 *   db,
 *   clock: new ManualClock(0),
 *   clientFactory: () => fakeTelegram,
 * });
 * const signal = new AbortController().signal;
 * const balance = await upstream.getStarsStatus("self", signal);
 * assert.deepEqual(balance, { amount: 1500, nanostarAmount: 0 });
 * // The first call logged in; the second reuses the connection.
 * await upstream.getStarsStatus("user", signal);
 * assert.deepEqual(sent, [
 *   "auth.ImportBotAuthorization",
 *   "users.GetUsers",
 *   "payments.GetStarsStatus",
 *   "payments.GetStarsStatus",
 * ]);
 * await upstream.close();
 * await db.close();
 * ```
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { sessions } from "telegram";
import type { Clock, TimerId } from "../../actors/kernel/clock.ts";
import {
  FloodWaitError,
  type MtprotoBalanceUpstream,
  type StarAmount,
} from "../../money/bot_stars/types.ts";
import {
  createGramjsClientFactory,
  type MtprotoClient,
  type MtprotoClientFactory,
} from "./gramjs_client.ts";
import { floodWaitSeconds, isUnauthorized, MtprotoTimeoutError } from "./gramjs_errors.ts";
import {
  buildGetSelf,
  buildGetStarsStatus,
  buildImportBotAuthorization,
  type SelfPeer,
  selfPeerOf,
  starAmountOf,
} from "./gramjs_requests.ts";
import { forgetSession, loadSession, storeSession } from "./session_store.ts";
import type { Database } from "../../money/ports.ts";
import { tenantLogger } from "../observability/logging.ts";
import { redactTokens } from "../observability/redact.ts";

export { buildGetStarsStatus } from "./gramjs_requests.ts";

/** What a {@linkcode GramjsStarsUpstream} needs. */
export interface GramjsStarsUpstreamOptions {
  tenantId: string;
  /** api_id from my.telegram.org. */
  apiId: number;
  /** api_hash from my.telegram.org: 32 hexadecimal characters. */
  apiHash: string;
  /** The bot token; the bot's user id is its prefix. */
  botToken: string;
  /** Holds the session string (`kv`, key `mtproto:session`). */
  db: Database;
  clock: Clock;
  /** Defaults to the tenant's logger, child `mtproto`. */
  logger?: Logger;
  /**
   * How long a connection stays open without calls; 5 minutes by default. A connection costs a
   * socket and a ping every 9 seconds per tenant, and reconnecting with a stored session is cheap
   * (no login), so connections are released between sparse balance checks, while a burst of
   * checks (several purchases in a row) reuses one.
   */
  idleMs?: number;
  /** Budget of one attempt (connect, login if needed, the request); 10 s by default. */
  callTimeoutMs?: number;
  /**
   * The longest FLOOD_WAIT slept through (on `clock`, honouring the caller's signal) before the
   * call is retried once; 60 s by default. A longer wait is thrown as `FloodWaitError`. 0 throws
   * every flood wait at once, for a caller that waits and retries itself: the BalanceActor's
   * `UpstreamCaller` does, and its per-call timeout would otherwise cut a sleep here short.
   */
  floodWaitMaxMs?: number;
  /** Builds MTProto clients; real GramJS clients by default. Tests pass a fake. */
  clientFactory?: MtprotoClientFactory;
}

/** An open, authorized connection and the bot's own peer on it. */
interface Connection {
  client: MtprotoClient;
  self: SelfPeer;
}

const DEFAULT_IDLE_MS = 5 * 60_000;
const DEFAULT_CALL_TIMEOUT_MS = 10_000;
const DEFAULT_FLOOD_WAIT_MAX_MS = 60_000;

const BOT_TOKEN = /^(\d+):[A-Za-z0-9_-]+$/;
const API_HASH = /^[0-9a-f]{32}$/i;

/** Reads the Stars balance of one tenant's bot over MTProto; see the module documentation. */
export class GramjsStarsUpstream implements MtprotoBalanceUpstream {
  readonly #tenantId: string;
  readonly #apiId: number;
  readonly #apiHash: string;
  readonly #botToken: string;
  readonly #botId: bigint;
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #idleMs: number;
  readonly #callTimeoutMs: number;
  readonly #floodWaitMaxMs: number;
  readonly #clientFactory: MtprotoClientFactory;
  /** Every session string seen, so none of them is ever logged. */
  readonly #sessionStrings = new Set<string>();
  #connection: Promise<Connection> | undefined;
  #idleTimer: TimerId | undefined;
  #activeCalls = 0;
  #closed = false;

  constructor(options: GramjsStarsUpstreamOptions) {
    const { tenantId } = options;
    if (typeof tenantId !== "string" || tenantId === "") {
      throw new TypeError("GramjsStarsUpstream needs a non-empty tenantId");
    }
    // The credentials are secrets: the errors name what is wrong without quoting them.
    if (!Number.isSafeInteger(options.apiId) || options.apiId <= 0) {
      throw new TypeError(`mtproto.apiId of tenant "${tenantId}" must be a positive integer`);
    }
    if (!API_HASH.test(options.apiHash)) {
      throw new TypeError(
        `mtproto.apiHash of tenant "${tenantId}" must be the 32 hexadecimal characters of the ` +
          "api_hash from my.telegram.org",
      );
    }
    const botId = BOT_TOKEN.exec(options.botToken)?.[1];
    if (botId === undefined) {
      throw new TypeError(`the bot token of tenant "${tenantId}" is not "<bot id>:<secret>"`);
    }
    this.#tenantId = tenantId;
    this.#apiId = options.apiId;
    this.#apiHash = options.apiHash;
    this.#botToken = options.botToken;
    this.#botId = BigInt(botId);
    this.#db = options.db;
    this.#clock = options.clock;
    this.#logger = options.logger ?? tenantLogger(tenantId).getChild("mtproto");
    this.#idleMs = duration(tenantId, "idleMs", options.idleMs ?? DEFAULT_IDLE_MS, 1);
    this.#callTimeoutMs = duration(
      tenantId,
      "callTimeoutMs",
      options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      1,
    );
    this.#floodWaitMaxMs = duration(
      tenantId,
      "floodWaitMaxMs",
      options.floodWaitMaxMs ?? DEFAULT_FLOOD_WAIT_MAX_MS,
      0,
    );
    this.#clientFactory = options.clientFactory ??
      createGramjsClientFactory(this.#logger, (text) => this.#redact(text));
  }

  /**
   * The Stars balance of the bot: `"self"` asks with `inputPeerSelf`, `"user"` with the bot's
   * own `inputPeerUser`.
   */
  async getStarsStatus(peer: "self" | "user", signal: AbortSignal): Promise<StarAmount> {
    if (peer !== "self" && peer !== "user") {
      throw new TypeError(`getStarsStatus peer must be "self" or "user", got ${String(peer)}`);
    }
    if (this.#closed) {
      throw new Error(`the MTProto upstream of tenant "${this.#tenantId}" is closed`);
    }
    this.#activeCalls++;
    this.#cancelIdleTimer();
    try {
      return await this.#retryingFloodWaitOnce(() => this.#attempt(peer, signal), signal);
    } finally {
      this.#activeCalls--;
      if (this.#activeCalls === 0) this.#startIdleTimer();
    }
  }

  /** Closes the connection and stops the idle timer; later calls are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#drop();
  }

  async #retryingFloodWaitOnce<T>(run: () => Promise<T>, signal: AbortSignal): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const seconds = floodWaitSeconds(error);
      if (seconds === undefined) throw error;
      if (seconds * 1000 > this.#floodWaitMaxMs) throw this.#floodWaitError(seconds, error);
      this.#logger.info("Telegram asks to wait {seconds} s (FLOOD_WAIT); retrying once after it.", {
        seconds,
      });
      await this.#clock.sleep(seconds * 1000, signal);
    }
    try {
      return await run();
    } catch (error) {
      const seconds = floodWaitSeconds(error);
      throw seconds === undefined ? error : this.#floodWaitError(seconds, error);
    }
  }

  #floodWaitError(seconds: number, cause: unknown): FloodWaitError {
    return new FloodWaitError(seconds, `MTProto of tenant "${this.#tenantId}"`, { cause });
  }

  /** One try within the call budget; a try cut short leaves its connection in doubt. */
  async #attempt(peer: "self" | "user", callerSignal: AbortSignal): Promise<StarAmount> {
    callerSignal.throwIfAborted();
    const timeout = new AbortController();
    const timer = this.#clock.setTimeout(
      () => timeout.abort(new MtprotoTimeoutError(this.#tenantId, this.#callTimeoutMs)),
      this.#callTimeoutMs,
    );
    const signal = AbortSignal.any([callerSignal, timeout.signal]);
    try {
      return await untilAborted(this.#request(peer), signal);
    } catch (error) {
      // The work may still be running: half a login, a request whose answer never came. The
      // connection is dropped so the next call starts from a known state.
      if (signal.aborted && error === signal.reason) void this.#drop();
      throw error;
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  async #request(peer: "self" | "user"): Promise<StarAmount> {
    const { client, self } = await this.#connected();
    try {
      const status = await client.invoke(buildGetStarsStatus(peer === "self" ? "self" : self));
      return starAmountOf(status);
    } catch (error) {
      if (isUnauthorized(error)) {
        // The authorization was revoked while connected: the next call logs in again.
        this.#logger.warning("The MTProto session lost its authorization; it is forgotten.");
        await forgetSession(this.#db, this.#tenantId);
        void this.#drop();
      }
      throw error;
    }
  }

  #connected(): Promise<Connection> {
    if (this.#connection === undefined) {
      const pending = this.#establish();
      this.#connection = pending;
      // A failed connect has already destroyed its client; the next call tries afresh.
      pending.catch(() => {
        if (this.#connection === pending) this.#connection = undefined;
      });
    }
    return this.#connection;
  }

  async #establish(): Promise<Connection> {
    const stored = await loadSession(this.#db, this.#tenantId);
    if (stored !== undefined) {
      this.#sessionStrings.add(stored);
      const resumed = await this.#resume(stored);
      if (resumed !== undefined) return resumed;
    }
    return await this.#login();
  }

  /** Connects with the stored session; `undefined` when it is not authorized for this bot. */
  async #resume(stored: string): Promise<Connection | undefined> {
    let session: sessions.StringSession;
    try {
      session = new sessions.StringSession(stored);
    } catch {
      this.#logger.warning("The stored MTProto session is unreadable; logging in again.");
      await forgetSession(this.#db, this.#tenantId);
      return undefined;
    }
    const client = this.#clientFactory(session, this.#apiId, this.#apiHash);
    try {
      await client.connect();
      const self = selfPeerOf(await client.invoke(buildGetSelf()));
      if (self.userId === this.#botId) {
        await this.#storeIfChanged(session, stored);
        this.#logger.debug("Connected to MTProto with the stored session.");
        return { client, self };
      }
      // The tenant's token now names another bot: the stored login is not this bot's.
      this.#logger.info(
        "The stored MTProto session belongs to bot {storedBotId}, not {botId}; logging in again.",
        { storedBotId: String(self.userId), botId: String(this.#botId) },
      );
    } catch (error) {
      if (!isUnauthorized(error)) {
        await this.#destroy(client);
        throw error;
      }
      this.#logger.info("The stored MTProto session is no longer authorized; logging in again.");
    }
    await this.#destroy(client);
    await forgetSession(this.#db, this.#tenantId);
    return undefined;
  }

  /** Connects with a new session, logs in with the bot token and stores the session. */
  async #login(): Promise<Connection> {
    const session = new sessions.StringSession("");
    const client = this.#clientFactory(session, this.#apiId, this.#apiHash);
    try {
      await client.connect();
      await client.invoke(buildImportBotAuthorization(this.#apiId, this.#apiHash, this.#botToken));
      const self = selfPeerOf(await client.invoke(buildGetSelf()));
      await this.#storeIfChanged(session, undefined);
      this.#logger.info(
        "Logged in to MTProto as bot {botId}; the session is stored so restarts reuse it.",
        { botId: String(self.userId) },
      );
      return { client, self };
    } catch (error) {
      await this.#destroy(client);
      throw error;
    }
  }

  /** Stores the session when it differs from what is stored (a login, a data-centre move). */
  async #storeIfChanged(session: sessions.StringSession, stored: string | undefined) {
    const current = session.save();
    this.#sessionStrings.add(current);
    if (current !== "" && current !== stored) {
      await storeSession(this.#db, this.#tenantId, current);
    }
  }

  #startIdleTimer(): void {
    if (this.#closed || this.#connection === undefined) return;
    this.#idleTimer = this.#clock.setTimeout(() => {
      this.#idleTimer = undefined;
      this.#logger.debug("No MTProto call for {idleMs} ms; disconnecting until the next one.", {
        idleMs: this.#idleMs,
      });
      void this.#drop();
    }, this.#idleMs);
  }

  #cancelIdleTimer(): void {
    if (this.#idleTimer === undefined) return;
    this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Forgets the connection and destroys its client once it is (or would have been) open. */
  #drop(): Promise<void> {
    this.#cancelIdleTimer();
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection === undefined) return Promise.resolve();
    return connection.then(({ client }) => this.#destroy(client), () => {});
  }

  async #destroy(client: MtprotoClient): Promise<void> {
    try {
      await client.destroy();
    } catch (error) {
      this.#logger.warning("Closing the MTProto connection failed: {error}", {
        error: this.#redact(String(error)),
      });
    }
  }

  /** `text` with every credential and session string of this tenant cut out. */
  #redact(text: string): string {
    let redacted = text;
    for (const secret of [this.#apiHash, this.#botToken, ...this.#sessionStrings]) {
      if (secret !== "") redacted = redacted.replaceAll(secret, "<redacted>");
    }
    return redactTokens(redacted);
  }
}

function duration(tenantId: string, name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(
      `${name} of the MTProto upstream of tenant "${tenantId}" must be a finite number of ` +
        `milliseconds of at least ${min}, got ${value}`,
    );
  }
  return value;
}

/** Settles like `work`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
