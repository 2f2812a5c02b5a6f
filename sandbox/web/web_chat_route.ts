/**
 * A small Telegram-like web chat on the sandbox's own port, to try bots without Telegram: open
 * `http://127.0.0.1:<port>/_sandbox/chat`, pick a bot and a user (or create one with an id, a
 * name, a language and test Stars), send text and commands, press inline buttons, open an
 * invoice and pay it (subscriptions too), and watch receipts and refunds arrive. The page acts
 * through the HTTP user API (`cli/user_api.ts`); this route serves the page and what it reads:
 *
 * | request                                      | answer                                      |
 * | -------------------------------------------- | ------------------------------------------- |
 * | `GET /_sandbox/chat`                         | the page                                    |
 * | `GET /_sandbox/chat/assets/chat.js`, `.css`  | its script and styles                       |
 * | `GET /_sandbox/chat/world`                   | the bots and users                          |
 * | `GET /_sandbox/chat/messages?user=&bot=`     | the whole conversation, and the user's Stars |
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Sandbox } from "../mod.ts";
 *
 * await using sandbox = await Sandbox.start();
 * sandbox.createBot({ username: "shop_bot" });
 * const ann = sandbox.createUser({ firstName: "Ann", stars: 100 });
 * const page = await fetch(`${sandbox.apiRoot}/_sandbox/chat`);
 * assert.match(await page.text(), /<title>Sandbox chat/);
 * const world = await (await fetch(`${sandbox.apiRoot}/_sandbox/chat/world`)).json();
 * assert.deepEqual(world.bots.map((bot: { username: string }) => bot.username), ["shop_bot"]);
 * assert.equal(world.users[0].id, ann.id);
 * ```
 * @module
 */
import type { Message } from "grammy/types";
import type { ExtraRoute } from "../http/api_server.ts";
import { type SandboxBot, STATE } from "../sandbox_bot.ts";
import type { SandboxUser } from "../sandbox_user.ts";

/** The path prefix of the web chat. */
export const WEB_CHAT_PREFIX = "/_sandbox/chat";

/** What the web chat reads of the sandbox. */
export interface WebChatWorld {
  bots(): Iterable<SandboxBot>;
  users(): Iterable<SandboxUser>;
}

/** One button as the page draws it. */
export interface ChatButton {
  readonly text: string;
  readonly callbackData?: string;
  /** An invoice link (a subscription's): pressing it pays. */
  readonly invoiceLink?: string;
  /** Any other link, shown as a link. */
  readonly url?: string;
}

/** One message as the page draws it. */
export interface ChatMessage {
  readonly id: number;
  readonly fromBot: boolean;
  readonly date: number;
  readonly text?: string;
  readonly buttons: ChatButton[][];
  readonly invoice?: {
    title: string;
    description: string;
    stars: number;
    /** `open`, `paying` or `paid`. */
    status: string;
  };
  /** A payment the user made, as Telegram shows it in the chat. */
  readonly paid?: { stars: number; chargeId: string; subscription: boolean };
  /** A refund of one of the user's payments, as Telegram shows it in the chat. */
  readonly refunded?: { stars: number; chargeId: string };
}

const INVOICE_LINK = /^(https:\/\/)?t\.me\/\$/;

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

const FILES: Record<string, string> = {
  "chat.js": "text/javascript; charset=utf-8",
  "chat.css": "text/css; charset=utf-8",
};

function buttonsOf(message: Message): ChatButton[][] {
  return (message.reply_markup?.inline_keyboard ?? []).map((row) =>
    row.map((button) => {
      if ("callback_data" in button && button.callback_data !== undefined) {
        return { text: button.text, callbackData: button.callback_data };
      }
      if ("url" in button && button.url) {
        return INVOICE_LINK.test(button.url)
          ? { text: button.text, invoiceLink: button.url }
          : { text: button.text, url: button.url };
      }
      return { text: button.text };
    })
  );
}

/** The conversation of `user` with `bot`, as the page draws it. */
export function conversation(bot: SandboxBot, user: SandboxUser): ChatMessage[] {
  const chat = bot[STATE].chats.get(user.id);
  if (!chat) return [];
  return chat.allMessages().map((message) => {
    const invoice = message.invoice && chat.invoice(message.message_id);
    const payment = message.successful_payment;
    const refund = message.refunded_payment;
    return {
      id: message.message_id,
      fromBot: message.from?.is_bot === true,
      date: message.date,
      text: message.text ?? message.caption,
      buttons: buttonsOf(message),
      ...(message.invoice && {
        invoice: {
          title: message.invoice.title,
          description: message.invoice.description,
          stars: message.invoice.total_amount,
          status: invoice?.status ?? "open",
        },
      }),
      ...(payment && {
        paid: {
          stars: payment.total_amount,
          chargeId: payment.telegram_payment_charge_id,
          subscription: payment.subscription_expiration_date !== undefined,
        },
      }),
      ...(refund && {
        refunded: { stars: refund.total_amount, chargeId: refund.telegram_payment_charge_id },
      }),
    };
  });
}

/** The web chat's route; see the module doc. */
export function webChatRoute(world: WebChatWorld): ExtraRoute {
  return {
    prefix: WEB_CHAT_PREFIX,
    async handle(request) {
      const url = new URL(request.url);
      const rest = url.pathname.slice(WEB_CHAT_PREFIX.length);
      if (request.method !== "GET") return json(405, { ok: false, error: "only GET here" });
      if (rest === "" || rest === "/") {
        const page = await Deno.readTextFile(new URL("./browser/chat.html", import.meta.url));
        return new Response(page, {
          headers: {
            "content-type": "text/html; charset=utf-8",
            "content-security-policy":
              "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'",
          },
        });
      }
      const asset = /^\/assets\/([a-z.]+)$/.exec(rest)?.[1];
      if (asset !== undefined && Object.hasOwn(FILES, asset)) {
        const body = await Deno.readFile(new URL(`./browser/${asset}`, import.meta.url));
        return new Response(body, { headers: { "content-type": FILES[asset] } });
      }
      if (rest === "/world") {
        return json(200, {
          bots: [...world.bots()].map((bot) => ({ username: bot.username, name: bot.firstName })),
          users: [...world.users()].map((user) => ({
            id: user.id,
            firstName: user.firstName,
            languageCode: user.languageCode ?? null,
            stars: user.stars,
          })),
        });
      }
      if (rest === "/messages") {
        const userId = Number(url.searchParams.get("user"));
        const username = (url.searchParams.get("bot") ?? "").replace(/^@/, "");
        const user = [...world.users()].find((one) => one.id === userId);
        if (!user) {
          return json(404, { ok: false, error: `no user ${url.searchParams.get("user")}` });
        }
        const bot = [...world.bots()].find((one) => one.username === username);
        if (!bot) return json(404, { ok: false, error: `no bot @${username}` });
        return json(200, { stars: user.stars, messages: conversation(bot, user) });
      }
      return json(404, { ok: false, error: `no such page: ${url.pathname}` });
    },
  };
}
