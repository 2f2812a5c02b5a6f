/**
 * The simulated Telegram: the clock, the bots by token, the users by id, and the id and token
 * generators. Handlers, users and payment flows all work on one World; the
 * {@linkcode import("../sandbox.ts").Sandbox} puts an HTTP server in front of it.
 * @module
 */

import type { Clock } from "../../actors/kernel/clock.ts";
import { unauthorized } from "../errors.ts";
import { BotState, type CallRecord } from "./bot_state.ts";
import type { WebhookTiming } from "./webhook.ts";
import { UserState } from "./user_state.ts";

/** Settings of a World; see SandboxOptions for their meaning. */
export interface WorldOptions {
  clock: Clock;
  preCheckoutTimeoutMs: number;
  webhook: WebhookTiming;
  recordCalls: boolean;
  onCall?: (bot: BotState, call: CallRecord) => void;
  onCallStart?: (bot: BotState, method: string) => void;
  onPreCheckoutAnswered?: (bot: BotState, answered: PreCheckoutTiming) => void;
}

/** How a pre-checkout query was answered, for benchmarks that time the bot under test. */
export interface PreCheckoutTiming {
  /** Whether the bot accepted the payment. */
  ok: boolean;
  /** From queueing the query for the bot to its answerPreCheckoutQuery, on the sandbox clock. */
  waitedMs: number;
}

/** Runs a Bot API call on behalf of a bot (used for webhook replies). */
export type CallRunner = (
  bot: BotState,
  method: string,
  raw: Record<string, unknown>,
) => Promise<void>;

/** What createBot accepts; everything has a default. */
export interface BotSettings {
  token?: string;
  username?: string;
  firstName?: string;
  testEnvironment?: boolean;
}

/** What createUser accepts. */
export interface UserSettings {
  id?: number;
  firstName: string;
  lastName?: string;
  username?: string;
  languageCode?: string;
  isPremium?: boolean;
  /** Initial wallet balance in Stars; 0 by default. */
  stars?: number;
}

const TOKEN = /^(\d{1,15}):[A-Za-z0-9_-]{1,64}$/;
const TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const USERNAME = /^[A-Za-z][A-Za-z0-9_]{3,31}$/;

/** `length` random characters from the token alphabet, for tokens and opaque ids. */
export function randomToken(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let result = "";
  for (const byte of bytes) result += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
  return result;
}

/** See the module documentation. */
export class World {
  readonly options: WorldOptions;
  readonly runCall: CallRunner;
  /** Live bots by token; a revoked token is removed. */
  readonly bots = new Map<string, BotState>();
  readonly users = new Map<number, UserState>();
  #nextBotId = 7_000_000_001;
  #nextUserId = 100_000_001;
  #nextQueryId = 1;
  // Query ids look like Telegram's long numeric strings; the random prefix keeps ids from two
  // sandboxes (two test files) from colliding in a log.
  readonly #queryIdPrefix = String(crypto.getRandomValues(new Uint32Array(1))[0]);

  constructor(options: WorldOptions, runCall: CallRunner) {
    this.options = options;
    this.runCall = runCall;
  }

  get clock(): Clock {
    return this.options.clock;
  }

  /** Unix time on the sandbox clock (message dates, transaction dates). */
  nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  /** A unique opaque id for callback and pre-checkout queries (digits, as Telegram's). */
  nextQueryId(): string {
    return `${this.#queryIdPrefix}${String(this.#nextQueryId++).padStart(9, "0")}`;
  }

  /** Registers a bot; see {@linkcode BotSettings}. Throws on malformed or duplicate values. */
  createBot(settings: BotSettings): BotState {
    let id: number;
    let token: string;
    if (settings.token !== undefined) {
      const match = TOKEN.exec(settings.token);
      if (!match) {
        throw new Error(
          `bot token "${settings.token}" is malformed: expected "<numeric id>:<letters, digits, _ or ->"`,
        );
      }
      id = Number(match[1]);
      token = settings.token;
    } else {
      id = this.#nextBotId++;
      token = `${id}:${randomToken(35)}`;
    }
    if (this.bots.has(token)) throw new Error(`a bot with token ${token} already exists`);
    const username = settings.username ?? `sandbox${id}_bot`;
    if (!USERNAME.test(username) || !username.toLowerCase().endsWith("bot")) {
      throw new Error(
        `bot username "${username}" is invalid: 5-32 letters, digits or underscores, ` +
          `starting with a letter and ending in "bot"`,
      );
    }
    const bot: BotState = new BotState(
      {
        id,
        token,
        username,
        firstName: settings.firstName ?? `Sandbox Bot ${id}`,
        testEnvironment: settings.testEnvironment ?? false,
      },
      this.clock,
      this.options.webhook,
      (call): Promise<void> => {
        const { method, ...params } = call;
        return this.runCall(bot, String(method), params);
      },
    );
    this.bots.set(token, bot);
    return bot;
  }

  /** Registers a user; see {@linkcode UserSettings}. Throws on a duplicate or invalid id. */
  createUser(settings: UserSettings): UserState {
    const id = settings.id ?? this.#nextUserId++;
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new Error(`user id must be a positive integer, got ${id}`);
    }
    if (this.users.has(id)) throw new Error(`a user with id ${id} already exists`);
    const stars = settings.stars ?? 0;
    if (!Number.isSafeInteger(stars) || stars < 0) {
      throw new Error(`stars must be a non-negative integer, got ${stars}`);
    }
    if (settings.firstName.length === 0) throw new Error("firstName must not be empty");
    const { stars: _stars, ...profile } = settings;
    const user = new UserState({ ...profile, id }, stars);
    this.users.set(id, user);
    return user;
  }

  /** Makes a token answer 401 from now on, ending its long poll and webhook delivery. */
  revoke(bot: BotState): void {
    this.bots.delete(bot.identity.token);
    bot.revoked = true;
    bot.webhook.stop();
    bot.queue.terminatePoller(unauthorized());
  }
}
