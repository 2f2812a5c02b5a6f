import assert from "node:assert/strict";
import { ApiError } from "../../sandbox/errors.ts";
import { parseHtml } from "../../sandbox/world/format_html.ts";
import { parseLegacyMarkdown, parseMarkdownV2 } from "../../sandbox/world/format_markdown.ts";
import { formatText } from "../../sandbox/world/formatting.ts";
import { commandEntities } from "../../sandbox/world/command_entities.ts";

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ApiError);
    return error.body.description;
  }
  throw new Error("expected a failure");
}

Deno.test("HTML: nested tags, links, pre with language, entities decoded", () => {
  const parsed = parseHtml(
    '<b>Hi <i>there</i></b> <a href="https://t.me/x">link</a> &#x1F600; ' +
      '<pre><code class="language-ts">let a = 1 &lt; 2;</code></pre>',
  );
  assert.equal(parsed.text, "Hi there link 😀 let a = 1 < 2;");
  assert.deepEqual(parsed.entities, [
    { type: "bold", offset: 0, length: 8 },
    { type: "italic", offset: 3, length: 5 },
    { type: "text_link", offset: 9, length: 4, url: "https://t.me/x" },
    { type: "pre", offset: 17, length: 14, language: "ts" },
  ]);
});

Deno.test("HTML: spoilers, blockquotes and custom emoji", () => {
  const parsed = parseHtml(
    '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>' +
      '<blockquote expandable>q</blockquote><tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
  );
  assert.deepEqual(parsed.entities.map((e) => e.type), [
    "spoiler",
    "spoiler",
    "expandable_blockquote",
    "custom_emoji",
  ]);
});

Deno.test("HTML: errors carry Telegram's wording and byte offsets", () => {
  assert.equal(
    failure(() => parseHtml("a <foo>x</foo>")),
    'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 2',
  );
  assert.equal(
    failure(() => parseHtml("é<b>x</i>")),
    'Bad Request: can\'t parse entities: Unmatched end tag at byte offset 6, expected "</b>", found "</i>"',
  );
  assert.match(failure(() => parseHtml("1 < 2")), /Unclosed start tag at byte offset 2/);
  assert.match(failure(() => parseHtml("1 < 2 > 0")), /Unsupported start tag "" at byte offset 2/);
  assert.match(
    failure(() => parseHtml('<span class="x">a</span>')),
    /must have class "tg-spoiler"/,
  );
});

Deno.test("MarkdownV2: all entity kinds and escapes", () => {
  const parsed = parseMarkdownV2(
    "*b* _i_ __u__ ~s~ ||p|| [l](https://x.org/a\\)b) `c\\`` \\*lit\\* ```js\nx\n```",
  );
  assert.equal(parsed.text, "b i u s p l c` *lit* x\n");
  assert.deepEqual(parsed.entities, [
    { type: "bold", offset: 0, length: 1 },
    { type: "italic", offset: 2, length: 1 },
    { type: "underline", offset: 4, length: 1 },
    { type: "strikethrough", offset: 6, length: 1 },
    { type: "spoiler", offset: 8, length: 1 },
    { type: "text_link", offset: 10, length: 1, url: "https://x.org/a)b" },
    { type: "code", offset: 12, length: 2 },
    { type: "pre", offset: 21, length: 2, language: "js" },
  ]);
});

Deno.test("MarkdownV2: block quotes, expandable ones ending in ||", () => {
  const quote = parseMarkdownV2(">one\n>two\nafter");
  assert.equal(quote.text, "one\ntwo\nafter");
  assert.deepEqual(quote.entities, [{ type: "blockquote", offset: 0, length: 7 }]);
  const expandable = parseMarkdownV2("**>hidden\n>more||");
  assert.equal(expandable.text, "hidden\nmore");
  assert.deepEqual(expandable.entities, [{ type: "expandable_blockquote", offset: 0, length: 11 }]);
});

Deno.test("MarkdownV2: unescaped reserved characters and unclosed entities fail", () => {
  assert.match(failure(() => parseMarkdownV2("Price: 5-10")), /Character '-' is reserved/);
  assert.match(
    failure(() => parseMarkdownV2("a *bold")),
    /Can't find end of Bold entity at byte offset 2/,
  );
  assert.match(failure(() => parseMarkdownV2("`code")), /Can't find end of Code entity/);
});

Deno.test("legacy Markdown: simple entities, no reserved characters", () => {
  const parsed = parseLegacyMarkdown("*b* _i_ `c` [l](https://x.org) 5-10.");
  assert.equal(parsed.text, "b i c l 5-10.");
  assert.deepEqual(parsed.entities.map((e) => e.type), ["bold", "italic", "code", "text_link"]);
  assert.match(failure(() => parseLegacyMarkdown("*open")), /Can't find end of the entity/);
});

Deno.test("formatText trims whitespace and shifts entities; rejects unknown parse modes", () => {
  assert.deepEqual(formatText("\n  <b>x</b> y  ", "html", undefined), {
    text: "x y",
    entities: [{ type: "bold", offset: 0, length: 1 }],
  });
  assert.equal(
    failure(() => formatText("x", "BBCode", undefined)),
    'Bad Request: unsupported parse_mode "BBCode"',
  );
  assert.match(
    failure(() => formatText("abc", undefined, [{ type: "bold", offset: 2, length: 5 }])),
    /entities\[0\] must have a type and an offset\/length inside the text/,
  );
});

Deno.test("commands in a bot's text become bot_command entities unless inside another", () => {
  assert.deepEqual(formatText("Use /help or <code>/start</code>", "HTML", undefined).entities, [
    { type: "bot_command", offset: 4, length: 5 },
    { type: "code", offset: 13, length: 6 },
  ]);
});

Deno.test("bot commands are found at the start and after whitespace only", () => {
  assert.deepEqual(commandEntities("/a b /c@x_bot d/e /f/g"), [
    { type: "bot_command", offset: 0, length: 2 },
    { type: "bot_command", offset: 5, length: 8 },
  ]);
  assert.deepEqual(commandEntities("👋 /start"), [{ type: "bot_command", offset: 3, length: 6 }]);
});
