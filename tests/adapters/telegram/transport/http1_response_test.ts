import { assertEquals, assertThrows } from "../../../support/assert.ts";
import {
  HttpProtocolError,
  MAX_BODY_BYTES,
  ResponseReader,
} from "../../../../adapters/telegram/transport/http1_response.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds `text` one byte at a time, collecting every answer. */
function byteByByte(reader: ResponseReader, text: string) {
  const answers = [];
  for (const byte of bytes(text)) {
    const answer = reader.feed(Uint8Array.of(byte));
    if (answer) answers.push(answer);
  }
  return answers;
}

Deno.test("a Content-Length answer split anywhere, and the next one after it", () => {
  const reader = new ResponseReader();
  const answers = byteByByte(
    reader,
    'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 14\r\n\r\n{"ok":"\u00e9t\u00e9"}' +
      "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 2\r\n\r\n{}",
  );
  assertEquals(answers, [
    {
      status: 200,
      statusText: "OK",
      contentType: "application/json",
      body: '{"ok":"\u00e9t\u00e9"}',
      keepAlive: true,
    },
    { status: 429, statusText: "Too Many Requests", contentType: "", body: "{}", keepAlive: true },
  ]);
  assertEquals(reader.started, false);
});

Deno.test("a chunked answer, with an extension and trailers, split anywhere", () => {
  const reader = new ResponseReader();
  const answers = byteByByte(
    reader,
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      '4;ext=1\r\n{"ok\r\n' + 'B\r\n":true,"r":\r\n' + "1\r\n1\r\n" + "1\r\n}\r\n" +
      "0\r\nX-Trailer: yes\r\n\r\n",
  );
  assertEquals(answers.map((a) => [a.body, a.keepAlive]), [['{"ok":true,"r":1}', true]]);
});

Deno.test("a chunked answer without trailers ends at its empty line", () => {
  const reader = new ResponseReader();
  const answer = reader.feed(
    bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"),
  );
  assertEquals(answer?.body, "hi");
});

Deno.test("Connection: close, HTTP/1.0, and an answer framed by the connection's end", () => {
  const closing = new ResponseReader().feed(
    bytes("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
  );
  assertEquals(closing?.keepAlive, false);
  const old = new ResponseReader().feed(bytes("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  assertEquals(old?.keepAlive, false);
  const kept = new ResponseReader().feed(
    bytes("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"),
  );
  assertEquals(kept?.keepAlive, true);
  const open = new ResponseReader();
  assertEquals(open.feed(bytes("HTTP/1.1 502 Bad Gateway\r\n\r\n<html>bad")), undefined);
  assertEquals(open.feed(bytes(" gateway</html>")), undefined);
  const ended = open.end();
  assertEquals([ended?.status, ended?.body, ended?.keepAlive], [
    502,
    "<html>bad gateway</html>",
    false,
  ]);
});

Deno.test("interim answers are skipped; 204 has no body", () => {
  const reader = new ResponseReader();
  const answer = reader.feed(
    bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"),
  );
  assertEquals([answer?.status, answer?.body], [204, ""]);
});

Deno.test("the end of the connection: nothing started is no error, a cut answer is", () => {
  assertEquals(new ResponseReader().end(), undefined);
  const cut = new ResponseReader();
  cut.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}"));
  assertThrows(() => cut.end(), HttpProtocolError, "in the middle of an answer");
});

Deno.test("what is not HTTP, or too large, is refused with what is wrong", () => {
  const refuse = (text: string, says: string) =>
    assertThrows(() => new ResponseReader().feed(bytes(text)), HttpProtocolError, says);
  refuse("SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x status line");
  refuse("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "a header line without a name");
  refuse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "a bad Content-Length");
  refuse(
    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    "a bad Content-Length",
  );
  refuse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding");
  refuse(
    `HTTP/1.1 200 OK\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`,
    `over the ${MAX_BODY_BYTES} accepted`,
  );
  refuse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "a bad chunk size");
  refuse(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
    "not followed by CRLF",
  );
  refuse(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(70_000)}`, "a response head over");
});
