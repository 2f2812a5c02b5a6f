/**
 * FakeTelegram: an in-memory stand-in for Telegram's MTProto side behind the `MtprotoClient`
 * interface, for the GramJS upstream's tests and its run of the balance upstream contract. No
 * test connects anywhere: clients are made by {@linkcode FakeTelegram.factory}, and the sessions
 * they create point at 127.0.0.1.
 *
 * @example
 * ```ts ignore
 * const world = new FakeTelegram();
 * const upstream = new GramjsStarsUpstream({ …, clientFactory: world.factory });
 * world.script("payments.GetStarsStatus", new errors.FloodWaitError({ capture: 30 }));
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { Api, errors, helpers, type sessions } from "telegram";
import { AuthKey } from "telegram/crypto/AuthKey.js";
import type { MtprotoClient } from "../../../adapters/mtproto/gramjs_client.ts";
import { assertEquals } from "../../support/assert.ts";

export const API_ID = 611335;
export const API_HASH = "d524b414d21f4d37f08684c1df41ac9c";
export const BOT_ID = 7000001n;
export const TOKEN = "7000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1";
export const OTHER_TOKEN = "7000002:AAF9kLmNoPqRsTuVwXyZaBcDeFgHiJkLmNo";
export const ACCESS_HASH = -5123456789012345678n;

/**
 * What a scripted request gets instead of Telegram's normal answer: an error, no answer until
 * {@linkcode FakeTelegram.releaseHung}, or a given answer (a malformed one, say).
 */
export type Outcome = Error | "hang" | { answer: unknown };

/**
 * Telegram's side, in memory: which auth keys are logged in as which bot, what each peer's
 * balance is, and every request received. `script` makes the next request of a class fail, hang
 * until `releaseHung`, or get the answer given.
 */
export class FakeTelegram {
  readonly loggedIn = new Map<string, bigint>();
  readonly requests: Api.AnyRequest[] = [];
  readonly clients: FakeClient[] = [];
  readonly balances = {
    self: { amount: 1500n, nanos: 250 },
    user: { amount: 42n, nanos: 0 },
  };
  readonly #script: { className: string; outcome: Outcome }[] = [];
  readonly #hung: (() => void)[] = [];
  #keys = 0;

  readonly factory = (session: sessions.StringSession, apiId: number, apiHash: string) => {
    const client = new FakeClient(this, session, apiId, apiHash);
    this.clients.push(client);
    return client;
  };

  script(className: string, outcome: Outcome): void {
    this.#script.push({ className, outcome });
  }

  names(): string[] {
    return this.requests.map((r) => r.className);
  }

  count(className: string): number {
    return this.names().filter((name) => name === className).length;
  }

  get lastClient(): FakeClient {
    return this.clients[this.clients.length - 1];
  }

  /** A new auth key, distinct from every other, as a key exchange would create. */
  async newAuthKey(): Promise<AuthKey> {
    const key = new AuthKey();
    await key.setKey(Buffer.alloc(256, ++this.#keys));
    return key;
  }

  /** Answers every request that hangs, as if the network came back. */
  releaseHung(): void {
    for (const release of this.#hung.splice(0)) release();
  }

  answer(client: FakeClient, request: Api.AnyRequest): Promise<unknown> {
    this.requests.push(request);
    const scripted = this.#script.findIndex((s) => s.className === request.className);
    if (scripted < 0) return this.#respond(client, request);
    const [{ outcome }] = this.#script.splice(scripted, 1);
    if (outcome instanceof Error) return Promise.reject(outcome);
    if (outcome !== "hang") return Promise.resolve(outcome.answer);
    return new Promise((resolve, reject) => {
      this.#hung.push(() => this.#respond(client, request).then(resolve, reject));
    });
  }

  #respond(client: FakeClient, request: Api.AnyRequest): Promise<unknown> {
    const botId = this.loggedIn.get(client.keyHex());
    if (request instanceof Api.auth.ImportBotAuthorization) {
      assertEquals([request.apiId, request.apiHash], [client.apiId, client.apiHash]);
      const id = BigInt(request.botAuthToken.split(":")[0]);
      this.loggedIn.set(client.keyHex(), id);
      return Promise.resolve(new Api.auth.Authorization({ user: botUser(id) }));
    }
    if (botId === undefined) {
      return Promise.reject(new errors.RPCError("AUTH_KEY_UNREGISTERED", request, 401));
    }
    if (request instanceof Api.users.GetUsers) return Promise.resolve([botUser(botId)]);
    if (request instanceof Api.payments.GetStarsStatus) {
      const peer = peerOf(request);
      if (peer instanceof Api.InputPeerUser) {
        const mine = peer.userId.toString() === String(botId) &&
          peer.accessHash.toString() === String(ACCESS_HASH);
        if (!mine) return Promise.reject(new errors.RPCError("PEER_ID_INVALID", request, 400));
      }
      const { amount, nanos } = peer instanceof Api.InputPeerSelf
        ? this.balances.self
        : this.balances.user;
      const balance = new Api.StarsAmount({ amount: helpers.returnBigInt(amount), nanos });
      return Promise.resolve(new Api.payments.StarsStatus({ balance, chats: [], users: [] }));
    }
    return Promise.reject(new Error(`FakeTelegram does not answer ${request.className}`));
  }
}

export function botUser(id: bigint): Api.User {
  return new Api.User({
    self: true,
    bot: true,
    id: helpers.returnBigInt(id),
    accessHash: helpers.returnBigInt(ACCESS_HASH),
    firstName: "Shop",
  });
}

/** A client as GramJS behaves towards the upstream: connect makes an auth key if none. */
export class FakeClient implements MtprotoClient {
  connects = 0;
  destroyed = false;
  destroyError: Error | undefined;

  constructor(
    readonly world: FakeTelegram,
    readonly session: sessions.StringSession,
    readonly apiId: number,
    readonly apiHash: string,
  ) {}

  keyHex(): string {
    return this.session.getAuthKey()?.getKey()?.toString("hex") ?? "";
  }

  async connect(): Promise<boolean> {
    if (this.destroyed) throw new Error("connect on a destroyed client");
    await this.session.load();
    if (this.session.getAuthKey() === undefined) {
      this.session.setDC(2, "127.0.0.1", 443);
      this.session.setAuthKey(await this.world.newAuthKey());
    }
    this.connects++;
    return true;
  }

  invoke<R extends Api.AnyRequest>(request: R): Promise<R["__response"]> {
    if (this.destroyed || this.connects === 0) {
      return Promise.reject(new Error(`${request.className} on a client that is not connected`));
    }
    return this.world.answer(this, request) as Promise<R["__response"]>;
  }

  destroy(): Promise<void> {
    this.destroyed = true;
    return this.destroyError ? Promise.reject(this.destroyError) : Promise.resolve();
  }
}

/** The peer of a `payments.getStarsStatus` (GramJS types it loosely as any entity). */
export function peerOf(request: Api.AnyRequest): Api.TypeInputPeer {
  if (!(request instanceof Api.payments.GetStarsStatus)) {
    throw new Error(`expected payments.GetStarsStatus, got ${request.className}`);
  }
  return request.peer as Api.TypeInputPeer;
}
