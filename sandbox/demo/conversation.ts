/**
 * Prints a conversation between simulated users and the hosted bots as it happens: what the
 * users do (said by the demo script) and what the bots do (read from the sandbox's call log).
 * Only calls a person would notice are shown; polling and menus set-up stay quiet.
 *
 * A bot's message reaches the user's chat while its API call is still running, and the sandbox
 * reports the call (`onCall`) only once it has returned. So a script that saw a reply waits for
 * {@linkcode ConversationPrinter.settled} before its next step: every call in flight has then
 * been printed, and the transcript stays in the order things happened.
 *
 * @module
 */
import type { InlineKeyboardMarkup } from "grammy/types";
import type { CallRecord, SandboxBot, SandboxUser } from "../mod.ts";

/** Names users by id, so bot lines can say who they talk to. */
export class ConversationPrinter {
  readonly #write: (line: string) => void;
  readonly #names = new Map<number, string>();
  /** Calls started and not yet reported, long polls aside. */
  #inFlight = 0;
  #waiters: (() => void)[] = [];

  constructor(write: (line: string) => void) {
    this.#write = write;
  }

  /** Makes `user` known by name. */
  meet(user: SandboxUser): void {
    this.#names.set(user.id, user.firstName);
  }

  /** A section heading. */
  scene(title: string): void {
    this.#write(`\n── ${title} ──`);
  }

  /** A user's action. */
  user(user: SandboxUser, bot: SandboxBot, action: string): void {
    this.#write(`👤 ${user.firstName} → @${bot.username}: ${action}`);
  }

  /** A fact the script checks or reports. */
  note(text: string): void {
    this.#write(`   ⓘ ${text}`);
  }

  #who(chatId: unknown): string {
    return this.#names.get(Number(chatId)) ?? `chat ${chatId}`;
  }

  /** A call has arrived (the sandbox's `onCallStart`). */
  callStarted(_bot: SandboxBot, method: string): void {
    if (method !== "getUpdates") this.#inFlight++;
  }

  /**
   * Resolves once every call that has started has been reported (and so printed), or after
   * `timeoutMs` should a call never be reported.
   */
  settled(timeoutMs = 2_000): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** One Bot API call of a hosted bot, if it is something a user would see. */
  botCall(bot: SandboxBot, call: CallRecord): void {
    try {
      this.#print(bot, call);
    } finally {
      if (call.method !== "getUpdates" && this.#inFlight > 0 && --this.#inFlight === 0) {
        for (const resolve of this.#waiters.splice(0)) resolve();
      }
    }
  }

  #print(bot: SandboxBot, call: CallRecord): void {
    if (!call.ok) return;
    const p = call.params;
    const from = `🤖 @${bot.username}`;
    switch (call.method) {
      case "sendMessage":
        this.#write(`${from} → ${this.#who(p.chat_id)}: ${indent(String(p.text))}`);
        this.#buttons(p.reply_markup);
        return;
      case "editMessageText":
        this.#write(`${from} ✎ ${this.#who(p.chat_id)}: ${indent(String(p.text))}`);
        this.#buttons(p.reply_markup);
        return;
      case "sendInvoice": {
        const [price] = p.prices as { amount: number }[];
        this.#write(
          `${from} → ${this.#who(p.chat_id)}: 🧾 invoice “${p.title}”, ${price.amount} ⭐`,
        );
        return;
      }
      case "answerPreCheckoutQuery":
        this.#write(
          p.ok
            ? `${from}: ✔ pre-checkout approved`
            : `${from}: ✖ pre-checkout refused: ${p.error_message}`,
        );
        return;
      case "answerCallbackQuery":
        if (p.text) this.#write(`${from}: 💬 ${p.text}`);
        return;
      case "refundStarPayment":
        this.#write(
          `${from}: ↩ refunds charge ${p.telegram_payment_charge_id} to ${this.#who(p.user_id)}`,
        );
        return;
      case "editUserStarSubscription":
        this.#write(
          `${from}: 🔁 subscription renewal ${p.is_canceled ? "off" : "on"} for ${
            this.#who(p.user_id)
          }`,
        );
    }
  }

  #buttons(markup: unknown): void {
    const rows = (markup as InlineKeyboardMarkup | undefined)?.inline_keyboard;
    if (!rows) return;
    this.#write(`   ${rows.map((row) => row.map((b) => `[${b.text}]`).join(" ")).join("  ")}`);
  }
}

function indent(text: string): string {
  return text.replaceAll("\n", "\n     ");
}
