/**
 * The HTTP user API: another program (a script, a test in another language) acts as the
 * sandbox's users, on the sandbox's own port (127.0.0.1 only, as the Bot API itself). JSON in,
 * `{ok: true, result}` or `{ok: false, error}` out (400 for a bad request, 404 for an unknown
 * user, bot or route). `<bot>` is a username, with or without `@`.
 *
 * | request                                                    | result                        |
 * | ---------------------------------------------------------- | ----------------------------- |
 * | `POST /_sandbox/users` `{id?, firstName, languageCode?, stars?}` | the user                 |
 * | `GET /_sandbox/users/<id>`                                  | the user and their Stars      |
 * | `POST /_sandbox/users/<id>/send` `{bot, text}`              | the user's message            |
 * | `POST /_sandbox/users/<id>/click` `{bot, data}`             | the bot's callback answer     |
 * | `POST /_sandbox/users/<id>/pay` `{bot, invoice?}`           | the payment outcome           |
 * | `GET /_sandbox/users/<id>/chat?bot=<bot>`                   | the bot's messages, in order    |
 *
 * `click` presses the newest button with that callback data; `pay` takes an invoice link or a
 * message id, by default the newest invoice or invoice link (a subscription's) in the chat.
 *
 * @module
 */

import type { SandboxBot } from "../sandbox_bot.ts";
import type { SandboxUser } from "../sandbox_user.ts";
import type { UserSettings } from "../world/world.ts";
import { clickButton, payInvoice } from "./user_actions.ts";

/** The path prefix the user API answers under. */
export const USER_API_PREFIX = "/_sandbox/users";

/** What the user API needs from the sandbox. */
export interface UserApiWorld {
  user(id: number): SandboxUser | undefined;
  bot(username: string): SandboxBot | undefined;
  createUser(settings: UserSettings): SandboxUser;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

async function body(request: Request): Promise<Record<string, unknown>> {
  try {
    const value = await request.json();
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  } catch {
    // answered below
  }
  throw new HttpError(400, "the body must be a JSON object");
}

function text(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") throw new HttpError(400, `${name} is required`);
  return value;
}

function userView(user: SandboxUser) {
  return {
    id: user.id,
    firstName: user.firstName,
    languageCode: user.languageCode,
    stars: user.stars,
  };
}

/** Answers one user API request (its path starts with {@linkcode USER_API_PREFIX}). */
export async function handleUserApi(world: UserApiWorld, request: Request): Promise<Response> {
  try {
    const url = new URL(request.url);
    const rest = url.pathname.slice(USER_API_PREFIX.length).replace(/\/$/, "");
    if (rest === "" && request.method === "POST") {
      const raw = await body(request);
      const user = world.createUser({
        ...(raw.id !== undefined ? { id: Number(raw.id) } : {}),
        firstName: text(raw.firstName, "firstName"),
        ...(typeof raw.languageCode === "string" ? { languageCode: raw.languageCode } : {}),
        ...(raw.stars !== undefined ? { stars: Number(raw.stars) } : {}),
      });
      return json(200, { ok: true, result: userView(user) });
    }
    const match = /^\/(\d+)(?:\/(send|click|pay|chat))?$/.exec(rest);
    if (!match) throw new HttpError(404, `no such route: ${request.method} ${url.pathname}`);
    const user = world.user(Number(match[1]));
    if (!user) throw new HttpError(404, `no user ${match[1]}`);
    const action = match[2];
    const expected = action === undefined || action === "chat" ? "GET" : "POST";
    if (request.method !== expected) {
      throw new HttpError(404, `no such route: ${request.method} ${url.pathname}`);
    }
    if (action === undefined) return json(200, { ok: true, result: userView(user) });
    const raw = action === "chat" ? { bot: url.searchParams.get("bot") } : await body(request);
    const name = text(raw.bot, "bot").replace(/^@/, "");
    const bot = world.bot(name);
    if (!bot) throw new HttpError(404, `no bot @${name}`);
    const result = action === "chat"
      ? user.messages(bot)
      : action === "send"
      ? await user.send(bot, text(raw.text, "text"))
      : action === "click"
      ? await clickButton(user, bot, text(raw.data, "data"))
      : await payInvoice(
        user,
        bot,
        typeof raw.invoice === "string" || typeof raw.invoice === "number"
          ? raw.invoice
          : undefined,
      );
    return json(200, { ok: true, result });
  } catch (error) {
    const status = error instanceof HttpError ? error.status : 400;
    return json(status, { ok: false, error: (error as Error).message });
  }
}
