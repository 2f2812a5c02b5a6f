/**
 * The Constellation sandbox: a Telegram Bot API emulator on 127.0.0.1 plus the simulated world
 * behind it (bots, users, chats, Stars wallets), driven from tests in-process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api } from "grammy";
 * import { Sandbox } from "./mod.ts";
 *
 * const sandbox = await Sandbox.start();
 * const bot = sandbox.createBot({ username: "shop_bot" });
 * const ann = sandbox.createUser({ firstName: "Ann", stars: 500 });
 * const api = new Api(bot.token, { apiRoot: sandbox.apiRoot });
 *
 * await ann.send(bot, "/start");
 * const [update] = await api.getUpdates({ timeout: 1 });
 * assert.equal(update.message?.text, "/start");
 * await api.sendMessage(update.message!.chat.id, "Welcome!");
 * assert.equal((await ann.waitForMessage(bot)).text, "Welcome!");
 * assert.deepEqual(bot.calls.map((call) => call.method), ["getUpdates", "sendMessage"]);
 * await sandbox.close();
 * ```
 * @module
 */

import type { Update } from "grammy/types";
import { type Clock, ManualClock, systemClock } from "../actors/kernel/clock.ts";
import type { ApiErrorBody } from "./errors.ts";
import { type ApiServer, startApiServer } from "./http/api_server.ts";
import { botsRoute } from "./http/bots_route.ts";
import { webChatRoute } from "./web/web_chat_route.ts";
import { dispatchCall } from "./methods/dispatch.ts";
import { SandboxBot } from "./sandbox_bot.ts";
import { SandboxUser } from "./sandbox_user.ts";
import { handleUserApi, USER_API_PREFIX, type UserApiWorld } from "./cli/user_api.ts";
import type { BotState, CallRecord } from "./world/bot_state.ts";
import type { UpdateContent } from "./world/update_queue.ts";
import type { Fault } from "./world/faults.ts";
import {
  type BotSettings,
  type PreCheckoutTiming,
  type UserSettings,
  World,
} from "./world/world.ts";

/** How to start a sandbox; every field has a default. */
export interface SandboxOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /**
   * The sandbox's time: message dates, long-poll timeouts, the pre-checkout deadline,
   * webhook retry backoff and subscription renewals. Defaults to the real clock.
   */
  clock?: Clock;
  /** How long a bot has to answer a pre-checkout query; Telegram's 10 s by default. */
  preCheckoutTimeoutMs?: number;
  /** First webhook retry delay (doubles per failure); 1000 ms by default. */
  webhookRetryBaseMs?: number;
  /** Longest webhook retry delay; 60 s by default. */
  webhookRetryMaxMs?: number;
  /** How long one webhook request may take before it counts as failed; 60 s by default. */
  webhookTimeoutMs?: number;
  /** Keep `bot.calls` (default true); benchmarks turn it off to keep memory flat. */
  recordCalls?: boolean;
  /** Called after every API call, e.g. to print it. */
  onCall?: (bot: SandboxBot, call: CallRecord) => void;
  /**
   * Called as a call arrives, before it runs: a long poll is seen when it starts (onCall sees
   * it when it returns). Benchmarks use it to tell when a bot has started polling.
   */
  onCallStart?: (bot: SandboxBot, method: string) => void;
  /** Called when the bot answers a pre-checkout query in time, with how long it took. */
  onPreCheckoutAnswered?: (bot: SandboxBot, answered: PreCheckoutTiming) => void;
}

/** Rejects option values that would make the sandbox misbehave silently. */
function checkOptions(options: SandboxOptions): void {
  const { port } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new Error(`port must be an integer in 0..65535, got ${port}`);
  }
  const durations = {
    preCheckoutTimeoutMs: options.preCheckoutTimeoutMs,
    webhookRetryBaseMs: options.webhookRetryBaseMs,
    webhookRetryMaxMs: options.webhookRetryMaxMs,
    webhookTimeoutMs: options.webhookTimeoutMs,
  };
  for (const [name, value] of Object.entries(durations)) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new Error(`${name} must be a positive number of milliseconds, got ${value}`);
    }
  }
}

/**
 * A running sandbox; see the module documentation for a whole flow.
 *
 * @example Faults and time, on demand
 * ```ts
 * import assert from "node:assert/strict";
 * import { Api, GrammyError } from "grammy";
 * import { ManualClock } from "../actors/kernel/clock.ts";
 * import { Sandbox } from "./mod.ts";
 *
 * const clock = new ManualClock(Date.UTC(2026, 0, 1));
 * await using sandbox = await Sandbox.start({ clock, preCheckoutTimeoutMs: 10_000 });
 * const shop = sandbox.createBot();
 * const ann = sandbox.createUser({ firstName: "Ann", stars: 100 });
 * const api = new Api(shop.token, { apiRoot: sandbox.apiRoot });
 * await ann.send(shop, "/start");
 *
 * sandbox.failNext(shop.token, "sendMessage", {
 *   error_code: 429,
 *   description: "Too Many Requests: retry after 3",
 *   parameters: { retry_after: 3 },
 * });
 * await assert.rejects(
 *   api.sendMessage(ann.id, "Hi"),
 *   (error) => error instanceof GrammyError && error.parameters.retry_after === 3,
 * );
 * await api.sendMessage(ann.id, "Hi"); // the fault is used up
 * assert.equal(ann.lastMessage(shop)?.text, "Hi");
 *
 * // A bot that never answers the pre-checkout query: ten seconds pass in an instant.
 * const link = await api.createInvoiceLink("Pack", "10 items", "pack", "", "XTR", [
 *   { label: "Pack", amount: 50 },
 * ]);
 * const payment = ann.pay(shop, link);
 * await sandbox.advance(10_000);
 * assert.equal((await payment).status, "timeout");
 * assert.equal(ann.stars, 100);
 * ```
 */
export class Sandbox {
  readonly #world: World;
  readonly #server: ApiServer;
  readonly #handles: Map<BotState, SandboxBot>;
  readonly #users: Map<number, SandboxUser>;
  #closing: Promise<void> | undefined;

  private constructor(
    world: World,
    server: ApiServer,
    handles: Map<BotState, SandboxBot>,
    users: Map<number, SandboxUser>,
  ) {
    this.#world = world;
    this.#server = server;
    this.#handles = handles;
    this.#users = users;
  }

  /** Starts the HTTP server and an empty world. */
  static start(options: SandboxOptions = {}): Promise<Sandbox> {
    return new Promise((resolve) => resolve(Sandbox.#create(options)));
  }

  static #create(options: SandboxOptions): Sandbox {
    checkOptions(options);
    const handles = new Map<BotState, SandboxBot>();
    const { onCall, onCallStart, onPreCheckoutAnswered } = options;
    const world = new World(
      {
        clock: options.clock ?? systemClock,
        preCheckoutTimeoutMs: options.preCheckoutTimeoutMs ?? 10_000,
        webhook: {
          retryBaseMs: options.webhookRetryBaseMs ?? 1_000,
          retryMaxMs: options.webhookRetryMaxMs ?? 60_000,
          requestTimeoutMs: options.webhookTimeoutMs ?? 60_000,
        },
        recordCalls: options.recordCalls ?? true,
        onCall: onCall && ((bot, call) => onCall(handles.get(bot)!, call)),
        onCallStart: onCallStart && ((bot, method) => onCallStart(handles.get(bot)!, method)),
        onPreCheckoutAnswered: onPreCheckoutAnswered &&
          ((bot, answered) => onPreCheckoutAnswered(handles.get(bot)!, answered)),
      },
      async (bot, method, raw) => {
        // A webhook reply's result goes nowhere, as on Telegram; its failure is recorded in
        // bot.calls like any other call.
        await dispatchCall(world, bot, method, raw).catch(() => {});
      },
    );
    const users = new Map<number, SandboxUser>();
    const userApi: UserApiWorld = {
      user: (id) => users.get(id),
      bot: (username) => [...handles.values()].find((bot) => bot.username === username),
      createUser: (settings) => Sandbox.#addUser(world, users, settings),
    };
    const server = startApiServer(world, options.port ?? 0, [
      { prefix: USER_API_PREFIX, handle: (request) => handleUserApi(userApi, request) },
      botsRoute(() => handles.values()),
      webChatRoute({ bots: () => handles.values(), users: () => users.values() }),
    ]);
    return new Sandbox(world, server, handles, users);
  }

  static #addUser(
    world: World,
    users: Map<number, SandboxUser>,
    settings: UserSettings,
  ): SandboxUser {
    const user = new SandboxUser(world, world.createUser(settings));
    users.set(user.id, user);
    return user;
  }

  /** `http://127.0.0.1:<port>`: grammY's `client.apiRoot`. */
  get apiRoot(): string {
    return this.#server.apiRoot;
  }

  /** The sandbox's clock. */
  get clock(): Clock {
    return this.#world.clock;
  }

  /** Poll overlaps of every bot so far (see {@linkcode SandboxBot.pollOverlaps}). */
  get pollOverlaps(): number {
    let total = 0;
    for (const bot of this.#handles.keys()) total += bot.pollOverlaps;
    return total;
  }

  /** Creates a bot account; the token is `<id>:<35 random characters>` unless given. */
  createBot(settings: BotSettings = {}): SandboxBot {
    const state = this.#world.createBot(settings);
    const handle = new SandboxBot(state);
    this.#handles.set(state, handle);
    return handle;
  }

  /** Creates a user with a Stars wallet (0 unless `stars` is given). */
  createUser(settings: UserSettings): SandboxUser {
    return Sandbox.#addUser(this.#world, this.#users, settings);
  }

  /** The user with this id (created here or through the HTTP user API), if any. */
  user(id: number): SandboxUser | undefined {
    return this.#users.get(id);
  }

  /** Makes `token` answer 401 from now on, as after a token reset in @BotFather. */
  revokeToken(token: string): void {
    this.#world.revoke(this.#bot(token));
  }

  /**
   * Makes the next `times` calls of `method` by this bot fail with `error` before anything
   * else happens (no validation, no effect): 429 with `parameters.retry_after`, 500, 409, …
   */
  failNext(token: string, method: string, error: ApiErrorBody, times = 1): void {
    this.#inject(token, method, { kind: "error", body: error }, times);
  }

  /**
   * Makes the next `times` calls of `method` by this bot never answer and do nothing: the
   * request stays open until the client gives up (its deadline) or the sandbox closes.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Api, HttpError } from "grammy";
   * import { Sandbox } from "./mod.ts";
   *
   * await using sandbox = await Sandbox.start();
   * const shop = sandbox.createBot();
   * const api = new Api(shop.token, { apiRoot: sandbox.apiRoot });
   * sandbox.hangNext(shop.token, "getMe");
   * // grammY types its signal with a polyfill's declaration; at run time it is the platform's.
   * await assert.rejects(api.getMe(AbortSignal.timeout(50) as never), HttpError);
   * assert.equal((await api.getMe()).id, shop.id);
   * ```
   */
  hangNext(token: string, method: string, times = 1): void {
    this.#inject(token, method, { kind: "hang" }, times);
  }

  /**
   * Makes the connection of the next `times` calls of `method` by this bot drop before the
   * call does anything: the client sees a network error, and nothing happened.
   */
  dropNext(token: string, method: string, times = 1): void {
    this.#inject(token, method, { kind: "drop" }, times);
  }

  /**
   * Lets the next `times` calls of `method` by this bot take effect and then drops their
   * connection instead of answering: the client sees a network error although the call
   * happened (a refund made, a pre-checkout query answered). The call log marks them with
   * `fault: "lose_answer"`.
   */
  loseAnswerNext(token: string, method: string, times = 1): void {
    this.#inject(token, method, { kind: "lose_answer" }, times);
  }

  #inject(token: string, method: string, fault: Fault, times: number): void {
    if (!Number.isSafeInteger(times) || times < 1) {
      throw new Error(`times must be a positive integer, got ${times}`);
    }
    const faults = this.#bot(token).faults;
    const key = method.toLowerCase();
    const queue = faults.get(key) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    faults.set(key, queue);
  }

  /**
   * The next successful payment to this bot happens in full (wallet debited, transaction and
   * charge recorded, message in the chat) but its update is never delivered — a lost update,
   * for reconciliation tests (getStarTransactions still shows it).
   */
  dropNextSuccessfulPayment(token: string): void {
    this.#bot(token).droppedSuccessfulPayments++;
  }

  /**
   * Delivers a recent update again, as a new update (new update_id, same content): a duplicate
   * that update_id de-duplication cannot catch, so idempotency must rest on the content, e.g.
   * telegram_payment_charge_id. Returns the new update.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Api } from "grammy";
   * import { Sandbox } from "./mod.ts";
   *
   * await using sandbox = await Sandbox.start();
   * const shop = sandbox.createBot();
   * const ann = sandbox.createUser({ firstName: "Ann" });
   * await ann.send(shop, "/start");
   * const api = new Api(shop.token, { apiRoot: sandbox.apiRoot });
   * const [original] = await api.getUpdates();
   *
   * const duplicate = sandbox.redeliver(shop.token, original.update_id);
   * assert.notEqual(duplicate.update_id, original.update_id);
   * assert.deepEqual(duplicate.message, original.message);
   * ```
   */
  redeliver(token: string, updateId: number): Update {
    const bot = this.#bot(token);
    const original = bot.queue.find(updateId);
    if (!original) {
      throw new Error(`update ${updateId} of bot ${bot.identity.username} is unknown or too old`);
    }
    const { update_id: _id, ...content } = original;
    const copy = bot.enqueue(content);
    if (!copy) {
      throw new Error(`update ${updateId} is excluded by the bot's allowed_updates now`);
    }
    return copy;
  }

  /**
   * Queues `content` for the bot exactly as given, unchecked: an update Telegram would never
   * send (a `message` that is a string, a payment without `from`), for tests of how a bot
   * survives one. It is numbered like any other and goes out by getUpdates or the webhook.
   * Returns it as numbered.
   */
  deliverRaw(token: string, content: Record<string, unknown>): Update {
    const bot = this.#bot(token);
    const update = bot.enqueue(content as UpdateContent);
    if (!update) throw new Error(`the bot's allowed_updates exclude ${Object.keys(content)}`);
    return update;
  }

  /**
   * Moves a ManualClock forward, running whatever falls due on the way (long-poll timeouts,
   * the pre-checkout deadline, webhook retries, subscription renewals).
   */
  async advance(ms: number): Promise<void> {
    const clock = this.#world.clock;
    if (!(clock instanceof ManualClock)) {
      throw new Error("advance() needs a sandbox started with a ManualClock (options.clock)");
    }
    await clock.advance(ms);
  }

  /**
   * Stops the server and everything pending: long polls end empty, webhook delivery and
   * renewals stop, open payments end as `timeout`, open clicks as unanswered, and
   * waitForMessage calls reject. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    const closed = new Error("the sandbox was closed");
    for (const bot of this.#handles.keys()) {
      bot.webhook.stop();
      bot.queue.terminatePoller(undefined);
      bot.subscriptions.stopTimers();
      for (const pending of [...bot.preCheckoutQueries.values()]) pending.cancel();
      for (const pending of [...bot.callbackQueries.values()]) pending.abandon();
      bot.callbackQueries.clear();
      for (const chat of bot.chats.values()) chat.cancelWaits(closed);
    }
    await this.#server.close();
  }

  /** Lets `await using sandbox = await Sandbox.start()` close it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #bot(token: string): BotState {
    const bot = this.#world.bots.get(token);
    if (!bot) throw new Error(`no live bot with token ${token}`);
    return bot;
  }
}
