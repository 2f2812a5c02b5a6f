/**
 * The hand-written checks of the hot messages (`handled`, `api`) accept exactly what the schema
 * accepts: a message a little off their shape falls through to the schema and is refused there,
 * with its problem described.
 */
import { assertEquals } from "../../support/assert.ts";
import { readWorkerMessage } from "../../../adapters/plugins/worker_messages.ts";

Deno.test("the hot messages are read as they are", () => {
  assertEquals(readWorkerMessage({ kind: "handled", id: 3, passedOn: true }), {
    ok: true,
    message: { kind: "handled", id: 3, passedOn: true },
  });
  assertEquals(
    readWorkerMessage({ kind: "api", id: 4, method: "sendMessage", payload: { chat_id: 7 } }),
    { ok: true, message: { kind: "api", id: 4, method: "sendMessage", payload: { chat_id: 7 } } },
  );
});

Deno.test("a hot message a little off its shape is refused, as the schema refuses it", () => {
  const malformed: unknown[] = [
    { kind: "handled", id: 3 },
    { kind: "handled", id: -1, passedOn: true },
    { kind: "handled", id: 1.5, passedOn: true },
    { kind: "handled", id: "3", passedOn: true },
    { kind: "handled", id: 3, passedOn: "yes" },
    { kind: "handled", id: 3, passedOn: true, extra: 1 },
    { kind: "api", id: 4, method: 5, payload: {} },
    { kind: "api", id: 4, method: "sendMessage", payload: null },
    { kind: "api", id: 4, method: "sendMessage" },
    { kind: "api", id: 4, method: "sendMessage", payload: {}, extra: 1 },
    [],
    null,
  ];
  for (const data of malformed) {
    assertEquals(readWorkerMessage(data).ok, false, JSON.stringify(data));
  }
  const read = readWorkerMessage({ kind: "api", id: 4, method: 5, payload: {} });
  assertEquals(!read.ok && read.request, { kind: "api", id: 4 }, "answered, not left waiting");
});
