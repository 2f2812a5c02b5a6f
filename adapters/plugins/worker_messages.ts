/**
 * Reads what a plugin's worker sent. The plugin shares its worker's global scope, so it can post
 * anything: a message the host acts on must have exactly the shape of a `WorkerMessage`
 * (`protocol.ts`), or it is ignored. Value ranges (a positive user id, a whole amount) are the
 * money domain's to check, as they are for any caller.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { messagesOf, readWorkerMessage } from "./worker_messages.ts";
 *
 * assert.deepEqual(readWorkerMessage({ kind: "handled", id: 3, passedOn: true }), {
 *   ok: true,
 *   message: { kind: "handled", id: 3, passedOn: true },
 * });
 * const refund = readWorkerMessage({
 *   kind: "stars",
 *   id: 1,
 *   tenantId: "shop",
 *   call: { method: "refund" },
 * });
 * assert.equal(refund.ok, false);
 * assert.deepEqual(!refund.ok && refund.request, { kind: "stars", id: 1, tenantId: "shop" });
 * assert.equal(messagesOf([{ kind: "pong", id: 2, memoryBytes: 1 }, { kind: "threw", error: "x" }]).length, 2);
 * ```
 * @module
 */
import { z } from "zod";
import type { WorkerMessage } from "./protocol.ts";

const id = z.number().int().nonnegative();

const tenantId = z.string();

const logLevel = z.enum(["trace", "debug", "info", "warning", "error", "fatal"]);

const starsCall = z.discriminatedUnion("method", [
  z.strictObject({ method: z.literal("balance"), userId: z.number() }),
  z.strictObject({
    method: z.literal("deduct"),
    userId: z.number(),
    amount: z.number(),
    request: z.strictObject({
      reason: z.string(),
      idempotencyKey: z.string(),
      languageCode: z.string().optional(),
      chatId: z.number().optional(),
    }),
  }),
  z.strictObject({
    method: z.literal("offer"),
    userId: z.number(),
    chatId: z.number(),
    productId: z.string(),
    languageCode: z.string().optional(),
  }),
  z.strictObject({ method: z.literal("history"), userId: z.number(), page: z.number().optional() }),
]);

const workerMessage: z.ZodType<WorkerMessage> = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("loaded") }),
  z.strictObject({
    kind: z.literal("installed"),
    tenantId,
    updates: z.array(z.string()).optional(),
  }),
  z.strictObject({
    kind: z.literal("installFailed"),
    tenantId,
    error: z.string(),
    ofModule: z.boolean(),
  }),
  z.strictObject({ kind: z.literal("handled"), id, passedOn: z.boolean() }),
  z.strictObject({ kind: z.literal("failed"), id, error: z.string() }),
  z.strictObject({ kind: z.literal("pong"), id, memoryBytes: z.number() }),
  z.strictObject({ kind: z.literal("threw"), error: z.string() }),
  z.strictObject({ kind: z.literal("stars"), id, tenantId, call: starsCall }),
  z.strictObject({
    kind: z.literal("api"),
    id,
    tenantId,
    method: z.string(),
    payload: z.record(z.string(), z.unknown()),
  }),
  z.strictObject({
    kind: z.literal("log"),
    tenantId,
    record: z.strictObject({
      category: z.array(z.string()),
      level: logLevel,
      message: z.array(z.unknown()),
      rawMessage: z.string(),
      timestamp: z.number(),
      properties: z.record(z.string(), z.unknown()),
    }),
  }),
]);

/**
 * What a worker sent: a `WorkerMessage`, or what is wrong with it — and, when it looks like a
 * request (a JavaScript plugin passing a user id as text, say), which one, so that the plugin
 * gets an error back rather than waiting for an answer that never comes.
 */
export type ReadMessage =
  | { ok: true; message: WorkerMessage }
  | {
    ok: false;
    problem: string;
    request?: { kind: "stars" | "api"; id: number; tenantId: string };
  };

/** Checks `data` against the shape of a `WorkerMessage`; see {@linkcode ReadMessage}. */
export function readWorkerMessage(data: unknown): ReadMessage {
  const hot = hotMessage(data);
  if (hot !== undefined) return hot;
  const parsed = workerMessage.safeParse(data);
  if (parsed.success) return { ok: true, message: parsed.data };
  const problem = parsed.error.issues
    .map((issue) => `${issue.path.join(".") || "message"}: ${issue.message}`)
    .join("; ");
  const request = requestOf(data);
  return request ? { ok: false, problem, request } : { ok: false, problem };
}

/**
 * The messages in what one `postMessage` of a worker carried: a batch is an array
 * (`message_batch.ts`); anything else is taken as one message, to be judged like any other.
 */
export function messagesOf(data: unknown): readonly unknown[] {
  return Array.isArray(data) ? data : [data];
}

/**
 * The messages of every update — its answer, `handled` or `failed`, and the plugin's Bot API calls, `api` —
 * checked by hand, so the hot path skips zod's union (and its copies). Anything not exactly of
 * one of these shapes goes to the schema, which judges and describes it.
 */
function hotMessage(data: unknown): ReadMessage | undefined {
  if (!isPlainObject(data)) return undefined;
  const { kind, id } = data;
  if (!Number.isSafeInteger(id) || (id as number) < 0) return undefined;
  if (kind === "handled") {
    const { passedOn } = data;
    if (typeof passedOn !== "boolean" || keysOf(data) !== 3) return undefined;
    return { ok: true, message: { kind, id: id as number, passedOn } };
  }
  if (kind === "failed") {
    const { error } = data;
    if (typeof error !== "string" || keysOf(data) !== 3) return undefined;
    return { ok: true, message: { kind, id: id as number, error } };
  }
  if (kind === "api") {
    const { tenantId, method, payload } = data;
    if (
      typeof tenantId !== "string" || typeof method !== "string" || !isPlainObject(payload) ||
      keysOf(data) !== 5
    ) {
      return undefined;
    }
    return { ok: true, message: { kind, id: id as number, tenantId, method, payload } };
  }
  return undefined;
}

/** An object as a structured clone of an object literal gives it (not an array, a map…). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** How many keys `value` has, counted without allocating. */
function keysOf(value: Record<string, unknown>): number {
  let keys = 0;
  for (const _ in value) keys++;
  return keys;
}

const request = z.object({ kind: z.enum(["stars", "api"]), id, tenantId });

function requestOf(
  data: unknown,
): { kind: "stars" | "api"; id: number; tenantId: string } | undefined {
  const parsed = request.safeParse(data);
  return parsed.success
    ? { kind: parsed.data.kind, id: parsed.data.id, tenantId: parsed.data.tenantId }
    : undefined;
}
