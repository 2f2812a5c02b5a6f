/**
 * Which of the runtime's handlers (`mod.ts`) an update can be for: the payment updates
 * (pre-checkout queries, subscription changes, payment and refund messages), the buttons
 * (callback queries), or one command by its name — or none, for the plain text a plugin
 * answers, above all. `mod.ts` sends each update straight to those handlers, so an update never
 * descends through the handlers it cannot be for. grammY runs middleware as nested calls, each
 * allocating its frames and closures for every update that passes it: a `/start` went through
 * about 80 of them before it reached its handler, and under load that was a third of the
 * runtime's allocations, and most of its garbage collection (BENCHMARKS.md, issue 15).
 *
 * A handler added to `mod.ts` for another kind of update must be routed here too; the handler
 * tests go through this routing, so one that is left out fails its test. Payment support, which
 * takes plain text in private chats, has a narrow filter of its own after this one
 * (`support.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runtimeRoute } from "./runtime_updates.ts";
 *
 * const from = { id: 5, is_bot: false, first_name: "Ann" };
 * const chat = { id: 5, type: "private" as const, first_name: "Ann" };
 * const text = "/start@shop_bot buy_x";
 * const update = {
 *   update_id: 1,
 *   message: {
 *     message_id: 1,
 *     date: 0,
 *     chat,
 *     from,
 *     text,
 *     entities: [{ type: "bot_command" as const, offset: 0, length: 15 }],
 *   },
 * };
 * assert.deepEqual(runtimeRoute(update), { to: "command", name: "start" });
 * ```
 * @module
 */
import type { Message, Update } from "grammy/types";

/** Where an update goes among the runtime's handlers; `undefined`: none of them. */
export type RuntimeRoute =
  | { to: "payments" }
  | { to: "buttons" }
  /** A command, by its name without the slash and without a `@botname` suffix. */
  | { to: "command"; name: string };

/** The handlers `update` may be for; see the module doc. */
export function runtimeRoute(update: Update): RuntimeRoute | undefined {
  if (update.pre_checkout_query || update.subscription) return { to: "payments" };
  if (update.callback_query) return { to: "buttons" };
  const message = update.message;
  if (!message) return undefined;
  if (message.successful_payment || message.refunded_payment) return { to: "payments" };
  const name = leadingCommand(message);
  return name === undefined ? undefined : { to: "command", name };
}

/**
 * The command a message starts with, as grammY's `command` filter reads it: a `bot_command`
 * entity at offset 0 of the text or the caption. The `@botname` suffix is left for that filter
 * to check against the bot's username.
 */
function leadingCommand(message: Message): string | undefined {
  const text = message.text ?? message.caption;
  const entities = message.text !== undefined ? message.entities : message.caption_entities;
  const entity = entities?.find((e) => e.type === "bot_command" && e.offset === 0);
  if (text === undefined || entity === undefined) return undefined;
  const command = text.slice(1, entity.length);
  const at = command.indexOf("@");
  return at === -1 ? command : command.slice(0, at);
}
