/**
 * `parse_mode: "HTML"` as Telegram implements it: the supported tags become entities, the four
 * named and all numeric character references are decoded, and a stray `<`, an unsupported tag
 * or an unbalanced tag fails the call with Telegram's "can't parse entities" wording — the
 * error a real deployment would hit, caught in tests instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHtml } from "./format_html.ts";
 *
 * assert.deepEqual(parseHtml("<b>Pack</b> &amp; more"), {
 *   text: "Pack & more",
 *   entities: [{ type: "bold", offset: 0, length: 4 }],
 * });
 * assert.throws(() => parseHtml("<i>a</b>"), /Bad Request: can't parse entities/);
 * ```
 * @module
 */

import type { MessageEntity } from "grammy/types";
import { badRequest } from "../errors.ts";

/** Parsed text and the entities found in it. */
export interface FormattedText {
  text: string;
  entities: MessageEntity[];
}

interface OpenTag {
  name: string;
  start: number;
  entity: Omit<MessageEntity, "offset" | "length"> | undefined;
}

const SIMPLE: Record<string, MessageEntity["type"]> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  "tg-spoiler": "spoiler",
  code: "code",
  pre: "pre",
};
const SUPPORTED = new Set([...Object.keys(SIMPLE), "span", "a", "blockquote", "tg-emoji"]);
const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };
const ATTRIBUTE = /([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

const encoder = new TextEncoder();

function fail(reason: string): never {
  throw badRequest(`can't parse entities: ${reason}`);
}

function byteOffset(source: string, index: number): number {
  return encoder.encode(source.slice(0, index)).length;
}

function attributes(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const match of text.matchAll(ATTRIBUTE)) {
    result.set(match[1].toLowerCase(), match[2] ?? match[3] ?? match[4] ?? "");
  }
  return result;
}

/** Decodes `&…;` at `index`; returns the character and the length consumed, if it is one. */
function characterReference(source: string, index: number): [string, number] | undefined {
  const match = /^&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[a-zA-Z]+);/.exec(source.slice(index, index + 12));
  if (!match) return undefined;
  const body = match[1];
  if (body.startsWith("#")) {
    const code = body[1] === "x" || body[1] === "X"
      ? parseInt(body.slice(2), 16)
      : parseInt(body.slice(1), 10);
    if (code > 0x10ffff) return undefined;
    return [String.fromCodePoint(code), match[0].length];
  }
  const named = NAMED[body.toLowerCase()];
  return named === undefined ? undefined : [named, match[0].length];
}

function entityFor(name: string, attrs: Map<string, string>, stack: OpenTag[], at: string) {
  if (name in SIMPLE) {
    // <pre><code class="language-x"> is one pre entity with a language, not two entities.
    const parent = stack.at(-1);
    if (name === "code" && parent?.name === "pre" && parent.entity) {
      const language = attrs.get("class")?.match(/^language-(.+)$/)?.[1];
      if (language) parent.entity = { ...parent.entity, language } as OpenTag["entity"];
      return undefined;
    }
    return { type: SIMPLE[name] } as OpenTag["entity"];
  }
  if (name === "span") {
    if (attrs.get("class") !== "tg-spoiler") {
      fail(`tag "span" must have class "tg-spoiler" at byte offset ${at}`);
    }
    return { type: "spoiler" } as OpenTag["entity"];
  }
  if (name === "a") {
    const href = attrs.get("href");
    return href ? { type: "text_link", url: href } as OpenTag["entity"] : undefined;
  }
  if (name === "tg-emoji") {
    const id = attrs.get("emoji-id");
    if (!id) fail(`tag "tg-emoji" must have attribute "emoji-id" at byte offset ${at}`);
    return { type: "custom_emoji", custom_emoji_id: id } as OpenTag["entity"];
  }
  return (attrs.has("expandable")
    ? { type: "expandable_blockquote" }
    : { type: "blockquote" }) as OpenTag[
      "entity"
    ];
}

/** Parses Telegram HTML; throws a 400 ApiError describing the first problem. */
export function parseHtml(source: string): FormattedText {
  let text = "";
  const entities: MessageEntity[] = [];
  const stack: OpenTag[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === "&") {
      const reference = characterReference(source, i);
      if (reference) {
        text += reference[0];
        i += reference[1];
      } else {
        text += c;
        i++;
      }
      continue;
    }
    if (c !== "<") {
      text += c;
      i++;
      continue;
    }
    const at = String(byteOffset(source, i));
    const end = source.indexOf(">", i);
    if (end === -1) fail(`Unclosed start tag at byte offset ${at}`);
    const inner = source.slice(i + 1, end);
    i = end + 1;
    if (inner.startsWith("/")) {
      const name = inner.slice(1).trim().toLowerCase();
      const open = stack.pop();
      if (!open) fail(`Unexpected end tag at byte offset ${at}`);
      if (open.name !== name) {
        fail(
          `Unmatched end tag at byte offset ${at}, expected "</${open.name}>", found "</${name}>"`,
        );
      }
      if (open.entity && text.length > open.start) {
        entities.push(
          { ...open.entity, offset: open.start, length: text.length - open.start } as MessageEntity,
        );
      }
      continue;
    }
    const name = /^[a-zA-Z][a-zA-Z0-9-]*/.exec(inner)?.[0].toLowerCase() ?? "";
    if (!SUPPORTED.has(name)) fail(`Unsupported start tag "${name}" at byte offset ${at}`);
    const entity = entityFor(name, attributes(inner.slice(name.length)), stack, at);
    stack.push({ name, start: text.length, entity });
  }
  const open = stack.pop();
  if (open) fail(`Can't find end tag corresponding to start tag "${open.name}"`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}
