/**
 * `parse_mode: "MarkdownV2"` and the legacy `"Markdown"` as Telegram documents them. The most
 * common production failure with MarkdownV2 is an unescaped reserved character (`.`, `-`, `!`
 * …); the sandbox rejects it with Telegram's own wording so tests catch it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLegacyMarkdown, parseMarkdownV2 } from "./format_markdown.ts";
 *
 * assert.deepEqual(parseMarkdownV2("*Pack* costs 5\\."), {
 *   text: "Pack costs 5.",
 *   entities: [{ type: "bold", offset: 0, length: 4 }],
 * });
 * assert.throws(() => parseMarkdownV2("costs 5."), /Character '\.' is reserved/);
 * // Legacy Markdown has no reserved characters outside its markers.
 * assert.equal(parseLegacyMarkdown("*hi* costs 5.").text, "hi costs 5.");
 * ```
 * @module
 */

import type { MessageEntity } from "grammy/types";
import { badRequest } from "../errors.ts";
import type { FormattedText } from "./format_html.ts";

const RESERVED = new Set("_*[]()~`>#+-=|{}.!");
const encoder = new TextEncoder();

type Toggle = "bold" | "italic" | "underline" | "strikethrough" | "spoiler";
const NAMES: Record<string, string> = {
  bold: "Bold",
  italic: "Italic",
  underline: "Underline",
  strikethrough: "Strikethrough",
  spoiler: "Spoiler",
  text_link: "TextUrl",
  custom_emoji: "CustomEmoji",
};

function fail(reason: string): never {
  throw badRequest(`can't parse entities: ${reason}`);
}

function byteOffset(source: string, index: number): number {
  return encoder.encode(source.slice(0, index)).length;
}

interface Open {
  type: Toggle | "text_link" | "custom_emoji";
  start: number;
  at: number;
}

/** Scans a code or pre body up to the closing `fence`, honouring `\` escapes of `` ` `` and `\`. */
function readCode(source: string, from: number, fence: string): [string, number] | undefined {
  let body = "";
  for (let i = from; i < source.length; i++) {
    if (source[i] === "\\" && (source[i + 1] === "`" || source[i + 1] === "\\")) {
      body += source[++i];
    } else if (source.startsWith(fence, i)) {
      return [body, i + fence.length];
    } else {
      body += source[i];
    }
  }
  return undefined;
}

/** Reads `(url)` at `from`, honouring `\` escapes of `)` and `\`. */
function readUrl(source: string, from: number): [string, number] | undefined {
  if (source[from] !== "(") return undefined;
  let url = "";
  for (let i = from + 1; i < source.length; i++) {
    if (source[i] === "\\" && (source[i + 1] === ")" || source[i + 1] === "\\")) url += source[++i];
    else if (source[i] === ")") return [url, i + 1];
    else url += source[i];
  }
  return undefined;
}

/** Parses MarkdownV2; throws a 400 ApiError describing the first problem. */
export function parseMarkdownV2(source: string): FormattedText {
  let text = "";
  const entities: MessageEntity[] = [];
  const open: Open[] = [];
  let quote: { start: number; expandable: boolean } | undefined;
  const closeQuote = () => {
    if (!quote) return;
    const end = text.endsWith("\n") ? text.length - 1 : text.length;
    if (end > quote.start) {
      const type = quote.expandable ? "expandable_blockquote" : "blockquote";
      entities.push({ type, offset: quote.start, length: end - quote.start } as MessageEntity);
    }
    quote = undefined;
  };
  const toggle = (type: Toggle, at: number) => {
    const index = open.findLastIndex((o) => o.type === type);
    if (index === -1) {
      open.push({ type, start: text.length, at });
      return;
    }
    const [entry] = open.splice(index, 1);
    if (text.length > entry.start) {
      entities.push({ type, offset: entry.start, length: text.length - entry.start });
    }
  };

  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const lineStart = i === 0 || source[i - 1] === "\n";
    if (lineStart) {
      if (source.startsWith("**>", i) && !quote) {
        quote = { start: text.length, expandable: true };
        i += 3;
        continue;
      }
      if (c === ">") {
        quote ??= { start: text.length, expandable: false };
        i++;
        continue;
      }
      closeQuote();
    }
    if (c === "\\") {
      const next = source[i + 1];
      if (next === undefined || next.charCodeAt(0) > 126) {
        fail(`Character '\\' is reserved and must be escaped with the preceding '\\'`);
      }
      text += next;
      i += 2;
    } else if (c === "`") {
      const fence = source.startsWith("```", i) ? "```" : "`";
      const code = readCode(source, i + fence.length, fence);
      if (!code) {
        fail(
          `Can't find end of ${fence === "`" ? "Code" : "Pre"} entity at byte offset ${
            byteOffset(source, i)
          }`,
        );
      }
      let [body] = code;
      const entity: MessageEntity = fence === "`"
        ? { type: "code", offset: text.length, length: 0 }
        : { type: "pre", offset: text.length, length: 0 };
      if (fence === "```") {
        const newline = body.indexOf("\n");
        const language = newline === -1 ? "" : body.slice(0, newline);
        if (newline !== -1 && /^[\w+#.-]*$/.test(language)) {
          body = body.slice(newline + 1);
          if (language) (entity as MessageEntity.PreMessageEntity).language = language;
        }
      }
      text += body;
      entity.length = body.length;
      if (body.length > 0) entities.push(entity);
      i = code[1];
    } else if (c === "*") {
      toggle("bold", i++);
    } else if (c === "_") {
      if (source[i + 1] === "_") {
        toggle("underline", i);
        i += 2;
      } else {
        toggle("italic", i++);
      }
    } else if (c === "~") {
      toggle("strikethrough", i++);
    } else if (c === "|" && source[i + 1] === "|") {
      const lineEnds = i + 2 === source.length || source[i + 2] === "\n";
      if (quote?.expandable && lineEnds && !open.some((o) => o.type === "spoiler")) {
        i += 2;
        closeQuote();
      } else {
        toggle("spoiler", i);
        i += 2;
      }
    } else if (c === "[" || (c === "!" && source[i + 1] === "[")) {
      const emoji = c === "!";
      open.push({ type: emoji ? "custom_emoji" : "text_link", start: text.length, at: i });
      i += emoji ? 2 : 1;
    } else if (c === "]" && open.some((o) => o.type === "text_link" || o.type === "custom_emoji")) {
      const index = open.findLastIndex((o) => o.type === "text_link" || o.type === "custom_emoji");
      const [entry] = open.splice(index, 1);
      const url = readUrl(source, i + 1);
      if (!url) {
        fail(
          `Can't find end of ${NAMES[entry.type]} entity at byte offset ${
            byteOffset(source, entry.at)
          }`,
        );
      }
      i = url[1];
      const length = text.length - entry.start;
      if (entry.type === "custom_emoji") {
        const id = /^tg:\/\/emoji\?id=(\d+)$/.exec(url[0])?.[1];
        if (!id) fail(`Custom emoji entity must have a URL "tg://emoji?id=<id>"`);
        if (length > 0) {
          entities.push({ type: "custom_emoji", offset: entry.start, length, custom_emoji_id: id });
        }
      } else if (length > 0) {
        entities.push({ type: "text_link", offset: entry.start, length, url: url[0] });
      }
    } else if (RESERVED.has(c)) {
      fail(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
    } else {
      text += c;
      i++;
    }
  }
  closeQuote();
  const unclosed = open[0];
  if (unclosed) {
    fail(
      `Can't find end of ${NAMES[unclosed.type]} entity at byte offset ${
        byteOffset(source, unclosed.at)
      }`,
    );
  }
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}

/**
 * Parses legacy Markdown (`*bold*`, `_italic_`, `` `code` ``, ```` ```pre``` ````,
 * `[text](url)`); entities cannot nest, and `\` escapes only the marker characters.
 */
export function parseLegacyMarkdown(source: string): FormattedText {
  let text = "";
  const entities: MessageEntity[] = [];
  let i = 0;
  const unclosed = (at: number): never =>
    fail(`Can't find end of the entity starting at byte offset ${byteOffset(source, at)}`);
  while (i < source.length) {
    const c = source[i];
    if (c === "\\" && "*_`[".includes(source[i + 1] ?? "")) {
      text += source[i + 1];
      i += 2;
    } else if (c === "*" || c === "_" || c === "`") {
      const fence = c === "`" && source.startsWith("```", i) ? "```" : c;
      const end = source.indexOf(fence, i + fence.length);
      if (end === -1) unclosed(i);
      const body = source.slice(i + fence.length, end);
      const type = fence === "```" ? "pre" : c === "*" ? "bold" : c === "_" ? "italic" : "code";
      if (body.length > 0) {
        entities.push({ type, offset: text.length, length: body.length } as MessageEntity);
      }
      text += body;
      i = end + fence.length;
    } else if (c === "[") {
      const close = source.indexOf("]", i + 1);
      if (close === -1 || source[close + 1] !== "(") unclosed(i);
      const urlEnd = source.indexOf(")", close + 2);
      if (urlEnd === -1) unclosed(i);
      const label = source.slice(i + 1, close);
      if (label.length > 0) {
        entities.push({
          type: "text_link",
          offset: text.length,
          length: label.length,
          url: source.slice(close + 2, urlEnd),
        });
      }
      text += label;
      i = urlEnd + 1;
    } else {
      text += c;
      i++;
    }
  }
  return { text, entities };
}
