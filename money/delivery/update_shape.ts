/**
 * What an update must look like before the inbox records it and the handlers see it. Telegram
 * defines the Update type, but anyone holding a webhook secret, a proxy with a bug or a Bot API
 * server of another make can send something else, and one value of the wrong shape used to crash
 * its tenant at every restart. The check is proportionate: it covers what the runtime itself
 * reads — `update_id`, the one kind an update carries, the sender and chat that ordering
 * (`updateUserId`) and replies use, and every field of the payment updates — not the whole
 * Bot API.
 *
 * A malformed update is reported with a sentence naming the field and what was expected, and
 * whether it carries a payment: such an update is never dropped quietly (see
 * `update_dead_letters.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkUpdate } from "./update_shape.ts";
 *
 * const from = { id: 7, is_bot: false, first_name: "Ann" };
 * const chat = { id: 7, type: "private", first_name: "Ann" };
 * const ok = checkUpdate({ update_id: 1, message: { message_id: 1, date: 0, chat, from, text: "hi" } });
 * assert.equal(ok.ok, true);
 *
 * const poison = checkUpdate({
 *   update_id: 2,
 *   message: {
 *     message_id: 2,
 *     date: 0,
 *     chat,
 *     successful_payment: {
 *       currency: "XTR",
 *       total_amount: 50,
 *       invoice_payload: "order-1",
 *       telegram_payment_charge_id: "ch_1",
 *       provider_payment_charge_id: "",
 *     },
 *   },
 * });
 * assert.deepEqual(poison, {
 *   ok: false,
 *   updateId: 2,
 *   kind: "successful_payment",
 *   movesMoney: true,
 *   reason: "message.from is missing (a payment names its payer)",
 * });
 * assert.equal(checkUpdate({ update_id: 3, message: "hi" }).ok, false);
 * ```
 * @module
 */
import type { Update } from "grammy/types";

/** The outcome of {@linkcode checkUpdate}. */
export type UpdateCheck =
  | { ok: true; update: Update }
  | {
    ok: false;
    /** The update's id when it has a usable one. */
    updateId: number | undefined;
    /** What it is (see {@linkcode updateKind}), for operators. */
    kind: string;
    /** True when it carries a payment, a refund or a subscription change. */
    movesMoney: boolean;
    /** What is wrong, naming the field; never quotes the update's content. */
    reason: string;
  };

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** How a value is named in a reason: its type, or the number itself (never a user's text). */
function shapeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return String(value);
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function isInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value);
}

/** A check of one field; returns what is wrong, or undefined. */
type Check = (path: string, value: unknown) => string | undefined;

const integer: Check = (path, value) =>
  isInteger(value) ? undefined : `${path} must be an integer, got ${shapeOf(value)}`;

const text: Check = (path, value) =>
  typeof value === "string" ? undefined : `${path} must be a string, got ${shapeOf(value)}`;

const nonEmptyText: Check = (path, value) =>
  typeof value === "string" && value !== ""
    ? undefined
    : `${path} must be a non-empty string, got ${value === "" ? "an empty one" : shapeOf(value)}`;

const flag: Check = (path, value) =>
  typeof value === "boolean" ? undefined : `${path} must be true or false, got ${shapeOf(value)}`;

/** An object whose listed fields pass their checks; `optional` ones may be absent. */
function object(required: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  return (path, value) => {
    if (!isFields(value)) return `${path} must be an object, got ${shapeOf(value)}`;
    for (const [name, check] of Object.entries(required)) {
      if (value[name] === undefined) return `${path}.${name} is missing`;
      const wrong = check(`${path}.${name}`, value[name]);
      if (wrong !== undefined) return wrong;
    }
    for (const [name, check] of Object.entries(optional)) {
      if (value[name] === undefined) continue;
      const wrong = check(`${path}.${name}`, value[name]);
      if (wrong !== undefined) return wrong;
    }
    return undefined;
  };
}

/** A sender: its id orders the updates, its language picks the texts. */
const user = object({ id: integer }, { language_code: text });
const chat = object({ id: integer, type: text });

const successfulPayment = object({
  currency: text,
  total_amount: integer,
  invoice_payload: text,
  telegram_payment_charge_id: nonEmptyText,
}, { is_recurring: flag, subscription_expiration_date: integer });

const refundedPayment = object({
  currency: text,
  total_amount: integer,
  invoice_payload: text,
  telegram_payment_charge_id: nonEmptyText,
});

const plainMessage = object({ message_id: integer, chat }, {
  from: user,
  text,
  caption: text,
  successful_payment: successfulPayment,
  refunded_payment: refundedPayment,
});

/** A message; one that carries a payment must also name who paid. */
const message: Check = (path, value) => {
  const wrong = plainMessage(path, value);
  if (wrong !== undefined) return wrong;
  const fields = value as Fields;
  const carriesPayment = fields.successful_payment !== undefined ||
    fields.refunded_payment !== undefined;
  if (carriesPayment && fields.from === undefined) {
    return `${path}.from is missing (a payment names its payer)`;
  }
  return undefined;
};

/** The kinds the runtime reads, with what it reads of them; any other kind must be an object. */
const kinds: Record<string, Check> = {
  message,
  edited_message: message,
  channel_post: plainMessage,
  edited_channel_post: plainMessage,
  callback_query: object({ id: text, from: user }, { data: text, message: object({ chat }) }),
  pre_checkout_query: object({
    id: text,
    from: user,
    currency: text,
    total_amount: integer,
    invoice_payload: text,
  }),
  subscription: object({ user, invoice_payload: text, state: text }),
  my_chat_member: object({ from: user, chat }),
  inline_query: object({ id: text, from: user, query: text }),
};

const anyKind = object({});

/** The fields of `value` besides `update_id`: an update carries exactly one. */
function kindsOf(value: Fields): string[] {
  return Object.keys(value).filter((key) => key !== "update_id");
}

/**
 * What an update is, for logs and `/status`: a payment's kind (`successful_payment`,
 * `refunded_payment`) when its message carries one, else its one field besides `update_id`,
 * else `malformed`.
 */
export function updateKind(value: unknown): string {
  if (!isFields(value)) return "malformed";
  const found = kindsOf(value);
  if (found.length !== 1) return "malformed";
  const body = value[found[0]];
  if (found[0] === "message" && isFields(body)) {
    if (body.successful_payment !== undefined) return "successful_payment";
    if (body.refunded_payment !== undefined) return "refunded_payment";
  }
  return found[0];
}

/**
 * True for an update that changes what a user paid for — a successful or refunded payment, or a
 * subscription change — judged by its fields alone, so a malformed one is recognised too.
 */
export function movesMoney(value: unknown): boolean {
  return ["successful_payment", "refunded_payment", "subscription"].includes(updateKind(value));
}

/** Checks `value` against the Update shape; see the module doc. */
export function checkUpdate(value: unknown): UpdateCheck {
  const refuse = (reason: string, updateId?: number): UpdateCheck => ({
    ok: false,
    updateId,
    kind: updateKind(value),
    movesMoney: movesMoney(value),
    reason,
  });
  if (!isFields(value)) return refuse(`an update must be an object, got ${shapeOf(value)}`);
  const updateId = value.update_id;
  if (updateId === undefined) return refuse("update_id is missing");
  if (!isInteger(updateId) || updateId < 0) {
    return refuse(`update_id must be a non-negative integer, got ${shapeOf(updateId)}`);
  }
  const found = kindsOf(value);
  if (found.length === 0) {
    return refuse("the update carries no kind (message, callback_query…)", updateId);
  }
  if (found.length > 1) {
    return refuse(
      `the update carries ${found.length} kinds (${found.join(", ")}); it has one`,
      updateId,
    );
  }
  const [kind] = found;
  // Own keys only: an update field named `constructor` must not find Object's.
  const check = Object.hasOwn(kinds, kind) ? kinds[kind] : anyKind;
  const wrong = check(kind, value[kind]);
  return wrong === undefined
    ? { ok: true, update: value as unknown as Update }
    : refuse(wrong, updateId);
}
