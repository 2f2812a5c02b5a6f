/**
 * The MTProto requests the Stars balance upstream sends, and the reading of their answers, as
 * pure functions: tests assert exactly what would go over the wire without any connection.
 *
 * GramJS models TL `long` values as `big-integer` objects; this module takes and returns native
 * `bigint` so the rest of the runtime never sees that library's type.
 *
 * @example Asking for the balance, and reading the answer
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api, helpers } from "telegram";
 * import { buildGetStarsStatus, selfPeerOf, starAmountOf } from "./gramjs_requests.ts";
 *
 * const asSelf = buildGetStarsStatus("self");
 * assert.ok(asSelf.peer instanceof Api.InputPeerSelf);
 * const user = new Api.User({ id: helpers.returnBigInt(7), accessHash: helpers.returnBigInt(9) });
 * const self = selfPeerOf([user]); // from the answer to buildGetSelf()
 * assert.deepEqual(self, { userId: 7n, accessHash: 9n });
 * const asUser = buildGetStarsStatus(self);
 * assert.ok(asUser.peer instanceof Api.InputPeerUser);
 * assert.equal(asUser.peer.accessHash.toString(), "9");
 *
 * const balance = new Api.StarsAmount({ amount: helpers.returnBigInt(1500), nanos: 250 });
 * const answer = new Api.payments.StarsStatus({ balance, chats: [], users: [] });
 * assert.deepEqual(starAmountOf(answer), { amount: 1500, nanostarAmount: 250 });
 * // Beyond Number.MAX_SAFE_INTEGER a balance cannot be exact: refused, not rounded.
 * const huge = new Api.StarsAmount({ amount: helpers.returnBigInt("9007199254740993"), nanos: 0 });
 * const tooBig = new Api.payments.StarsStatus({ balance: huge, chats: [], users: [] });
 * assert.throws(() => starAmountOf(tooBig), RangeError);
 * ```
 * @module
 */
import { Api, helpers } from "telegram";
import type { StarAmount } from "../../money/bot_stars/types.ts";

/** The bot's own user as an MTProto peer: its id and the access hash Telegram gave it. */
export interface SelfPeer {
  userId: bigint;
  accessHash: bigint;
}

/** `payments.getStarsStatus` for `inputPeerSelf`, or for the given user (the bot itself). */
export function buildGetStarsStatus(peer: "self" | SelfPeer): Api.payments.GetStarsStatus {
  return new Api.payments.GetStarsStatus({
    peer: peer === "self" ? new Api.InputPeerSelf() : new Api.InputPeerUser({
      userId: helpers.returnBigInt(peer.userId),
      accessHash: helpers.returnBigInt(peer.accessHash),
    }),
  });
}

/**
 * `users.getUsers([inputUserSelf])`: who this session is logged in as. It fails with a 401 error
 * when the session is not authorized, which is how a stored session is checked.
 */
export function buildGetSelf(): Api.users.GetUsers {
  return new Api.users.GetUsers({ id: [new Api.InputUserSelf()] });
}

/**
 * `auth.importBotAuthorization`: binds the session's auth key to the bot. Telegram rate-limits
 * it, which is why the resulting session is stored and reused.
 */
export function buildImportBotAuthorization(
  apiId: number,
  apiHash: string,
  botToken: string,
): Api.auth.ImportBotAuthorization {
  return new Api.auth.ImportBotAuthorization({
    flags: 0,
    apiId,
    apiHash,
    botAuthToken: botToken,
  });
}

/**
 * The self peer in the answer to {@linkcode buildGetSelf}. Throws when Telegram answered with no
 * usable user, since without the access hash the bot cannot name itself as a peer.
 */
export function selfPeerOf(users: Api.TypeUser[]): SelfPeer {
  const user = users[0];
  if (user === undefined || user.className !== "User") {
    throw new Error(
      `users.getUsers(inputUserSelf) answered ${user?.className ?? "no user"} instead of a User`,
    );
  }
  if (user.accessHash === undefined) {
    throw new Error("users.getUsers(inputUserSelf) answered a User without an access hash");
  }
  return { userId: BigInt(user.id.toString()), accessHash: BigInt(user.accessHash.toString()) };
}

/**
 * The balance in a `payments.starsStatus`, as JavaScript numbers. `amount` is a 64-bit integer on
 * the wire; a value beyond `Number.MAX_SAFE_INTEGER` cannot be represented exactly and is refused
 * rather than silently rounded.
 */
export function starAmountOf(status: Api.payments.StarsStatus): StarAmount {
  const { amount, nanos } = status.balance;
  const whole = BigInt(amount.toString());
  if (whole > BigInt(Number.MAX_SAFE_INTEGER) || whole < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`Stars balance ${whole} does not fit in a JavaScript number exactly`);
  }
  if (!Number.isInteger(nanos) || Math.abs(nanos) >= 1_000_000_000) {
    throw new RangeError(`Stars balance nanos must be an integer below 10^9, got ${nanos}`);
  }
  return { amount: Number(whole), nanostarAmount: nanos };
}
