/**
 * The hand-written checks of the hot messages (`handled`, `failed`, `api`) accept exactly what the schema
 * accepts: a message a little off their shape falls through to the schema and is refused there,
 * with its problem described.
 */
import { assertEquals } from "../../support/assert.ts";
import { messagesOf, readWorkerMessage } from "../../../adapters/plugins/worker_messages.ts";

Deno.test("the hot messages are read as they are", () => {
  assertEquals(readWorkerMessage({ kind: "handled", id: 3, passedOn: true }), {
    ok: true,
    message: { kind: "handled", id: 3, passedOn: true },
  });
  assertEquals(
    readWorkerMessage({ kind: "api", id: 4, tenantId: "a", method: "sendMessage", payload: {} }),
    {
      ok: true,
      message: { kind: "api", id: 4, tenantId: "a", method: "sendMessage", payload: {} },
    },
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
    { kind: "api", id: 4, tenantId: "a", method: 5, payload: {} },
    { kind: "api", id: 4, tenantId: "a", method: "sendMessage", payload: null },
    { kind: "api", id: 4, tenantId: "a", method: "sendMessage" },
    { kind: "api", id: 4, tenantId: "a", method: "sendMessage", payload: {}, extra: 1 },
    { kind: "api", id: 4, method: "sendMessage", payload: {} },
    { kind: "api", id: 4, tenantId: 7, method: "sendMessage", payload: {} },
    { kind: "failed", id: 5 },
    { kind: "failed", id: 5, error: 7 },
    { kind: "failed", id: 5, error: "x", extra: 1 },
    [],
    null,
  ];
  for (const data of malformed) {
    assertEquals(readWorkerMessage(data).ok, false, JSON.stringify(data));
  }
  const read = readWorkerMessage({ kind: "api", id: 4, tenantId: "a", method: 5, payload: {} });
  assertEquals(
    !read.ok && read.request,
    { kind: "api", id: 4, tenantId: "a" },
    "answered, not left waiting",
  );
});

Deno.test("a failed update is read by hand too, and a batch is read message by message", () => {
  assertEquals(readWorkerMessage({ kind: "failed", id: 5, error: "boom" }), {
    ok: true,
    message: { kind: "failed", id: 5, error: "boom" },
  });
  const batch = [{ kind: "handled", id: 1, passedOn: false }, { kind: "handled", id: "2" }];
  assertEquals(messagesOf(batch).map((data) => readWorkerMessage(data).ok), [true, false]);
  // A plugin posting a lone message (not an array) is judged as a batch of one.
  assertEquals(messagesOf({ kind: "installed" }), [{ kind: "installed" }]);
});
