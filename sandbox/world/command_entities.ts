/**
 * Finds the `bot_command` entities Telegram attaches to a user's text message: `/command` or
 * `/command@botname`, starting the text or following whitespace, with offsets and lengths in
 * UTF-16 code units (which is what JavaScript string indices already are).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandEntities } from "./command_entities.ts";
 *
 * assert.deepEqual(commandEntities("/start buy_pack"), [
 *   { type: "bot_command", offset: 0, length: 6 },
 * ]);
 * assert.deepEqual(commandEntities("hi /help@shop_bot"), [
 *   { type: "bot_command", offset: 3, length: 14 },
 * ]);
 * assert.deepEqual(commandEntities("a/b is not a command"), []);
 * ```
 * @module
 */

import type { MessageEntity } from "grammy/types";

// A command is 1–32 letters, digits or underscores, optionally addressed to a bot username;
// it must not run on into further word characters or another slash ("/a/b" is a path).
const COMMAND = /(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,32})?)(?![A-Za-z0-9_@/])/g;

/** The bot_command entities of `text`, in order. */
export function commandEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  for (const match of text.matchAll(COMMAND)) {
    entities.push({
      type: "bot_command",
      offset: match.index + match[1].length,
      length: match[2].length,
    });
  }
  return entities;
}
