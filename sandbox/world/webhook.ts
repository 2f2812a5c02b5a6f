/**
 * Webhook delivery for one bot: POSTs the queued updates to the bot's URL one at a time, in
 * order, with the `X-Telegram-Bot-Api-Secret-Token` header. A non-2xx answer or a network error
 * is recorded as WebhookInfo's `last_error_*` and the same update is retried after a backoff
 * measured on the injected clock. A 2xx JSON answer carrying `method` is executed as a call,
 * as Telegram does for replies to webhook requests.
 *
 * Only loopback URLs are accepted ({@linkcode checkWebhookUrl}): this machine must never send
 * traffic elsewhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSecretToken, checkWebhookUrl } from "./webhook.ts";
 *
 * assert.equal(checkWebhookUrl("http://127.0.0.1:8080/hook").port, "8080");
 * assert.equal(checkWebhookUrl("http://localhost:9000/tg").hostname, "localhost");
 * assert.throws(() => checkWebhookUrl("https://example.com/hook"), /Bad Request: bad webhook/);
 * assert.throws(() => checkSecretToken("not allowed!"), /Bad Request/);
 * ```
 * @module
 */

import type { Update } from "grammy/types";
import type { Clock } from "../../actors/kernel/clock.ts";
import { badRequest } from "../errors.ts";
import type { UpdateQueue } from "./update_queue.ts";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/** Rejects anything but an http(s) URL on a loopback host, with a message naming the problem. */
export function checkWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badRequest(`bad webhook: invalid URL "${text}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw badRequest(`bad webhook: URL must use http or https, got "${url.protocol}"`);
  }
  if (!LOOPBACK_HOSTS.has(url.hostname)) {
    throw badRequest(
      `bad webhook: the Constellation sandbox delivers webhooks only to loopback hosts ` +
        `(127.0.0.1, localhost, [::1]); got "${url.hostname}"`,
    );
  }
  return url;
}

/** Checks `secret_token` as Telegram does: 1–256 characters from `A-Z a-z 0-9 _ -`. */
export function checkSecretToken(token: string): void {
  if (!SECRET_TOKEN.test(token)) {
    throw badRequest(
      "secret token must be 1-256 characters long and contain only A-Z, a-z, 0-9, _ and -",
    );
  }
}

/**
 * A delivery failure in Telegram's wording where it has one ("Connection refused"), else the
 * innermost cause: `fetch` wraps the useful message ("tcp connect error: …") in "fetch failed".
 */
function describeFailure(error: unknown): string {
  let innermost = error;
  while (innermost instanceof Error && innermost.cause instanceof Error) {
    innermost = innermost.cause;
  }
  const message = innermost instanceof Error ? innermost.message : String(innermost);
  return /connection refused/i.test(message) ? "Connection refused" : message;
}

/** Backoff and timeout settings; the defaults suit a human watching, tests pass smaller ones. */
export interface WebhookTiming {
  /** First retry delay; doubles per failed attempt. */
  retryBaseMs: number;
  /** Upper bound of the retry delay. */
  retryMaxMs: number;
  /** How long one delivery may take before it counts as failed. */
  requestTimeoutMs: number;
}

/** Runs a call that a webhook answer asked for (the `method` field of a 2xx JSON body). */
export type WebhookReplyHandler = (call: Record<string, unknown>) => Promise<void>;

/** The current webhook of a bot; `url` is empty when none is set. */
export interface WebhookConfig {
  url: string;
  secretToken?: string;
  maxConnections: number;
}

/** See the module documentation. */
export class Webhook {
  readonly #queue: UpdateQueue;
  readonly #clock: Clock;
  readonly #timing: WebhookTiming;
  readonly #onReply: WebhookReplyHandler;
  #config: WebhookConfig = { url: "", maxConnections: 40 };
  #loop: AbortController | undefined;
  #lastErrorDate: number | undefined;
  #lastErrorMessage: string | undefined;

  constructor(
    queue: UpdateQueue,
    clock: Clock,
    timing: WebhookTiming,
    onReply: WebhookReplyHandler,
  ) {
    this.#queue = queue;
    this.#clock = clock;
    this.#timing = timing;
    this.#onReply = onReply;
  }

  /** Whether a webhook URL is set (getUpdates then answers 409). */
  get active(): boolean {
    return this.#config.url !== "";
  }

  /** The current settings. */
  get config(): Readonly<WebhookConfig> {
    return this.#config;
  }

  /** Unix time of the last failed delivery. */
  get lastErrorDate(): number | undefined {
    return this.#lastErrorDate;
  }

  /** Why the last delivery failed, in Telegram's wording. */
  get lastErrorMessage(): string | undefined {
    return this.#lastErrorMessage;
  }

  /** Sets (or replaces) the webhook and starts delivering. */
  set(config: WebhookConfig): void {
    this.stop();
    this.#config = config;
    this.#lastErrorDate = undefined;
    this.#lastErrorMessage = undefined;
    const loop = new AbortController();
    this.#loop = loop;
    this.#run(loop.signal).catch((error) => {
      if (!loop.signal.aborted) throw error;
    });
  }

  /** Removes the webhook; a delivery in flight is abandoned and its update stays queued. */
  delete(): void {
    this.stop();
    this.#config = { url: "", maxConnections: 40 };
  }

  /** Stops delivering without forgetting the settings (sandbox shutdown, revoked token). */
  stop(): void {
    this.#loop?.abort(new Error("webhook delivery stopped"));
    this.#loop = undefined;
  }

  async #run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      await this.#queue.waitForUpdates(signal);
      const update = this.#queue.peek()!;
      const delivered = await this.#deliver(update, signal);
      if (signal.aborted) return;
      if (delivered) {
        // The queue may have been emptied meanwhile (drop_pending_updates); only then is the
        // head a different update.
        if (this.#queue.peek() === update) this.#queue.shift();
        failures = 0;
      } else {
        const delay = Math.min(this.#timing.retryMaxMs, this.#timing.retryBaseMs * 2 ** failures);
        failures++;
        await this.#clock.sleep(delay, signal);
      }
    }
  }

  /** One POST; true on 2xx. Failures are recorded, never thrown. */
  async #deliver(update: Update, loopSignal: AbortSignal): Promise<boolean> {
    const attempt = new AbortController();
    const stopAttempt = () => attempt.abort(loopSignal.reason);
    loopSignal.addEventListener("abort", stopAttempt, { once: true });
    const timer = this.#clock.setTimeout(
      () => attempt.abort(new Error("Read timeout expired")),
      this.#timing.requestTimeoutMs,
    );
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.#config.secretToken) {
      headers["X-Telegram-Bot-Api-Secret-Token"] = this.#config.secretToken;
    }
    try {
      const response = await fetch(this.#config.url, {
        method: "POST",
        headers,
        body: JSON.stringify(update),
        signal: attempt.signal,
      });
      const body = await response.text();
      if (!response.ok) {
        this.#recordError(
          `Wrong response from the webhook: ${response.status} ${response.statusText}`,
        );
        return false;
      }
      await this.#runReply(response.headers.get("content-type"), body);
      return true;
    } catch (error) {
      if (loopSignal.aborted) return false;
      this.#recordError(describeFailure(attempt.signal.aborted ? attempt.signal.reason : error));
      return false;
    } finally {
      this.#clock.clearTimeout(timer);
      loopSignal.removeEventListener("abort", stopAttempt);
    }
  }

  async #runReply(contentType: string | null, body: string): Promise<void> {
    if (!contentType?.toLowerCase().startsWith("application/json") || body.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      // Telegram ignores a webhook answer it cannot read; the update still counts as delivered.
      return;
    }
    if (typeof parsed === "object" && parsed !== null && "method" in parsed) {
      await this.#onReply(parsed as Record<string, unknown>);
    }
  }

  #recordError(message: string): void {
    this.#lastErrorDate = Math.floor(this.#clock.now() / 1000);
    this.#lastErrorMessage = message;
  }
}
