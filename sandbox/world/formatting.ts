/**
 * Turns a message's `text` + `parse_mode` (or explicit `entities`) into the text and entities
 * Telegram stores: markup parsed, surrounding whitespace trimmed with entity offsets shifted,
 * and `/commands` in plain parts detected as bot_command entities, as Telegram detects them in
 * bots' messages too. (Telegram also detects URLs, mentions, hashtags and the like; the
 * sandbox detects only commands.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatText } from "./formatting.ts";
 *
 * assert.deepEqual(formatText("  <b>Hi</b> /help\n", "HTML", undefined), {
 *   text: "Hi /help",
 *   entities: [
 *     { type: "bold", offset: 0, length: 2 },
 *     { type: "bot_command", offset: 3, length: 5 },
 *   ],
 * });
 * assert.throws(() => formatText("hi", "Markdown3", undefined), /Bad Request/);
 * ```
 * @module
 */

import type { MessageEntity } from "grammy/types";
import { badRequest } from "../errors.ts";
import { type FormattedText, parseHtml } from "./format_html.ts";
import { parseLegacyMarkdown, parseMarkdownV2 } from "./format_markdown.ts";
import { commandEntities } from "./command_entities.ts";

function checkEntities(raw: unknown[], text: string): MessageEntity[] {
  return raw.map((item, index) => {
    const entity = item as Partial<MessageEntity>;
    const valid = typeof entity === "object" && entity !== null &&
      typeof entity.type === "string" &&
      Number.isSafeInteger(entity.offset) && Number.isSafeInteger(entity.length) &&
      entity.offset! >= 0 && entity.length! > 0 && entity.offset! + entity.length! <= text.length;
    if (!valid) {
      throw badRequest(
        `can't parse entities: entities[${index}] must have a type and an offset/length inside the text`,
      );
    }
    return entity as MessageEntity;
  });
}

/** Adds bot_command entities for commands that no other entity covers. */
function detectCommands(formatted: FormattedText): FormattedText {
  const taken = formatted.entities;
  const found = commandEntities(formatted.text).filter((command) =>
    !taken.some((e) =>
      e.offset < command.offset + command.length && command.offset < e.offset + e.length
    )
  );
  if (found.length === 0) return formatted;
  const entities = [...taken, ...found].sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text: formatted.text, entities };
}

function trim(formatted: FormattedText): FormattedText {
  const lead = formatted.text.length - formatted.text.trimStart().length;
  const text = formatted.text.trim();
  const entities: MessageEntity[] = [];
  for (const entity of formatted.entities) {
    const start = Math.max(0, entity.offset - lead);
    const end = Math.min(text.length, entity.offset + entity.length - lead);
    if (end > start) entities.push({ ...entity, offset: start, length: end - start });
  }
  return { text, entities };
}

/**
 * Parses `text` per `parseMode` (HTML, MarkdownV2, Markdown; case-insensitive), or validates
 * explicit `entities` when no parse mode is given. Throws 400 on unsupported modes and markup
 * errors.
 */
export function formatText(
  text: string,
  parseMode: string | undefined,
  entities: unknown[] | undefined,
): FormattedText {
  return detectCommands(parse(text, parseMode, entities));
}

function parse(
  text: string,
  parseMode: string | undefined,
  entities: unknown[] | undefined,
): FormattedText {
  switch ((parseMode ?? "").toLowerCase()) {
    case "":
      return trim({ text, entities: entities ? checkEntities(entities, text) : [] });
    case "html":
      return trim(parseHtml(text));
    case "markdownv2":
      return trim(parseMarkdownV2(text));
    case "markdown":
      return trim(parseLegacyMarkdown(text));
    default:
      throw badRequest(`unsupported parse_mode "${parseMode}"`);
  }
}
