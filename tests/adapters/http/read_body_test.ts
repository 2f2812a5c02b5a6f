import { assertEquals, assertRejects } from "../../support/assert.ts";
import { BodyTooLargeError, readBodyLimited } from "../../../adapters/http/read_body.ts";

const encoder = new TextEncoder();

/** A body streamed in `chunks`, recording how many were pulled and whether it was cancelled. */
function streamed(chunks: Uint8Array[]) {
  const seen = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled === chunks.length) return controller.close();
      controller.enqueue(chunks[seen.pulled++]);
    },
    cancel() {
      seen.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { request: new Request("http://localhost/", { method: "POST", body }), seen };
}

Deno.test("a body within the limit is read whole, across chunks", async () => {
  const { request } = streamed([encoder.encode('{"upd'), encoder.encode('ate_id":1}')]);
  const body = await readBodyLimited(request, 15);
  assertEquals(new TextDecoder().decode(body), '{"update_id":1}');
});

Deno.test("a body of exactly the limit is accepted", async () => {
  const request = new Request("http://localhost/", { method: "POST", body: "12345" });
  assertEquals((await readBodyLimited(request, 5)).length, 5);
});

Deno.test("no body reads as empty", async () => {
  assertEquals((await readBodyLimited(new Request("http://localhost/"), 10)).length, 0);
});

Deno.test("a declared Content-Length over the limit is refused before reading", async () => {
  const { request: streamedRequest, seen } = streamed([encoder.encode("x")]);
  const request = new Request(streamedRequest, {
    headers: { "content-length": "11" },
  });
  const error = await assertRejects(() => readBodyLimited(request, 10), BodyTooLargeError);
  assertEquals((error as BodyTooLargeError).limit, 10);
  assertEquals(seen.pulled, 0);
});

Deno.test("a stream past the limit is cut off and cancelled", async () => {
  const chunk = new Uint8Array(4);
  const { request, seen } = streamed([chunk, chunk, chunk, chunk, chunk]);
  await assertRejects(() => readBodyLimited(request, 10), BodyTooLargeError, "exceeds 10 bytes");
  // The third chunk crosses the limit; the last two are never pulled.
  assertEquals(seen.pulled, 3);
  assertEquals(seen.cancelled, true);
});

Deno.test("a malformed limit is a RangeError naming it", async () => {
  const request = new Request("http://localhost/");
  await assertRejects(() => readBodyLimited(request, -1), RangeError, "got -1");
  await assertRejects(() => readBodyLimited(request, 1.5), RangeError, "got 1.5");
});
