/**
 * A purchase that `main.ts` is killed in the middle of, for the kill -9 tests: a plugin that
 * holds the user's lane so a payment can be recorded but not applied, the buyer's steps, a look
 * at the unfinished inbox, and the end state every crash must come to once the process is
 * started again: one credit, one payment, one receipt. The tenant is `shop`, selling
 * `SHOP_PRODUCTS` (`shop_products.ts`); the buyer pays 50 ⭐ for "100 credits".
 *
 * @example
 * ```ts ignore
 * const invoice = await requestInvoice(ann, account);
 * const { chargeId } = await payFor(ann, account, invoice);
 * await first.stop("SIGKILL");
 * await awaitReceiptSentThenStop(await deployment.start(env), deployment, ann, account);
 * await assertPaidOnce(deployment, ann, account, chargeId);
 * ```
 * @module
 */
import type { Message } from "grammy/types";
import type { SqlRunner } from "../../money/ports.ts";
import type { PaymentOutcome, SandboxBot, SandboxUser } from "../../sandbox/mod.ts";
import { assertEquals } from "./assert.ts";
import { PROCESS_WAIT_MS } from "./deployment.ts";
import type { RuntimeProcess } from "./runtime_process.ts";
import { ledgerRows, outboxRows, paymentRows } from "./tenant_world.ts";
import { waitUntil } from "./wait.ts";

/** The tenant the helpers look at. */
const TENANT_ID = "shop";

/** Where the tests put {@linkcode HOLD_PLUGIN}, relative to the config folder. */
export const HOLD_PLUGIN_PATH = "plugins/hold.ts";

/**
 * A plugin whose `/hold` never finishes while its folder holds the file `holding`
 * ({@linkcode holdUpdates}), and replies `Held task done.` at once otherwise. The same user's
 * later updates (a payment, say) queue behind it on the user's lane. It imports nothing: it is
 * written to a temporary folder, outside the import map. (A plugin's worker may read its own
 * folder and nothing else, so a file there is the switch, not the environment.)
 */
export const HOLD_PLUGIN = `
type Ctx = { reply(text: string): Promise<unknown> };
type Composer = { command(name: string, handler: (ctx: Ctx) => Promise<void>): void };

async function holding(): Promise<boolean> {
  try {
    await Deno.stat(new URL("holding", import.meta.url));
    return true;
  } catch {
    return false;
  }
}

export default (bot: Composer) => {
  bot.command("hold", async (ctx) => {
    if (await holding()) await new Promise(() => {});
    await ctx.reply("Held task done.");
  });
};
`;

/**
 * Makes `/hold` of {@linkcode HOLD_PLUGIN} (at {@linkcode HOLD_PLUGIN_PATH} in `configDir`) hold
 * from its next update on, or finish at once.
 *
 * @example
 * ```ts ignore
 * await holdUpdates(deployment.dir, true);
 * const first = await deployment.start(env); // its /hold never finishes
 * await holdUpdates(deployment.dir, false); // the next start's /hold does
 * ```
 */
export async function holdUpdates(configDir: string, hold: boolean): Promise<void> {
  const flag = `${configDir}/plugins/holding`;
  if (hold) await Deno.writeTextFile(flag, "");
  else await Deno.remove(flag);
}

/** What the helpers need of a deployment: a look into its database file. */
export interface DatabaseView {
  /** Runs `read` on a fresh read-only connection to the database file. */
  query<T>(read: (q: SqlRunner) => Promise<T>): Promise<T>;
}

/**
 * What each unfinished update of the tenant's inbox is, in order: a message's text, or
 * `successful_payment`.
 *
 * @example
 * ```ts ignore
 * await deployment.query(pendingUpdates); // ["/hold", "successful_payment"]
 * ```
 */
export async function pendingUpdates(q: SqlRunner): Promise<string[]> {
  const rows = await q.all<{ payload: string }>(
    "SELECT payload FROM inbox WHERE tenant_id = ? AND done_at IS NULL ORDER BY update_id",
    [TENANT_ID],
  );
  return rows.map((row) => {
    const message = JSON.parse(row.payload).message;
    return message?.successful_payment ? "successful_payment" : message?.text ?? "other";
  });
}

/**
 * Whether `message` is a payment receipt (they start with ✅).
 *
 * @example
 * ```ts ignore
 * ann.messages(account).filter(isReceipt); // [] until a payment is applied
 * ```
 */
export function isReceipt(message: Message): boolean {
  return message.text?.startsWith("✅") ?? false;
}

/**
 * The receipts `user` has received from `account`.
 *
 * @example
 * ```ts ignore
 * assertEquals(receipts(ann, account), [], "no receipt got through before the kill");
 * ```
 */
export function receipts(user: SandboxUser, account: SandboxBot): Message[] {
  return user.messages(account).filter(isReceipt);
}

/**
 * Asks the shop for the "100 credits" invoice and returns it.
 *
 * @example
 * ```ts ignore
 * const invoice = await requestInvoice(ann, account);
 * ```
 */
export async function requestInvoice(user: SandboxUser, account: SandboxBot): Promise<Message> {
  await user.send(account, "/start buy_credits_100");
  return await user.waitForMessage(account, (m) => m.invoice !== undefined, {
    timeoutMs: PROCESS_WAIT_MS,
  });
}

/**
 * Pays `invoice`; throws unless the payment went through.
 *
 * @example
 * ```ts ignore
 * const { chargeId } = await payFor(ann, account, invoice);
 * ```
 */
export async function payFor(
  user: SandboxUser,
  account: SandboxBot,
  invoice: Message,
): Promise<Extract<PaymentOutcome, { status: "paid" }>> {
  const outcome = await user.pay(account, invoice);
  if (outcome.status !== "paid") throw new Error(`expected a payment, got ${outcome.status}`);
  return outcome;
}

/**
 * Waits until `user` has the receipt and its outbox row is marked sent, then asserts that `proc`
 * (the restarted `main.ts`) stops cleanly on SIGTERM. Whatever fails, `proc` is killed.
 *
 * @example
 * ```ts ignore
 * await awaitReceiptSentThenStop(await deployment.start(env), deployment, ann, account);
 * ```
 */
export async function awaitReceiptSentThenStop(
  proc: RuntimeProcess,
  view: DatabaseView,
  user: SandboxUser,
  account: SandboxBot,
): Promise<void> {
  try {
    await user.waitForMessage(account, isReceipt, { timeoutMs: PROCESS_WAIT_MS });
    await waitUntil(
      "the receipt marked sent",
      () => view.query(async (q) => (await outboxRows(q, TENANT_ID))[0]?.sent),
      PROCESS_WAIT_MS,
    );
    assertEquals((await proc.stop("SIGTERM")).code, 0, proc.log);
  } finally {
    await proc.stop("SIGKILL");
  }
}

/**
 * Asserts the end state every crash must come to: one credit, one payment, one receipt (sent,
 * received, and accepted by Telegram once), every recorded update handled, and 50 ⭐ gone from
 * the user's 100.
 *
 * @example
 * ```ts ignore
 * await assertPaidOnce(deployment, ann, account, chargeId);
 * ```
 */
export async function assertPaidOnce(
  view: DatabaseView,
  user: SandboxUser,
  account: SandboxBot,
  chargeId: string,
): Promise<void> {
  await view.query(async (q) => {
    assertEquals(await ledgerRows(q, TENANT_ID), [
      {
        userId: user.id,
        kind: "deposit",
        amount: 100,
        balanceAfter: 100,
        idempotencyKey: `payment:${chargeId}`,
      },
    ]);
    assertEquals((await paymentRows(q, TENANT_ID)).map((row) => [row.chargeId, row.kind]), [
      [chargeId, "credits"],
    ]);
    assertEquals((await outboxRows(q, TENANT_ID)).map((row) => [row.id, row.sent]), [
      [`receipt:${chargeId}`, true],
    ]);
    const pending = await q.all("SELECT update_id FROM inbox WHERE done_at IS NULL");
    assertEquals(pending, [], "every update recorded was handled");
  });
  assertEquals(receipts(user, account).map((m) => m.text), [
    "✅ Payment received: 50 ⭐ for “100 credits”. 100 credits added; your balance is 100." +
    `\nReceipt: ${chargeId}`,
  ]);
  const accepted = account.callsTo("sendMessage").filter((call) =>
    call.ok && String(call.params.text).startsWith("✅")
  );
  assertEquals(accepted.length, 1, "Telegram accepted the receipt once");
  assertEquals(user.stars, 50);
}
